"""``PATCH .../update-test-cases``: validated synchronously, applied after ``apply_delay``.

Choices where the reference leaves room:

- The same body is served at ``PATCH .../test-cases`` too (the vendor's own code sends it
  there); the ``case_paths`` variant can withdraw either path.

- ``preserve_existing_results`` defaults to false: without it, the remaining entries of the
  run are reset to untested and the run's results are cleared.
- The per-request limit counts pairs (test case x configuration) over add and remove.
- A missing ``test_run`` object is ``operation_required``; a pair both added and removed in one
  request is ``validation_failed``.
- Each applied operation is recorded as ``{"unique_id", "operation", "affected_mapping_count"}``
  in ``Emulator.async_events()``.
"""

from __future__ import annotations

from typing import Any

from .context import Reply, Request
from .errors import ApiError, bad_request
from .state import Run, RunCase, State, now_iso
from .validation import is_int

Pair = tuple[str, int | None]


def at_documented_path(req: Request) -> Reply:
    """``PATCH .../update-test-cases`` (the doc's path): 404 when the variant withdraws it."""
    if not req.state.variants.serves("update-test-cases"):
        path = f"/api/v2/projects/{req.project_id}/test-runs/{req.run_id}/update-test-cases"
        raise ApiError(404, "not_found", f"No such API endpoint: {path}")
    return update_test_cases(req)


def at_test_cases_path(req: Request) -> Reply:
    """``PATCH .../test-cases`` (the vendor code's path): 405 when the variant withdraws it
    (``GET`` stays served there)."""
    if not req.state.variants.serves("test-cases"):
        path = f"/api/v2/projects/{req.project_id}/test-runs/{req.run_id}/test-cases"
        raise ApiError(405, "method_not_allowed", f"PATCH is not supported on {path}")
    return update_test_cases(req)


def update_test_cases(req: Request) -> Reply:
    state = req.state
    project = state.project(req.project_id)
    run = state.run(req.project_id, req.run_id, write=True)
    body = req.body_object()
    if "test_run" not in body:
        raise bad_request("Send add_test_cases or remove_test_cases", "operation_required")
    tr = body["test_run"]
    if not isinstance(tr, dict):
        raise bad_request("test_run must be a JSON object")
    unknown = set(tr) - {"add_test_cases", "remove_test_cases", "preserve_existing_results"}
    if unknown:
        raise bad_request(f"Unknown field(s) in test_run: {', '.join(sorted(unknown))}")
    add, remove = tr.get("add_test_cases"), tr.get("remove_test_cases")
    for name, value in (("add_test_cases", add), ("remove_test_cases", remove)):
        if value is not None and not isinstance(value, list):
            raise bad_request(f"{name} must be an array", "invalid_entry_shape")
    if not add and not remove:
        raise bad_request("Send add_test_cases or remove_test_cases", "operation_required")
    preserve = tr.get("preserve_existing_results", False)
    if not isinstance(preserve, bool):
        raise bad_request(
            "preserve_existing_results must be true or false", "invalid_preserve_flag"
        )
    entries = [(_shape(e), True) for e in add or []] + [(_shape(e), False) for e in remove or []]
    total = sum(len(ids) * max(1, len(configs)) for (ids, configs), _ in entries)
    if total > state.max_cases_per_request:
        raise bad_request(
            f"{total} test cases in one request; at most {state.max_cases_per_request} allowed",
            "max_test_cases_per_request_exceeded",
        )
    add_pairs: list[Pair] = []
    remove_pairs: list[Pair] = []
    for (ids, configs), adding in entries:
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise bad_request(
                f"Duplicate test case IDs: {', '.join(dupes)}", "duplicate_test_case_id"
            )
        invalid = [i for i in ids if req.state.case(project, i) is None]
        if invalid:
            raise bad_request(
                f"One or more test case IDs are invalid: {', '.join(invalid)}",
                "invalid_test_case_id",
            )
        bad_configs = [str(c) for c in configs if c not in state.configurations]
        if bad_configs:
            raise bad_request(
                f"One or more configuration IDs are invalid: {', '.join(bad_configs)}",
                "invalid_configuration_ids",
            )
        targets: list[int | None] = list(configs) or [None]
        (add_pairs if adding else remove_pairs).extend((i, c) for i in ids for c in targets)
    both = set(add_pairs) & set(remove_pairs)
    if both:
        raise bad_request(f"{len(both)} pair(s) are both added and removed in one request")
    unique_id = state.new_uuid()
    state.schedule(
        state.apply_delay,
        lambda: _apply(state, run, add_pairs, remove_pairs, preserve=preserve, unique_id=unique_id),
    )
    return 202, {"success": True, "async": True, "unique_id": unique_id}


def _shape(entry: Any) -> tuple[list[str], list[int]]:
    if not isinstance(entry, dict) or not set(entry) <= {"test_case_ids", "configuration_ids"}:
        raise bad_request(
            "Each entry must be {test_case_ids: [...], configuration_ids?: [...]}",
            "invalid_entry_shape",
        )
    ids = entry.get("test_case_ids")
    configs = entry.get("configuration_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise bad_request("test_case_ids must be a non-empty array of IDs", "invalid_entry_shape")
    if configs is None:
        configs = []
    if not isinstance(configs, list) or not all(is_int(c) for c in configs):
        raise bad_request("configuration_ids must be an array of integers", "invalid_entry_shape")
    return ids, configs


def _apply(
    state: State, run: Run, add: list[Pair], remove: list[Pair], *, preserve: bool, unique_id: str
) -> None:
    if state.runs.get(run.identifier) is not run or run.closed:
        return
    removing = set(remove)
    before = len(run.cases)
    run.cases = [c for c in run.cases if c.key not in removing]
    run.results = [r for r in run.results if (r.test_case_id, r.configuration_id) not in removing]
    removed = before - len(run.cases)
    present = {c.key for c in run.cases}
    added = 0
    for key in dict.fromkeys(add):
        if key not in present:
            run.cases.append(RunCase(key[0], key[1], run.test_case_assignee))
            added += 1
    if not preserve:
        run.results = []
        for case in run.cases:
            case.latest_status, case.latest_result_id = "untested", None
    run.updated_at = now_iso()
    for operation, pairs, count in (("add", add, added), ("remove", remove, removed)):
        if pairs:
            event = {"unique_id": unique_id, "operation": operation}
            state.async_events.append(event | {"affected_mapping_count": count})

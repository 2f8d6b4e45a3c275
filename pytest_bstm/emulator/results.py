"""Test results of a run: list, add one, add many.

Choices where the reference leaves room:

- Status names (system statuses or the seed's custom ones) match in any case: the live
  service takes ``Passed`` (a third-party reporter) and ``passed`` (the vendor's code); they
  are stored in lower case and read back in Title Case.
- A result for a test case ID unknown to the project is answered 200 and dropped (live quirk);
  a single add then answers ``"test-result": {"id": null}``.
- A result for a project case that is not in the run under that configuration: by the
  ``case_not_in_run`` variant, either the whole request is rejected (400
  ``test_case_not_in_run``, nothing stored; the default) or the pair joins the run and the
  result is stored (an unknown configuration ID is then a 400 ``invalid_configuration_ids``).
- Results are listed in the doc's shapes (see :func:`~pytest_bstm.emulator.views.result_item`).
- Unknown fields inside ``test_result`` (``comment``...) are dropped; unknown fields beside
  it are a 400.
- A bulk add answers ``"test-results": [{"id": ...}]`` for the stored results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .context import Reply, Request
from .errors import bad_request
from .state import Result, RunCase, State, now_iso
from .validation import is_int, opt_str, reject_unknown, require_object, str_list
from .views import paginate, result_item

MAX_RESULTS = 300


@dataclass
class _Incoming:
    test_case_id: str
    configuration_id: int | None
    status: str
    description: str | None
    issues: list[str]
    custom_fields: dict[str, Any]
    duration_in_ms: int | None


def list_results(req: Request) -> Reply:
    run = req.state.run(req.project_id, req.run_id)
    tracker = str((run.issue_tracker or {}).get("name") or "jira")
    page, info = paginate([result_item(r, tracker) for r in run.results], req.query)
    return 200, {"success": True, "info": info, "test-results": page}


def add_results(req: Request) -> Reply:
    state = req.state
    project = state.project(req.project_id)
    run = state.run(req.project_id, req.run_id, write=True)
    body = req.body_object()
    bulk = "results" in body
    if bulk:
        reject_unknown(body, {"results"}, "the results request")
        items = body["results"]
        if not isinstance(items, list) or not items:
            raise bad_request("results must be a non-empty array")
        if len(items) > MAX_RESULTS:
            raise bad_request(
                f"{len(items)} results in one request; at most {MAX_RESULTS} allowed",
                "too_many_results",
            )
    else:
        items = [body]
    incoming = [_parse(state, item) for item in items]
    by_key = {entry.key: entry for entry in run.cases}
    joining: list[RunCase] = []
    planned: list[tuple[_Incoming, RunCase]] = []
    for result in incoming:
        if state.case(project, result.test_case_id) is None:
            continue  # the live service answers 200 and drops it
        key = (result.test_case_id, result.configuration_id)
        entry = by_key.get(key)
        if entry is None:
            entry = by_key[key] = _not_in_run(state, run.identifier, result)
            entry.assignee = run.test_case_assignee
            joining.append(entry)
        planned.append((result, entry))
    run.cases.extend(joining)
    now = now_iso()
    ids: list[int] = []
    for result, entry in planned:
        stored = Result(
            id=state.new_result_id(),
            run_id=run.identifier,
            test_case_id=result.test_case_id,
            configuration_id=result.configuration_id,
            status=result.status,
            description=result.description,
            issues=result.issues,
            custom_fields=result.custom_fields,
            duration_in_ms=result.duration_in_ms,
            created_at=now,
            created_by=state.username,
        )
        run.results.append(stored)
        entry.latest_status, entry.latest_result_id = stored.status, stored.id
        ids.append(stored.id)
    if ids:
        run.updated_at = now
        if run.run_state == "new_run":
            run.run_state = "in_progress"
    if bulk:
        return 200, {"success": True, "test-results": [{"id": i} for i in ids]}
    return 200, {"success": True, "test-result": {"id": ids[0] if ids else None}}


def _not_in_run(state: State, run_id: str, result: _Incoming) -> RunCase:
    """The entry a result outside the run gets, or the 400 that refuses it (by variant)."""
    config = result.configuration_id
    where = f" with configuration {config}" if config is not None else ""
    if state.variants.case_not_in_run == "reject":
        raise bad_request(
            f"{result.test_case_id}{where} is not in test run {run_id}", "test_case_not_in_run"
        )
    if config is not None and config not in state.configurations:
        raise bad_request(
            f"One or more configuration IDs are invalid: {config}", "invalid_configuration_ids"
        )
    return RunCase(result.test_case_id, config)


def _parse(state: State, raw: Any) -> _Incoming:
    item = require_object(raw, "a result")
    reject_unknown(item, {"test_case_id", "configuration_id", "test_result"}, "a result")
    case_id = opt_str(item, "test_case_id")
    if not case_id:
        raise bad_request("test_case_id is required")
    config = item.get("configuration_id")
    if config is not None and not is_int(config):
        raise bad_request("configuration_id must be an integer")
    if "test_result" not in item:
        raise bad_request("test_result is required")
    result = require_object(item["test_result"], "test_result")
    status = state.status(result.get("status"))
    if status is None:
        raise bad_request(
            f"Unknown status {result.get('status')!r}; use one of (any case): "
            f"{', '.join(state.statuses)}",
            "invalid_status",
        )
    duration = result.get("duration_in_ms")
    if duration is not None and (not is_int(duration) or duration < 0):
        raise bad_request("duration_in_ms must be a non-negative integer")
    custom = result.get("custom_fields") or {}
    if not isinstance(custom, dict):
        raise bad_request("custom_fields must be a JSON object")
    return _Incoming(
        test_case_id=case_id,
        configuration_id=config,
        status=status,
        description=opt_str(result, "description"),
        issues=str_list(result, "issues") or [],
        custom_fields=dict(custom),
        duration_in_ms=duration,
    )

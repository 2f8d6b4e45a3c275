"""Test results of a run: list, add one, add many.

Choices where the reference leaves room:

- Statuses must be written in lower case (system statuses or the seed's custom ones).
- A result for a test case ID unknown to the project is answered 200 and dropped (live quirk);
  a single add then answers ``"test-result": {"id": null}``.
- A result for a project case that is not in the run under that configuration rejects the
  whole request: 400 ``test_case_not_in_run``, nothing stored.
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
    page, info = paginate([result_item(r) for r in run.results], req.query)
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
    planned: list[tuple[_Incoming, RunCase]] = []
    for result in incoming:
        if result.test_case_id not in project.test_cases:
            continue  # the live service answers 200 and drops it
        entry = by_key.get((result.test_case_id, result.configuration_id))
        if entry is None:
            config = result.configuration_id
            where = f" with configuration {config}" if config is not None else ""
            raise bad_request(
                f"{result.test_case_id}{where} is not in test run {run.identifier}",
                "test_case_not_in_run",
            )
        planned.append((result, entry))
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
    status = result.get("status")
    if not isinstance(status, str) or status not in state.statuses:
        raise bad_request(
            f"Unknown status {status!r}; use one of (lower case): {', '.join(state.statuses)}",
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

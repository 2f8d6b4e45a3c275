"""A run's test cases: clone, list, assign.

Choices where the reference leaves room:

- A closed run can be cloned (the clone writes a new run, not the closed one).
- Clone status names are matched case-insensitively against the system and custom statuses.
- ``GET .../test-cases?fetch_steps=true`` answers the first 30 entries with steps, ignoring
  ``p`` and ``page_size``; its ``info.next`` is ``null``.
- ``assign`` needs ``configuration_id`` whenever the run has any configuration.
"""

from __future__ import annotations

from .context import Reply, Request
from .errors import bad_request, run_invalid
from .run_fields import check_cases
from .state import Run, RunCase, now_iso
from .validation import (
    is_int,
    opt_bool,
    opt_email,
    opt_str,
    query_bool,
    reject_unknown,
    require_object,
)
from .views import paginate, run_case_item, run_configurations, run_summary

CLONE_FIELDS = frozenset(
    {"test_case_selection", "statuses", "copy_tc_assignee", "copy_tags", "copy_issues", "name"}
)


def clone_run(req: Request) -> Reply:
    state = req.state
    source = state.run(req.project_id, req.run_id)
    if source.automated:
        raise run_invalid()
    body = req.body_object()
    reject_unknown(body, CLONE_FIELDS, "the clone request")
    selection = opt_str(body, "test_case_selection") or "all"
    if selection not in ("all", "by_results"):
        raise bad_request("test_case_selection must be all or by_results")
    statuses = body.get("statuses")
    if selection == "all" and statuses is not None:
        raise bad_request("statuses is only accepted when test_case_selection is by_results")
    wanted: set[str] = set()
    if selection == "by_results":
        if not isinstance(statuses, list) or not statuses:
            raise bad_request("statuses is required when test_case_selection is by_results")
        for status in statuses:
            known = state.status(status)
            if known is None:
                raise bad_request(f"Unknown status {status!r}")
            wanted.add(known)
    copy_assignee = opt_bool(body, "copy_tc_assignee")
    copy_tags = opt_bool(body, "copy_tags")
    copy_issues = bool(opt_bool(body, "copy_issues"))
    name = opt_str(body, "name", blank=False) or f"{source.name} - Copy"
    now = now_iso()
    run = Run(state.new_run_id(), source.project_id, name, now, updated_at=now)
    run.description = source.description
    run.assignee = source.assignee
    run.test_case_assignee = source.test_case_assignee
    run.tags = list(source.tags) if copy_tags is not False else []
    run.issues = list(source.issues) if copy_issues else []
    run.configurations = list(source.configurations)
    chosen = [c for c in source.cases if selection == "all" or c.latest_status in wanted]
    entries = [
        RunCase(
            c.test_case_id, c.configuration_id, c.assignee if copy_assignee is not False else None
        )
        for c in chosen
    ]
    state.runs[run.identifier] = run

    def populate() -> None:
        if state.runs.get(run.identifier) is run:
            present = {c.key for c in run.cases}
            run.cases = [e for e in entries if e.key not in present] + run.cases

    state.schedule(state.clone_delay, populate)
    answer = run_summary(state, run)
    answer["configurations"] = run_configurations(source) if chosen else list(run.configurations)
    answer["test_case_summary"] = dict.fromkeys(state.statuses, 0) | {"untested": len(entries)}
    return 200, state.variants.run_answer("clone", answer)


def list_run_cases(req: Request) -> Reply:
    state = req.state
    run = state.run(req.project_id, req.run_id)
    steps = bool(query_bool(req.query, "fetch_steps"))
    minify = bool(query_bool(req.query, "minify"))
    if steps:
        page = run.cases[:30]
        count = len(run.cases)
        info = {"page": 1, "page_size": 30, "count": count, "prev": None, "next": None}
    else:
        page, info = paginate(run.cases, req.query)
    items = [run_case_item(state, run, entry, steps=steps, minify=minify) for entry in page]
    return 200, {"success": True, "info": info, "test_cases": items}


def assign(req: Request) -> Reply:
    state = req.state
    project = state.project(req.project_id)
    run = state.run(req.project_id, req.run_id, write=True)
    body = req.body_object()
    reject_unknown(body, {"assign_to"}, "the assign request")
    items = body.get("assign_to")
    if not isinstance(items, list) or not items:
        raise bad_request("assign_to must be a non-empty array")
    has_configs = bool(run_configurations(run))
    by_key = {entry.key: entry for entry in run.cases}
    planned: list[tuple[RunCase, str]] = []
    for raw in items:
        item = require_object(raw, "an assign_to entry")
        reject_unknown(item, {"test_case_id", "configuration_id", "assignee"}, "assign_to")
        case_id = opt_str(item, "test_case_id")
        assignee = opt_email(item, "assignee")
        config = item.get("configuration_id")
        if case_id is None or assignee is None:
            raise bad_request("Each assign_to entry needs test_case_id and assignee")
        if config is not None and not is_int(config):
            raise bad_request("configuration_id must be an integer")
        if config is None and has_configs:
            raise bad_request(f"configuration_id is required: {run.identifier} has configurations")
        check_cases(req.state, project, [case_id])
        entry = by_key.get((case_id, config))
        if entry is None:
            where = f" with configuration {config}" if config is not None else ""
            raise bad_request(
                f"{case_id}{where} is not in test run {run.identifier}", "test_case_not_in_run"
            )
        planned.append((entry, assignee))
    for entry, assignee in planned:
        entry.assignee = assignee
    run.updated_at = now_iso()
    return 200, {"success": True}

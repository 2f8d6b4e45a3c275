"""Test run lifecycle: list, create, get, update (PATCH and POST), close, delete.

Choices where the reference leaves room:

- ``name`` is optional on create and defaults to ``Test Run-DD/MM/YYYY`` (UTC date).
- Run list date filters compare UTC calendar dates and are inclusive at both ends.
- Closed runs are left out of the list unless ``include_closed=true``, even when ``run_state``
  asks for ``closed``; ``run_state=new`` is read as ``new_run``.
- Setting ``run_state`` to ``closed`` closes the run.
- The run's key in answers, and whether details carry ``identifier``, follow
  :mod:`~pytest_bstm.emulator.variants`.
- An update that selects test cases (``test_cases``, ``folder_ids``, ``include_all``,
  ``filter_test_cases``) replaces the run's entries; entries that stay keep their latest status
  and results. A PATCH with only ``configurations`` / ``configuration_map`` re-pairs the run's
  current test cases (plus mapped ones).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import run_fields
from .context import Reply, Request
from .errors import bad_request, not_found
from .state import RUN_STATES, Project, Run, State, now_iso
from .validation import csv, date_of, parse_date, query_bool, unique
from .views import paginate, run_details, run_minified, run_summary

REQUIRED_ON_REPLACE = (
    "name", "description", "run_state", "assignee", "test_case_assignee", "tags", "issues",
    "configurations", "test_cases", "folder_ids",
)  # fmt: skip


def list_runs(req: Request) -> Reply:
    state, query = req.state, req.query
    state.project(req.project_id)
    runs = [r for r in state.runs.values() if r.project_id == req.project_id]
    if not query_bool(query, "include_closed"):
        runs = [r for r in runs if not r.closed]
    for name in ("created_before", "created_after", "closed_before", "closed_after"):
        if name in query:
            runs = _by_date(runs, name, parse_date(query[name], name))
    if "test_plan_id" in query:
        plan = query["test_plan_id"]
        if len(csv(plan)) != 1:
            raise bad_request("test_plan_id takes a single value")
        runs = [r for r in runs if r.test_plan_id == plan.strip()]
    if "assignee" in query:
        wanted = {a.lower() for a in csv(query["assignee"])}
        runs = [r for r in runs if (r.assignee or "").lower() in wanted]
    if "run_state" in query:
        wanted = {"new_run" if s == "new" else s for s in csv(query["run_state"])}
        unknown = sorted(wanted - set(RUN_STATES))
        if unknown:
            raise bad_request(f"Unknown run_state value(s): {', '.join(unknown)}")
        runs = [r for r in runs if r.run_state in wanted]
    page, info = paginate([run_summary(state, r) for r in runs], query)
    return 200, {"success": True, "info": info, "test_runs": page}


def _by_date(runs: list[Run], name: str, day: dt.date) -> list[Run]:
    kept = []
    for run in runs:
        stamp = run.created_at if name.startswith("created") else run.closed_at
        if stamp is None:
            continue
        when = date_of(stamp)
        if (when <= day) if name.endswith("before") else (when >= day):
            kept.append(run)
    return kept


def create_run(req: Request) -> Reply:
    state = req.state
    project = state.project(req.project_id)
    fields = run_fields.parse(state, project, req.nested("test_run"))
    now = now_iso()
    default_name = "Test Run-" + dt.datetime.now(dt.timezone.utc).strftime("%d/%m/%Y")
    run = Run(state.new_run_id(), project.identifier, default_name, now, updated_at=now)
    apply_fields(state, project, run, fields, select=True)
    state.runs[run.identifier] = run
    return 200, state.variants.run_answer("create", run_summary(state, run))


def apply_fields(
    state: State, project: Project, run: Run, fields: dict[str, Any], *, select: bool
) -> None:
    """Write validated fields onto ``run``; ``select`` recomputes its entries regardless."""
    if fields.get("name") is not None:
        run.name = fields["name"]
    if "description" in fields:
        run.description = fields["description"] or ""
    for key in ("assignee", "test_case_assignee", "issue_tracker"):
        if key in fields:
            setattr(run, key, fields[key])
    for key in ("tags", "issues", "configurations"):
        if key in fields:
            setattr(run, key, list(fields[key]))
    if "test_plan_id" in fields or "sub_test_plan_id" in fields:
        run.test_plan_id = fields.get("test_plan_id")
        run.sub_test_plan_id = fields.get("sub_test_plan_id")
    cmap: dict[str, list[int]] = fields.get("configuration_map") or {}
    cases: list[str] | None = None
    if select or any(k in fields for k in run_fields.SELECTION_FIELDS):
        cases = run_fields.select(project, fields)
    elif "configuration_map" in fields or "configurations" in fields:
        cases = unique([c.test_case_id for c in run.cases] + list(cmap))
    if cases is not None:
        entries = run_fields.pairs(cases, run.configurations, cmap)
        run_fields.set_entries(run, entries, run.test_case_assignee)
    if fields.get("test_case_assignee") is not None:
        for case in run.cases:
            case.assignee = fields["test_case_assignee"]
    run.updated_at = now_iso()
    if fields.get("run_state") == "closed":
        run.close(run.updated_at)
    elif fields.get("run_state") is not None:
        run.run_state = fields["run_state"]


def get_run(req: Request) -> Reply:
    run = req.state.run(req.project_id, req.run_id)
    minify = query_bool(req.query, "minify")
    shape = run_minified(req.state, run) if minify else run_details(req.state, run)
    if not req.state.variants.details_identifier:
        del shape["identifier"]
    return 200, req.state.variants.run_answer("details", shape)


def web_page(req: Request) -> Reply:
    """``GET /projects/{numeric web ID}/test-runs/{id}``: the run's web page, where links
    point. The emulator has no web UI: it answers the run's details as JSON."""
    numeric = int(req.project_id)
    project = next((p for p in req.state.projects.values() if p.numeric_id == numeric), None)
    if project is None:
        raise not_found(f"No project with web ID {numeric}")
    return 200, run_details(req.state, req.state.run(project.identifier, req.run_id))


def patch_run(req: Request) -> Reply:
    state = req.state
    project = state.project(req.project_id)
    run = state.run(req.project_id, req.run_id, write=True)
    fields = run_fields.parse(state, project, req.nested("test_run"))
    apply_fields(state, project, run, fields, select=False)
    return 200, state.variants.run_answer("update", run_summary(state, run))


def replace_run(req: Request) -> Reply:
    """``POST .../update``: every required field must be present (``null`` allowed)."""
    state = req.state
    project = state.project(req.project_id)
    run = state.run(req.project_id, req.run_id, write=True)
    body = req.nested("test_run")
    missing = [key for key in REQUIRED_ON_REPLACE if key not in body]
    if missing:
        raise bad_request(f"Missing required field(s) in test_run: {', '.join(missing)}")
    fields = run_fields.parse(state, project, body)
    apply_fields(state, project, run, fields, select=True)
    return 200, state.variants.run_answer("update", run_summary(state, run))


def close_run(req: Request) -> Reply:
    run = req.state.run(req.project_id, req.run_id, write=True)
    run.close(now_iso())
    return 200, req.state.variants.run_answer("close", run_summary(req.state, run))


def delete_run(req: Request) -> Reply:
    run = req.state.run(req.project_id, req.run_id, write=True)
    del req.state.runs[run.identifier]
    message = f"Test Run {run.identifier} has been deleted successfully"
    return 200, {"success": True, "message": message}

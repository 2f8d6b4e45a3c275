"""Read-only account data: projects, configurations, project test cases, test plans."""

from __future__ import annotations

from .context import Reply, Request
from .errors import bad_request
from .validation import csv, date_of, parse_date
from .views import paginate, project_item, test_case_item


def list_projects(req: Request) -> Reply:
    projects = [project_item(p) for p in req.state.projects.values()]
    page, info = paginate(projects, req.query)
    return 200, {"success": True, "info": info, "projects": page}


def list_configurations(req: Request) -> Reply:
    configs = [dict(c) for c in req.state.configurations.values()]
    page, info = paginate(configs, req.query)
    return 200, {"success": True, "info": info, "configurations": page}


def list_test_cases(req: Request) -> Reply:
    """Filters: ``test_case_id`` (comma-joined), ``folder_id``, ``priority``, ``case_type``
    (comma-joined, case-insensitive), ``created_after`` / ``created_before`` (inclusive dates)."""
    project = req.state.project(req.project_id)
    query = req.query
    wanted = set(csv(query["test_case_id"])) if "test_case_id" in query else None
    for identifier in sorted(wanted or ()):
        req.state.case(project, identifier)  # the seed's any_case: asked for, so it exists
    cases = list(project.test_cases.values())
    if wanted is not None:
        cases = [c for c in cases if c.identifier in wanted]
    if "folder_id" in query:
        folders = csv(query["folder_id"])
        if not all(f.isdigit() for f in folders):
            raise bad_request("folder_id must be a folder's numeric identifier")
        cases = [c for c in cases if str(c.folder_id) in folders]
    for key in ("priority", "case_type"):
        if key in query:
            accepted = {v.lower() for v in csv(query[key])}
            cases = [c for c in cases if str(getattr(c, key)).lower() in accepted]
    if "created_after" in query:
        after = parse_date(query["created_after"], "created_after")
        cases = [c for c in cases if date_of(c.created_at) >= after]
    if "created_before" in query:
        before = parse_date(query["created_before"], "created_before")
        cases = [c for c in cases if date_of(c.created_at) <= before]
    page, info = paginate([test_case_item(project, c) for c in cases], req.query)
    return 200, {"success": True, "info": info, "test_cases": page}


def list_test_plans(req: Request) -> Reply:
    project = req.state.project(req.project_id)
    plans = [
        {
            "identifier": plan.identifier,
            "name": plan.name,
            "project_id": project.identifier,
            "sub_test_plans": [
                {"identifier": sub_id, "name": name} for sub_id, name in plan.sub_test_plans.items()
            ],
        }
        for plan in project.test_plans.values()
    ]
    page, info = paginate(plans, req.query)
    return 200, {"success": True, "info": info, "test_plans": page}

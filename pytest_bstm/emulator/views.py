"""JSON shapes of the emulated API: runs, run test cases, results, and pagination."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .errors import bad_request
from .state import SYSTEM_STATUSES, Project, Result, Run, RunCase, State, TestCase

WEB_BASE = "https://test-management.browserstack.com"
PAGE_SIZES = (30, 300)


def title_status(status: str) -> str:
    """``in_progress`` -> ``In Progress`` (how reads spell statuses)."""
    return " ".join(word.capitalize() for word in status.split("_"))


def paginate(
    items: Sequence[Any], query: Mapping[str, str], default_size: int = 30
) -> tuple[list[Any], dict[str, Any]]:
    """One page of ``items`` per ``p`` and ``page_size`` (30 or 300 only), and its ``info``."""
    raw_size = query.get("page_size")
    size = default_size
    if raw_size is not None:
        if raw_size not in ("30", "300"):
            raise bad_request("Invalid page_size", "invalid_page_size")
        size = int(raw_size)
    raw_page = query.get("p", "1")
    if not raw_page.isdigit() or int(raw_page) < 1:
        raise bad_request(f"Invalid page number {raw_page!r}", "invalid_page")
    page = int(raw_page)
    start = (page - 1) * size
    count = len(items)
    info = {
        "page": page,
        "page_size": size,
        "count": count,
        "prev": page - 1 if page > 1 else None,
        "next": page + 1 if start + size < count else None,
    }
    return list(items[start : start + size]), info


def progress(state: State, run: Run) -> dict[str, int]:
    """Entries of ``run`` per latest status (system statuses, then the custom ones)."""
    counts = dict.fromkeys(state.statuses, 0)
    for case in run.cases:
        counts[case.latest_status] = counts.get(case.latest_status, 0) + 1
    return counts


def run_links(run: Run) -> dict[str, str]:
    base = f"/api/v2/projects/{run.project_id}/test-runs/{run.identifier}"
    return {"self": base, "test_cases": f"{base}/test-cases"}


def run_configurations(run: Run) -> list[int]:
    """The run's configurations plus any a configuration map brought in."""
    ids = list(run.configurations)
    ids += [c.configuration_id for c in run.cases if c.configuration_id is not None]
    return list(dict.fromkeys(ids))


def run_summary(state: State, run: Run) -> dict[str, Any]:
    """The run object of list, create, update and close answers."""
    project = state.projects[run.project_id]
    plan = project.test_plans.get(run.test_plan_id or "")
    return {
        "identifier": run.identifier,
        "name": run.name,
        "description": run.description,
        "run_state": run.run_state,
        "active_state": run.active_state,
        "assignee": run.assignee,
        "test_case_assignee": run.test_case_assignee,
        "project_id": run.project_id,
        "tags": list(run.tags),
        "issues": list(run.issues),
        "configurations": run_configurations(run),
        "test_plan": {"identifier": plan.identifier, "name": plan.name} if plan else None,
        "test_plan_id": run.test_plan_id,
        "sub_test_plan_id": run.sub_test_plan_id,
        "test_cases_count": len(run.cases),
        "overall_progress": progress(state, run),
        "created_at": run.created_at,
        "updated_at": run.updated_at,
        "closed_at": run.closed_at,
        "filter_test_cases": {"is_dynamic": False},
        "links": run_links(run),
        "urls": {"self": f"{WEB_BASE}/projects/{project.numeric_id}/test-runs/{run.identifier}"},
    }


def run_minified(state: State, run: Run) -> dict[str, Any]:
    """The run object of ``GET .../test-runs/{id}?minify=true``."""
    keys = ("active_state", "run_state", "created_at", "updated_at", "description")
    summary = run_summary(state, run)
    minified = {key: summary[key] for key in keys}
    minified.update(
        identifier=run.identifier,
        name=run.name,
        assignee=run.assignee,
        project_id=run.project_id,
        overall_progress=summary["overall_progress"],
        tags=summary["tags"],
        configurations=summary["configurations"],
        links=summary["links"],
    )
    return minified


def run_details(state: State, run: Run) -> dict[str, Any]:
    """The run object of ``GET .../test-runs/{id}``: summary, counts and every entry."""
    details = run_summary(state, run)
    counts = details["overall_progress"]
    project = state.projects[run.project_id]
    details["passed_count"] = counts["passed"]
    details["failed_count"] = counts["failed"]
    details["customstatus_count"] = sum(
        n for status, n in counts.items() if status not in SYSTEM_STATUSES
    )
    details["test_cases"] = [
        {
            "identifier": entry.test_case_id,
            "name": case.title,
            "description": case.description,
            "case_type": case.case_type,
            "priority": case.priority,
            "status": case.status,
            "assignee": entry.assignee,
            "configuration_id": entry.configuration_id,
            "latest_status": title_status(entry.latest_status),
            "latest_result_id": entry.latest_result_id,
        }
        for entry in run.cases
        for case in [project.test_cases[entry.test_case_id]]
    ]
    return details


def run_case_item(
    state: State, run: Run, entry: RunCase, *, steps: bool, minify: bool
) -> dict[str, Any]:
    """One item of ``GET .../test-runs/{id}/test-cases``."""
    case = state.projects[run.project_id].test_cases[entry.test_case_id]
    if minify:
        config = state.configurations.get(entry.configuration_id or -1, {})
        return {
            "description": str(config.get("name", case.description)),
            "identifier": case.identifier,
            "name": case.title,
            "latest_status": entry.latest_status,
        }
    return {
        "identifier": case.identifier,
        "name": case.title,
        "description": case.description,
        "case_type": case.case_type,
        "priority": case.priority,
        "status": case.status,
        "project_id": run.project_id,
        "source_project_id": run.project_id,
        "steps": [dict(step) for step in case.steps] if steps else [],
        "latest_status": entry.latest_status,
        "latest_result_id": entry.latest_result_id,
        "assignee": entry.assignee,
        "folder_path": [case.folder_id] if case.folder_id is not None else [],
        "configuration_id": entry.configuration_id,
        "dataset": [],
        "created_at": case.created_at,
        "last_updated_at": case.created_at,
        "created_by": case.owner,
        "last_updated_by": case.owner,
    }


def result_item(result: Result, issue_type: str = "jira") -> dict[str, Any]:
    """One item of ``GET .../results`` (the ``test-results`` list), in the doc's shapes:
    ``issues`` as ``{issue_id, created_at, issue_type}`` objects and ``custom_fields`` as
    ``{field_name, value}`` objects, although they are written as keys and an object."""
    return {
        "id": result.id,
        "test_case_id": result.test_case_id,
        "test_run_id": result.run_id,
        "configuration_id": result.configuration_id,
        "description": result.description,
        "result_status": {"field_value": title_status(result.status)},
        "issues": [
            {"issue_id": key, "created_at": result.created_at, "issue_type": issue_type}
            for key in result.issues
        ],
        "custom_fields": [
            {"field_name": name, "value": value} for name, value in result.custom_fields.items()
        ],
        "step_result": [],
        "duration_in_ms": result.duration_in_ms,
        "created_at": result.created_at,
        "created_by": result.created_by,
        "updated_at": result.created_at,
    }


def project_item(project: Project) -> dict[str, Any]:
    """One item of ``GET /projects``; ``urls.self`` carries the numeric web ID."""
    return {
        "identifier": project.identifier,
        "id": project.numeric_id,
        "name": project.name,
        "urls": {"self": f"{WEB_BASE}/projects/{project.numeric_id}"},
    }


def test_case_item(project: Project, case: TestCase) -> dict[str, Any]:
    """One item of ``GET /projects/{id}/test-cases``."""
    return {
        "identifier": case.identifier,
        "title": case.title,
        "description": case.description,
        "status": case.status,
        "priority": case.priority,
        "case_type": case.case_type,
        "folder_id": case.folder_id,
        "tags": list(case.tags),
        "owner": case.owner,
        "automation_status": case.automation_status,
        "steps": [dict(step) for step in case.steps],
        "custom_fields": dict(case.custom_fields),
        "project_id": project.identifier,
        "created_at": case.created_at,
    }

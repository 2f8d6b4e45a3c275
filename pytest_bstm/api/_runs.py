"""Run endpoints: list, create, clone, read, update, close, delete."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import quote

from pydantic import ValidationError

from . import _query
from ._envelopes import Envelope, RunDetailsEnvelope, RunEnvelope, RunsPage
from ._request import ClientCore
from .errors import InvalidRequestError, NotFoundError
from .models import NewTestRun, TestRun, TestRunDetails, normalize_status

CLONE_SELECTIONS = ("all", "by_results")

# Fields that POST .../update requires in the body even when empty.
_REPLACE_REQUIRED_STR = ("description", "run_state", "assignee", "test_case_assignee")
_REPLACE_REQUIRED_LIST = ("tags", "issues", "configurations", "test_cases", "folder_ids")


def segment(name: str, value: str) -> str:
    """One path segment (a project or run ID), validated and quoted."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError(f"{name} must be a non-empty string, not {value!r}")
    return quote(value.strip(), safe="")


def run_path(project_id: str, run_id: str, suffix: str = "") -> str:
    """``/projects/{project_id}/test-runs/{run_id}{suffix}``."""
    project = segment("project_id", project_id)
    return f"/projects/{project}/test-runs/{segment('run_id', run_id)}{suffix}"


def list_runs(
    api: ClientCore,
    project_id: str,
    *,
    closed_before: dt.date | str | None = None,
    closed_after: dt.date | str | None = None,
    created_before: dt.date | str | None = None,
    created_after: dt.date | str | None = None,
    test_plan_id: str | None = None,
    assignee: str | Sequence[str] | None = None,
    include_closed: bool | None = None,
    run_state: str | Sequence[str] | None = None,
    page_size: int = 30,
) -> Iterator[TestRun]:
    """Iterate over a project's runs matching every given filter (all pages)."""
    params: dict[str, str | int] = {}
    dates = {
        "closed_before": closed_before,
        "closed_after": closed_after,
        "created_before": created_before,
        "created_after": created_after,
    }
    for name, value in dates.items():
        if value is not None:
            params[name] = _query.format_date(name, value)
    if test_plan_id is not None:
        params["test_plan_id"] = _query.single_value("test_plan_id", test_plan_id)
    if assignee is not None:
        params["assignee"] = _query.join_values("assignee", assignee)
    if include_closed is not None:
        params["include_closed"] = _query.flag(include_closed)
    if run_state is not None:
        params["run_state"] = _query.join_values("run_state", run_state)
    path = f"/projects/{segment('project_id', project_id)}/test-runs"
    pages = api._paginate(path, RunsPage, params, _query.check_page_size(page_size))
    return (api.links.link(project_id, run) for run in pages)


def create_run(api: ClientCore, project_id: str, run: NewTestRun) -> TestRun:
    """Create a run. Not retried once it may have been sent (AmbiguousRequestError)."""
    path = f"/projects/{segment('project_id', project_id)}/test-runs"
    body = {"test_run": run.to_wire()}
    answer = api._request("POST", path, model=RunEnvelope, body=body, idempotent=False)
    return api.links.link(project_id, answer.run)


def clone_run(
    api: ClientCore,
    project_id: str,
    run_id: str,
    *,
    test_case_selection: str = "all",
    statuses: Sequence[str] | None = None,
    copy_tc_assignee: bool | None = None,
    copy_tags: bool | None = None,
    copy_issues: bool | None = None,
    name: str | None = None,
) -> TestRun:
    """Clone a run; its test cases appear shortly after the answer.

    ``statuses`` (required with ``test_case_selection="by_results"``, not allowed
    otherwise) selects cases by their latest result.
    """
    if test_case_selection not in CLONE_SELECTIONS:
        raise InvalidRequestError(
            f"test_case_selection must be 'all' or 'by_results', not {test_case_selection!r}"
        )
    body: dict[str, Any] = {"test_case_selection": test_case_selection}
    if test_case_selection == "by_results":
        if statuses is None or isinstance(statuses, str) or not list(statuses):
            raise InvalidRequestError(
                "test_case_selection='by_results' needs statuses, a non-empty list "
                "such as ['failed', 'blocked']"
            )
        if not all(isinstance(s, str) and s.strip() for s in statuses):
            raise InvalidRequestError(f"statuses must be non-empty strings: {statuses!r}")
        body["statuses"] = [normalize_status(s) for s in statuses]
    elif statuses is not None:
        raise InvalidRequestError("statuses are only allowed with test_case_selection='by_results'")
    options = {
        "copy_tc_assignee": copy_tc_assignee,
        "copy_tags": copy_tags,
        "copy_issues": copy_issues,
        "name": name,
    }
    body.update({key: value for key, value in options.items() if value is not None})
    path = run_path(project_id, run_id, "/clone")
    answer = api._request("POST", path, model=RunEnvelope, body=body, idempotent=False)
    return api.links.link(project_id, answer.run)


def get_run(api: ClientCore, project_id: str, run_id: str) -> TestRunDetails:
    """A run with its test cases."""
    path = run_path(project_id, run_id)
    context = {"run_id": run_id}
    answer = api._request("GET", path, model=RunDetailsEnvelope, context=context)
    return api.links.link(project_id, answer.run)


def get_run_minified(api: ClientCore, project_id: str, run_id: str) -> TestRun:
    """A run's essential fields only."""
    path = run_path(project_id, run_id)
    params = {"minify": "true"}
    context = {"run_id": run_id}
    answer = api._request("GET", path, model=RunEnvelope, params=params, context=context)
    return api.links.link(project_id, answer.run)


def update_run(api: ClientCore, project_id: str, run_id: str, **fields: Any) -> TestRun:
    """PATCH only the given fields (names as in NewTestRun; ``[]`` clears a list)."""
    unknown = sorted(set(fields) - set(NewTestRun.model_fields))
    if unknown:
        raise InvalidRequestError(
            f"update_run got unknown field(s) {', '.join(unknown)}; "
            f"known: {', '.join(NewTestRun.model_fields)}"
        )
    given = {key for key, value in fields.items() if value is not None}
    if not given:
        raise InvalidRequestError("update_run needs at least one field to change")
    try:
        checked = NewTestRun.model_validate({"name": "-", **fields})
    except ValidationError as exc:
        raise InvalidRequestError(f"update_run: {exc}") from exc
    body = {"test_run": checked.model_dump(mode="json", include=given, exclude_none=True)}
    path = run_path(project_id, run_id, "/update")
    context = {"run_id": run_id}
    answer = api._request("PATCH", path, model=RunEnvelope, body=body, context=context)
    return api.links.link(project_id, answer.run)


def replace_run(api: ClientCore, project_id: str, run_id: str, run: NewTestRun) -> TestRun:
    """POST .../update: replace the run, test cases included, with a complete body."""
    wire = run.to_wire()
    for key in _REPLACE_REQUIRED_STR:
        wire.setdefault(key, None)
    for key in _REPLACE_REQUIRED_LIST:
        wire.setdefault(key, [])
    path = run_path(project_id, run_id, "/update")
    context = {"run_id": run_id}
    answer = api._request(
        "POST",
        path,
        model=RunEnvelope,
        body={"test_run": wire},
        idempotent=True,
        context=context,
    )
    return api.links.link(project_id, answer.run)


def close_run(api: ClientCore, project_id: str, run_id: str) -> TestRun:
    """Close a run (it then answers 404 to writes).

    Closing is idempotent: a run that is already closed (the service answers 404 to a
    second close, e.g. a retry after a lost answer) is returned as it is.
    """
    path = run_path(project_id, run_id, "/close")
    context = {"run_id": run_id}
    try:
        answer = api._request("POST", path, model=RunEnvelope, idempotent=True, context=context)
        return api.links.link(project_id, answer.run)
    except NotFoundError as exc:
        missing = exc
    try:
        run = get_run_minified(api, project_id, run_id)
    except NotFoundError:
        raise missing from None
    if run.active_state != "closed":
        raise missing
    return run


def delete_run(api: ClientCore, project_id: str, run_id: str) -> str:
    """Delete a run; returns the service's confirmation message."""
    path = run_path(project_id, run_id, "/delete")
    answer = api._request("POST", path, model=Envelope, idempotent=True)
    return answer.message or f"Test Run {run_id} has been deleted"

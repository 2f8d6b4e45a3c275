"""A project's data: its test cases, the projects, the configurations, and web links."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence

from . import _query, _readings
from ._envelopes import (
    ConfigurationsPage,
    ProjectCasesPage,
    ProjectsPage,
)
from ._request import ClientCore
from ._runs import segment
from .errors import BstmError, InvalidRequestError
from .models import Configuration, Project, ProjectTestCase
from .retry import RetryPolicy

# A link is a convenience: one try, no waiting on a busy service.
_LINK_LOOKUP = RetryPolicy(attempts=1)


def iter_project_test_cases(
    api: ClientCore,
    project_id: str,
    *,
    test_case_id: str | Sequence[str] | None = None,
    folder_id: int | None = None,
    priority: str | Sequence[str] | None = None,
    case_type: str | Sequence[str] | None = None,
    created_after: dt.date | str | None = None,
    created_before: dt.date | str | None = None,
    page_size: int = 300,
) -> Iterator[ProjectTestCase]:
    """Iterate over a project's test cases matching every given filter (all pages)."""
    params: dict[str, str | int] = {}
    if test_case_id is not None:
        params["test_case_id"] = _query.join_values("test_case_id", test_case_id)
    if folder_id is not None:
        if isinstance(folder_id, bool) or not isinstance(folder_id, int):
            raise InvalidRequestError(f"folder_id must be an integer, not {folder_id!r}")
        params["folder_id"] = folder_id
    if priority is not None:
        params["priority"] = _query.join_values("priority", priority)
    if case_type is not None:
        params["case_type"] = _query.join_values("case_type", case_type)
    if created_after is not None:
        params["created_after"] = _query.format_date("created_after", created_after)
    if created_before is not None:
        params["created_before"] = _query.format_date("created_before", created_before)
    path = f"/projects/{segment('project_id', project_id)}/test-cases"
    return api._paginate(path, ProjectCasesPage, params, _query.check_page_size(page_size))


def iter_projects(api: ClientCore, *, page_size: int = 30) -> Iterator[Project]:
    """Iterate over the projects the credentials can see (a cheap credentials check)."""
    pages = api._paginate("/projects", ProjectsPage, {}, _query.check_page_size(page_size))
    return _learning(api, pages)


def _learning(api: ClientCore, projects: Iterator[Project]) -> Iterator[Project]:
    """``projects``, each project's page remembered as it passes."""
    for project in projects:
        api.links.learn(project.identifier, project.web_url)
        yield project


def project_web_url(api: ClientCore, project_id: str) -> str | None:
    """The project's page, ``https://host/projects/<numeric web ID>``, or None.

    Known once any answer showed it (a project listing's ``urls.self``, a run's
    ``urls.self``); otherwise the projects are listed once (pages of 300, one try
    each) until the project shows up. The answer, None included, is kept for the
    client's life; a failed lookup answers None and is tried again next time.
    """
    if api.links.known(project_id):
        return api.links.page(project_id)
    try:
        pages = api._paginate("/projects", ProjectsPage, {}, 300, retry=_LINK_LOOKUP)
        for project in _learning(api, pages):
            if project.identifier == project_id:
                break
    except BstmError:
        return None
    api.links.learn(project_id, None)
    return api.links.page(project_id)


def run_web_url(api: ClientCore, project_id: str, run_id: str) -> str | None:
    """The run's page in the web UI, built from :meth:`project_web_url`; or None."""
    page = project_web_url(api, project_id)
    return None if page is None else _readings.run_web_url(page, run_id)


def iter_configurations(api: ClientCore, *, page_size: int = 300) -> Iterator[Configuration]:
    """Iterate over the account's configurations (all pages)."""
    return api._paginate(
        "/configurations", ConfigurationsPage, {}, _query.check_page_size(page_size)
    )

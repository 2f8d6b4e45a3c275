"""What one client learnt from the answers it read, kept for its life: the web links of
projects and runs, and the add/remove test cases path that works."""

from __future__ import annotations

import threading
from typing import TypeVar

from ._readings import on_host, project_web_url, run_web_url
from .models import TestRun

RunT = TypeVar("RunT", bound=TestRun)


class ProjectLinks:
    """The project pages (``https://host/projects/<numeric web ID>``) one client has seen,
    each on the host the client talks to (:func:`~pytest_bstm.api._readings.on_host`).

    A page is learnt from a project listing's ``urls.self`` or from any run answer carrying
    its own ``urls.self`` (the doc's close answer does); a run answer without a link then
    gets one built from its project's page. Safe to share between threads.
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._lock = threading.Lock()
        self._pages: dict[str, str | None] = {}

    def learn(self, project_id: str, page: str | None) -> None:
        """Remember ``page`` (on the client's host) for ``project_id`` (None: looked up, and
        not known)."""
        page = None if page is None else on_host(page, self.base_url)
        with self._lock:
            if page is not None or project_id not in self._pages:
                self._pages[project_id] = page

    def known(self, project_id: str) -> bool:
        """Whether the project's page was learnt or looked up already."""
        with self._lock:
            return project_id in self._pages

    def page(self, project_id: str) -> str | None:
        with self._lock:
            return self._pages.get(project_id)

    def link(self, project_id: str, run: RunT) -> RunT:
        """``run`` with ``urls.self`` filled from its project's page when it has none."""
        own = project_web_url(run.urls)
        if own is not None:
            self.learn(project_id, own)
            moved = on_host(str(run.urls["self"]), self.base_url)
            return run.model_copy(update={"urls": {**run.urls, "self": moved}})
        page = self.page(project_id)
        if page is None or run.urls.get("self"):
            return run
        urls = {**run.urls, "self": run_web_url(page, run.identifier)}
        return run.model_copy(update={"urls": urls})


class CaseChangePath:
    """The add/remove test cases path found to work (one of
    :data:`~pytest_bstm.api._readings.CASE_CHANGE_PATHS`); None until a change was accepted."""

    def __init__(self) -> None:
        self.chosen: str | None = None

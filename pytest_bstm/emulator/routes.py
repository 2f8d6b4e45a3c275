"""The URL map of the emulated API (under ``/api/v2``) and of the run pages links point at."""

from __future__ import annotations

import re
from urllib.parse import unquote

from . import attachments, case_changes, folders, project_data, results, run_cases, runs
from .context import Handler
from .errors import ApiError

_P = r"/api/v2/projects/(?P<project>[^/]+)"
_R = _P + r"/test-runs/(?P<run>[^/]+)"
_F = _P + r"/folders/(?P<folder>[^/]+)"

ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", r"/api/v2/projects", project_data.list_projects),
    ("GET", r"/api/v2/configurations", project_data.list_configurations),
    ("GET", _P + r"/test-cases", project_data.list_test_cases),
    ("GET", _P + r"/test-plans", project_data.list_test_plans),
    ("GET", _P + r"/folders", folders.list_folders),
    ("POST", _P + r"/folders", folders.create_folder),
    ("GET", _F, folders.get_folder),
    ("GET", _F + r"/sub-folders", folders.list_sub_folders),
    ("POST", _F + r"/test-cases", folders.create_test_case),
    ("GET", _P + r"/test-runs", runs.list_runs),
    ("POST", _P + r"/test-runs", runs.create_run),
    ("GET", _R, runs.get_run),
    ("POST", _R + r"/clone", run_cases.clone_run),
    ("GET", _R + r"/test-cases", run_cases.list_run_cases),
    ("PATCH", _R + r"/update", runs.patch_run),
    ("POST", _R + r"/update", runs.replace_run),
    ("POST", _R + r"/assign", run_cases.assign),
    ("PATCH", _R + r"/update-test-cases", case_changes.at_documented_path),
    ("PATCH", _R + r"/test-cases", case_changes.at_test_cases_path),
    ("POST", _R + r"/close", runs.close_run),
    ("POST", _R + r"/delete", runs.delete_run),
    ("GET", _R + r"/results", results.list_results),
    ("POST", _R + r"/results", results.add_results),
    ("GET", _P + r"/test-results/(?P<run>\d+)/attachments", attachments.list_attachments),
    ("POST", _P + r"/test-results/(?P<run>\d+)/attachments", attachments.add_attachment),
    # where web links point (not under /api/v2): the run's details, for a browser
    ("GET", r"/projects/(?P<project>\d+)/test-runs/(?P<run>[^/]+)", runs.web_page),
]
_COMPILED = [(method, re.compile(pattern), handler) for method, pattern, handler in ROUTES]


def resolve(method: str, path: str) -> tuple[Handler, str, str]:
    """The handler for ``method path``, the project ID and the run (or folder) ID in the path."""
    path = path.rstrip("/") or "/"
    allowed = False
    for route_method, pattern, handler in _COMPILED:
        match = pattern.fullmatch(path)
        if match is None:
            continue
        if route_method == method:
            groups = match.groupdict()
            item = groups.get("run") or groups.get("folder") or ""
            return handler, unquote(groups.get("project") or ""), unquote(item)
        allowed = True
    if allowed:
        raise ApiError(405, "method_not_allowed", f"{method} is not supported on {path}")
    raise ApiError(404, "not_found", f"No such API endpoint: {path}")

"""Every reading of the API that its documentation leaves open, in one place.

Each rule names its source: the vendor reference (doc), the vendor's own code, a third-party
client that reports to the live service, or our choice. The envelopes, models and endpoint
mixins call these functions; nothing else decides how an ambiguous answer is read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pytest_bstm.vocabulary import MAX_ATTACHMENT_BYTES as _MAX_ATTACHMENT_BYTES
from pytest_bstm.vocabulary import SYSTEM_STATUSES

__all__ = [
    "ATTACHMENTS_PATH",
    "ATTACHMENT_FIELD",
    "ATTACHMENT_LIST_KEYS",
    "ATTACHMENT_METHOD",
    "ATTACHMENT_NAME_KEYS",
    "CASE_CHANGE_FALLBACK_STATUSES",
    "CASE_CHANGE_PATHS",
    "ENVELOPE_KEYS",
    "MAX_ATTACHMENT_BYTES",
    "RESULT_ID_KEYS",
    "RESULT_LIST_KEYS",
    "RUN_KEYS",
    "SYSTEM_STATUSES",
    "normalize_status",
    "on_host",
    "pick_run",
    "project_web_url",
    "read_attachment_names",
    "read_custom_fields",
    "read_issues",
    "run_web_url",
]

#: Keys an answer may hold its run under. The doc's examples use ``testrun`` for create,
#: update and close and ``test_run`` for clone and details; a third-party reporter that
#: reports live reads ``test_run`` from create; the vendor's code reads ``test_run`` or the
#: top level. Every run answer accepts all of them (and the top level, see :func:`pick_run`).
RUN_KEYS = ("testrun", "test_run")

#: Keys of the answer envelope itself, never part of a run given at the top level.
ENVELOPE_KEYS = frozenset({"success", "message", "error", "errors", "async", "unique_id"})

#: Add/remove test cases of a run: the doc names ``PATCH .../update-test-cases``; the
#: vendor's own code sends the same body to ``PATCH .../test-cases``. The documented path
#: is tried first; the other one when the first answers one of
#: :data:`CASE_CHANGE_FALLBACK_STATUSES` (our choice), and the one that worked is kept
#: for the rest of the client's life.
CASE_CHANGE_PATHS = ("/update-test-cases", "/test-cases")
CASE_CHANGE_FALLBACK_STATUSES = frozenset({404, 405})

#: The list key of a results page: ``test-results`` (doc); the others are tolerated.
RESULT_LIST_KEYS = ("test-results", "test_results", "results")

#: Where the answer to posting one result holds its ID: ``test-result`` (vendor code).
RESULT_ID_KEYS = ("test-result", "test_result", "result")

#: Attachments of a test result. The doc lists ``GET /api/v2/projects/{project_id}/
#: test-results/{test_result_id}/attachments`` and says that files can be added to results;
#: the result's numeric ID is ``latest_result_id`` in the run's test-case listing (doc). The
#: upload's form, a ``POST`` to the same path with the file in the multipart field ``file``,
#: at most 50 MB per file, is seen only in third-party material (our choice, made here alone).
#: The listing's shape is not shown either: the list is read from the first of
#: :data:`ATTACHMENT_LIST_KEYS` present, an item's name from :data:`ATTACHMENT_NAME_KEYS`.
ATTACHMENTS_PATH = "/projects/{project}/test-results/{result}/attachments"
ATTACHMENT_METHOD = "POST"
ATTACHMENT_FIELD = "file"
MAX_ATTACHMENT_BYTES = _MAX_ATTACHMENT_BYTES
ATTACHMENT_LIST_KEYS = ("attachments", "test_result_attachments", "files", "data")
ATTACHMENT_NAME_KEYS = ("name", "file_name", "filename")

_WEB_PROJECT = re.compile(r"^(?P<base>https?://[^/]+(?:/[^?#]*)?/projects/\d+)(?:/|$)")


def normalize_status(status: str) -> str:
    """A status name as written: system statuses in lower case (``"In Progress"`` ->
    ``"in_progress"``), custom statuses exactly as configured.

    The service matches names case-insensitively (the vendor's code writes lower case; a
    third-party reporter that posts live results writes ``Passed``); lower case is the form
    the doc's examples use.
    """
    lowered = status.strip().lower().replace(" ", "_")
    return lowered if lowered in SYSTEM_STATUSES else status


def pick_run(data: Any, run_id: str | None) -> Any:
    """The run of a run answer, as ``{..., "run": {...}}`` for the envelope model.

    The run is read from ``testrun`` or ``test_run`` when either holds an object, else from
    the top level (the envelope's own keys left out). A run without ``identifier`` gets
    ``run_id``, the ID the request named: PATCH answers carry only the changed fields (doc),
    and details have been seen without it (a tool measured against the live service).
    """
    if not isinstance(data, dict) or "run" in data:
        return data
    for key in RUN_KEYS:
        nested = data.get(key)
        if isinstance(nested, dict):
            rest = {k: v for k, v in data.items() if k != key}
            return {**rest, "run": _with_identifier(nested, run_id)}
    run = {k: v for k, v in data.items() if k not in ENVELOPE_KEYS}
    envelope = {k: v for k, v in data.items() if k in ENVELOPE_KEYS}
    return {**envelope, "run": _with_identifier(run, run_id)}


def _with_identifier(run: dict[str, Any], run_id: str | None) -> dict[str, Any]:
    if run_id is not None and not run.get("identifier"):
        return {**run, "identifier": run_id}
    return run


def read_issues(value: Any) -> Any:
    """Issue keys of a result: written as a list of keys, listed as objects
    ``{"issue_id", "created_at", "issue_type"}`` (doc). Both read as keys."""
    if value is None:
        return []
    if isinstance(value, list):
        keys: list[Any] = []
        for item in value:
            if isinstance(item, dict):
                key = item.get("issue_id")
                if key is not None:
                    keys.append(str(key))
            else:
                keys.append(item)
        return keys
    return value


def read_custom_fields(value: Any) -> Any:
    """Custom fields of a result: written as an object keyed by field name, listed as
    objects ``{"field_name", "value"}`` (doc). Both read as an object keyed by name."""
    if value is None:
        return {}
    if isinstance(value, list):
        fields: dict[str, Any] = {}
        for item in value:
            if isinstance(item, dict):
                name = item.get("field_name")
                if name is not None:
                    fields[str(name)] = item.get("value")
        return fields
    return value


def project_web_url(urls: Mapping[str, Any] | None) -> str | None:
    """A project's page (``https://host/projects/<numeric web ID>``) from its ``urls.self``
    (project listings carry it: a third-party client); also read from a run's ``urls.self``
    (``.../projects/<n>/test-runs/TR-n``, doc). None when absent or of another shape."""
    link = (urls or {}).get("self")
    if not isinstance(link, str):
        return None
    match = _WEB_PROJECT.match(link.strip())
    return match.group("base") if match else None


def on_host(page: str, base_url: str) -> str:
    """A web page the service named (``https://host/projects/<n>...``), on the host the client
    talks to: the web UI is served where the API is (the doc's examples use one host for
    both; the regional hosts alike), so a link from a regional host, a gateway or the emulator
    points there, not at the public site. Other shapes are kept as they are (our choice)."""
    match = _WEB_PROJECT.match(page.strip())
    if match is None:
        return page
    base = match.group("base")
    path = base[base.rindex("/projects/") :]
    return base_url.rstrip("/") + path + page.strip()[len(base) :]


def read_attachment_names(data: Mapping[str, Any]) -> list[str]:
    """The file names of a result's attachments listing (see :data:`ATTACHMENT_LIST_KEYS`)."""
    items: list[Any] = next(
        (data[k] for k in ATTACHMENT_LIST_KEYS if isinstance(data.get(k), list)), []
    )
    names = []
    for item in items:
        if isinstance(item, Mapping):
            name = next((item[k] for k in ATTACHMENT_NAME_KEYS if item.get(k)), None)
            if name is not None:
                names.append(str(name))
    return names


def run_web_url(project_url: str, run_id: str) -> str:
    """A run's page from its project's page (the doc's close answer shows the form)."""
    return f"{project_url}/test-runs/{run_id}"

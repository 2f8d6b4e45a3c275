"""Folder endpoints (list, sub-folders, create), creating a test case in a folder, and
changing one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import _query
from ._envelopes import Envelope, Page
from ._request import ClientCore
from ._runs import segment
from .case_models import Folder, NewTestCase
from .errors import InvalidRequestError
from .models import ProjectTestCase


class FoldersPage(Page[Folder]):
    """Top-level and sub-folder lists alike hold ``folders`` (vendor code)."""

    items_keys = ("folders",)


class FolderEnvelope(Envelope):
    """``{"folder": {...}}``."""

    folder: Folder


class TestCaseEnvelope(Envelope):
    """``{"test_case": {...}}``."""

    __test__ = False  # not a pytest test class

    test_case: ProjectTestCase


def _folder_id(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequestError(f"{name} must be a folder's numeric ID, not {value!r}")
    return value


def iter_folders(
    api: ClientCore, project_id: str, *, parent_id: int | None = None, page_size: int = 300
) -> Iterator[Folder]:
    """The project's top-level folders, or ``parent_id``'s direct sub-folders (all pages).

    ``GET .../folders`` and ``GET .../folders/{parent_id}/sub-folders`` (vendor code).
    """
    base = f"/projects/{segment('project_id', project_id)}/folders"
    if parent_id is not None:
        base += f"/{_folder_id('parent_id', parent_id)}/sub-folders"
    return api._paginate(base, FoldersPage, {}, _query.check_page_size(page_size))


def create_folder(
    api: ClientCore,
    project_id: str,
    *,
    name: str,
    parent_id: int | None = None,
    description: str | None = None,
) -> Folder:
    """Create a folder at the top level or under ``parent_id``.

    Not retried once it may have been sent (AmbiguousRequestError): look the folder up
    by name before creating it again.
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidRequestError(f"a folder needs a non-blank name, not {name!r}")
    folder: dict[str, Any] = {"name": name, "parent_id": None}
    if parent_id is not None:
        folder["parent_id"] = _folder_id("parent_id", parent_id)
    if description is not None:
        folder["description"] = description
    path = f"/projects/{segment('project_id', project_id)}/folders"
    body = {"folder": folder}
    return api._request("POST", path, model=FolderEnvelope, body=body, idempotent=False).folder


def create_test_case(
    api: ClientCore, project_id: str, folder_id: int, case: NewTestCase
) -> ProjectTestCase:
    """Create a test case in a folder; returns it with its new ``identifier`` ("TC-n").

    Not retried once it may have been sent (AmbiguousRequestError): look the case up
    (e.g. ``iter_project_test_cases(folder_id=...)``) before creating it again.
    """
    folder = _folder_id("folder_id", folder_id)
    path = f"/projects/{segment('project_id', project_id)}/folders/{folder}/test-cases"
    body = {"test_case": case.to_wire()}
    return api._request("POST", path, model=TestCaseEnvelope, body=body, idempotent=False).test_case


def update_test_case(
    api: ClientCore, project_id: str, case_id: str, *, automation_status: str
) -> ProjectTestCase:
    """Change one case's fields (vendor code: ``PATCH .../test-cases/{id}`` with
    ``{"test_case": {...}}``); today its ``automation_status`` (``automated``,
    ``not_automated``, ``automation_not_required``). Setting a value is idempotent."""
    path = f"/projects/{segment('project_id', project_id)}/test-cases/{segment('case_id', case_id)}"
    body = {"test_case": {"automation_status": automation_status}}
    return api._request("PATCH", path, model=TestCaseEnvelope, body=body, idempotent=True).test_case

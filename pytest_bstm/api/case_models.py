"""Pydantic models for organising a project's test cases: folders and new test cases.

Kept beside :mod:`pytest_bstm.api.models` (same conventions: responses lenient and frozen,
requests strict and serialised without ``None`` fields). A created case is answered in the
shape of :class:`~pytest_bstm.api.models.ProjectTestCase`.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .models import StrDict, _Request, _Response

__all__ = ["Folder", "NewTestCase", "TestCaseStep"]


class Folder(_Response):
    """A test case folder; ``parent_id`` is None at the project's top level.

    ``cases_count`` and ``sub_folders_count`` count direct children only (doc).
    """

    id: int
    name: str
    description: str | None = None
    parent_id: int | None = None
    cases_count: int | None = None
    sub_folders_count: int | None = None
    links: StrDict = {}


class TestCaseStep(_Request):
    """One step of a new test case and its expected result."""

    __test__ = False  # not a pytest test class

    step: str
    result: str


class NewTestCase(_Request):
    """The body of a test case to create in a folder (vendor code).

    ``priority`` and ``case_type`` take the project's display names ("Medium", "Functional");
    leave them out for the project's defaults. ``automation_status`` is ``not_automated``,
    ``automated`` or ``automation_not_required``.
    """

    name: str = Field(min_length=1)
    description: str | None = None
    preconditions: str | None = None
    owner: str | None = None
    tags: list[str] | None = None
    issues: list[str] | None = None
    automation_status: str | None = None
    priority: str | None = None
    case_type: str | None = None
    test_case_steps: list[TestCaseStep] | None = None
    custom_fields: dict[str, Any] | None = None

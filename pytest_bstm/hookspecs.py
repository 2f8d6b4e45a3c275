"""Hooks pytest-bstm offers to ``conftest.py`` files and plugins."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_bstm.collect.mapping import CaseRef
    from pytest_bstm.results.model import Result
    from pytest_bstm.run.info import RunInfo
    from pytest_bstm.session.summary import Summary


@pytest.hookspec(firstresult=True)
def pytest_bstm_case_ids(item: pytest.Item) -> Sequence[str | CaseRef] | None:
    """Return the TM case IDs ``item`` covers (``["TC-1"]``), or None to defer.

    The built-in reader of the ``tc`` marker is a ``trylast`` implementation, so any
    ``conftest.py`` implementation that returns a list replaces it for that item.
    """


@pytest.hookspec
def pytest_bstm_run_payload(config: pytest.Config, payload: dict[str, Any]) -> None:
    """Adjust the JSON body (in place) of the create or clone request before it is sent."""


@pytest.hookspec
def pytest_bstm_result(config: pytest.Config, result: Result) -> bool | None:
    """Adjust ``result`` (status, description, custom_fields, issues) in place; return False to
    drop it."""


@pytest.hookspec
def pytest_bstm_run_ready(config: pytest.Config, run: RunInfo) -> None:
    """The run is known (created, cloned or joined) and holds the collected cases."""


@pytest.hookspec
def pytest_bstm_session_finished(
    config: pytest.Config, run: RunInfo | None, summary: Summary
) -> None:
    """Called after the last upload and the close, before the terminal summary is written."""

"""Plain JSON-like copies of the emulator's state, for assertions in tests."""

from __future__ import annotations

from typing import Any

from .state import Folder, Result, Run, RunCase, TestCase
from .views import run_configurations


def _copy(value: Any) -> Any:
    """``value`` with its lists and dicts copied, so that a snapshot never changes later."""
    if isinstance(value, list):
        return [_copy(item) for item in value]
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    return value


def _plain(record: object, names: str) -> dict[str, Any]:
    """The attributes ``names`` (space-separated) of ``record`` as a plain dict."""
    return {name: _copy(getattr(record, name)) for name in names.split()}


def run_record(run: Run) -> dict[str, Any]:
    record = _plain(
        run,
        "identifier project_id name description run_state active_state assignee "
        "test_case_assignee tags issues configurations test_plan_id sub_test_plan_id "
        "created_at updated_at closed_at",
    )
    record["configurations"] = run_configurations(run)
    return record


def case_record(case: RunCase) -> dict[str, Any]:
    return _plain(case, "test_case_id configuration_id assignee latest_status")


def result_record(result: Result) -> dict[str, Any]:
    return _plain(
        result,
        "id test_case_id configuration_id status description issues custom_fields "
        "duration_in_ms created_at attachments",
    )


def folder_record(folder: Folder) -> dict[str, Any]:
    return _plain(folder, "id name description parent_id")


def test_case_record(case: TestCase) -> dict[str, Any]:
    return _plain(
        case,
        "identifier title description folder_id tags automation_status priority case_type "
        "owner steps custom_fields",
    )

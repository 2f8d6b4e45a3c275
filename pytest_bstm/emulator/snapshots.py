"""Plain JSON-like copies of the emulator's state, for assertions in tests."""

from __future__ import annotations

from typing import Any

from .state import Folder, Result, Run, RunCase, TestCase
from .views import run_configurations


def run_record(run: Run) -> dict[str, Any]:
    return {
        "identifier": run.identifier,
        "project_id": run.project_id,
        "name": run.name,
        "description": run.description,
        "run_state": run.run_state,
        "active_state": run.active_state,
        "assignee": run.assignee,
        "test_case_assignee": run.test_case_assignee,
        "tags": list(run.tags),
        "issues": list(run.issues),
        "configurations": run_configurations(run),
        "test_plan_id": run.test_plan_id,
        "sub_test_plan_id": run.sub_test_plan_id,
        "created_at": run.created_at,
        "updated_at": run.updated_at,
        "closed_at": run.closed_at,
    }


def case_record(case: RunCase) -> dict[str, Any]:
    return {
        "test_case_id": case.test_case_id,
        "configuration_id": case.configuration_id,
        "assignee": case.assignee,
        "latest_status": case.latest_status,
    }


def result_record(result: Result) -> dict[str, Any]:
    return {
        "id": result.id,
        "test_case_id": result.test_case_id,
        "configuration_id": result.configuration_id,
        "status": result.status,
        "description": result.description,
        "issues": list(result.issues),
        "custom_fields": dict(result.custom_fields),
        "duration_in_ms": result.duration_in_ms,
        "created_at": result.created_at,
        "attachments": [dict(a) for a in result.attachments],
    }


def folder_record(folder: Folder) -> dict[str, Any]:
    return {
        "id": folder.id,
        "name": folder.name,
        "description": folder.description,
        "parent_id": folder.parent_id,
    }


def test_case_record(case: TestCase) -> dict[str, Any]:
    return {
        "identifier": case.identifier,
        "title": case.title,
        "description": case.description,
        "folder_id": case.folder_id,
        "tags": list(case.tags),
        "automation_status": case.automation_status,
        "priority": case.priority,
        "case_type": case.case_type,
        "owner": case.owner,
        "steps": [dict(step) for step in case.steps],
        "custom_fields": dict(case.custom_fields),
    }

"""Plain JSON-like copies of the emulator's state, for assertions in tests."""

from __future__ import annotations

from typing import Any

from .state import Result, Run, RunCase
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
    }

"""Emulator: adding and listing test results."""

from __future__ import annotations

import pytest
import requests

from pytest_bstm.emulator import Emulator

RUN = "/projects/PR-1/test-runs/TR-1"


@pytest.fixture
def run_id(emulator_api: requests.Session) -> str:
    body = {"test_run": {"name": "Results", "test_cases": ["TC-1", "TC-2", "TC-3"]}}
    answer = emulator_api.post("/projects/PR-1/test-runs", json=body)
    return str(answer.json()["testrun"]["identifier"])


def result(case: str, status: str, **extra: object) -> dict[str, object]:
    entry: dict[str, object] = {"test_case_id": case, "test_result": {"status": status}}
    entry.update(extra)
    return entry


def test_single_result_is_stored_and_listed(
    emulator: Emulator, emulator_api: requests.Session, run_id: str
) -> None:
    body = result("TC-1", "passed")
    body["test_result"] = {
        "status": "passed",
        "description": "ok",
        "issues": ["BUG-1"],
        "custom_fields": {"build": "42"},
        "duration_in_ms": 1200,
        "comment": "dropped",
    }
    answer = emulator_api.post(RUN + "/results", json=body)
    assert answer.json() == {"success": True, "test-result": {"id": 1}}
    [stored] = emulator.results(run_id)
    assert stored["status"] == "passed"
    assert stored["duration_in_ms"] == 1200
    assert stored["issues"] == ["BUG-1"]
    listing = emulator_api.get(RUN + "/results").json()
    [item] = listing["test-results"]
    assert item["result_status"] == {"field_value": "Passed"}
    assert item["test_case_id"] == "TC-1"
    assert item["test_run_id"] == "TR-1"
    assert item["description"] == "ok"
    assert item["created_at"].endswith("Z")
    assert item["created_by"] == emulator.username
    # written as keys and an object keyed by name, listed in the doc's shapes
    assert item["issues"] == [
        {"issue_id": "BUG-1", "created_at": item["created_at"], "issue_type": "jira"}
    ]
    assert item["custom_fields"] == [{"field_name": "build", "value": "42"}]
    assert {"step_result", "updated_at"} <= set(item)


def test_results_drive_run_progress(
    emulator: Emulator, emulator_api: requests.Session, run_id: str
) -> None:
    assert emulator.run(run_id)["run_state"] == "new_run"
    bulk = [result("TC-1", "passed"), result("TC-2", "in_progress"), result("TC-3", "flaky")]
    answer = emulator_api.post(RUN + "/results", json={"results": bulk})
    assert answer.status_code == 200
    assert answer.json()["test-results"] == [{"id": 1}, {"id": 2}, {"id": 3}]
    assert emulator.run(run_id)["run_state"] == "in_progress"
    emulator_api.post(RUN + "/results", json=result("TC-1", "failed"))
    run = emulator_api.get(RUN).json()["test_run"]
    assert run["overall_progress"]["failed"] == 1
    assert run["overall_progress"]["flaky"] == 1
    assert run["overall_progress"]["in_progress"] == 1
    assert (run["passed_count"], run["failed_count"], run["customstatus_count"]) == (0, 1, 1)
    statuses = {c["identifier"]: c["latest_status"] for c in run["test_cases"]}
    assert statuses == {"TC-1": "Failed", "TC-2": "In Progress", "TC-3": "Flaky"}
    assert run["test_cases"][0]["latest_result_id"] == 4


def test_unknown_case_is_answered_and_dropped(
    emulator: Emulator, emulator_api: requests.Session, run_id: str
) -> None:
    answer = emulator_api.post(RUN + "/results", json=result("TC-404", "passed"))
    assert answer.status_code == 200
    assert answer.json()["success"] is True
    bulk = [result("TC-1", "passed"), result("TC-405", "failed")]
    assert emulator_api.post(RUN + "/results", json={"results": bulk}).status_code == 200
    assert [r["test_case_id"] for r in emulator.results(run_id)] == ["TC-1"]


def test_case_of_project_outside_run_rejects_whole_request(
    emulator: Emulator, emulator_api: requests.Session, run_id: str
) -> None:
    bulk = [result("TC-1", "passed"), result("TC-9", "passed")]
    answer = emulator_api.post(RUN + "/results", json={"results": bulk})
    assert answer.status_code == 400
    assert answer.json()["error"] == "test_case_not_in_run"
    wrong_config = result("TC-1", "passed", configuration_id=101)
    assert emulator_api.post(RUN + "/results", json=wrong_config).status_code == 400
    assert emulator.results(run_id) == []


def test_configured_entries_need_their_configuration(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    body = {"test_run": {"test_cases": ["TC-1"], "configurations": [101, 102]}}
    emulator_api.post("/projects/PR-1/test-runs", json=body)
    assert emulator_api.post(RUN + "/results", json=result("TC-1", "passed")).status_code == 400
    ok = result("TC-1", "passed", configuration_id=102)
    assert emulator_api.post(RUN + "/results", json=ok).status_code == 200
    latest = {c["configuration_id"]: c["latest_status"] for c in emulator.run_cases("TR-1")}
    assert latest == {101: "untested", 102: "passed"}


@pytest.mark.parametrize(
    "body",
    [
        result("TC-1", "great"),
        result("TC-1", "Passedd"),
        {"test_case_id": "TC-1"},
        {"test_result": {"status": "passed"}},
        result("TC-1", "passed", configuration_id="101"),
        result("TC-1", "passed", comment="top-level fields are checked"),
        {"results": []},
        {"results": [result("TC-1", "passed")] * 301},
    ],
)
def test_invalid_results_are_400(
    emulator: Emulator, emulator_api: requests.Session, run_id: str, body: dict[str, object]
) -> None:
    answer = emulator_api.post(RUN + "/results", json=body)
    assert answer.status_code == 400
    assert answer.json()["success"] is False
    assert emulator.results(run_id) == []


def test_bulk_of_300_is_accepted(
    emulator: Emulator, emulator_api: requests.Session, run_id: str
) -> None:
    bulk = [result("TC-2", "retest")] * 300
    assert emulator_api.post(RUN + "/results", json={"results": bulk}).status_code == 200
    assert len(emulator.results(run_id)) == 300
    page = emulator_api.get(RUN + "/results", params={"page_size": 300, "p": 1}).json()
    assert len(page["test-results"]) == 300
    assert page["info"]["next"] is None
    first = emulator_api.get(RUN + "/results").json()
    assert first["info"] == {"page": 1, "page_size": 30, "count": 300, "prev": None, "next": 2}


def test_results_of_unknown_run_are_404(emulator_api: requests.Session) -> None:
    assert emulator_api.get(RUN + "/results").status_code == 404
    assert emulator_api.post(RUN + "/results", json=result("TC-1", "passed")).status_code == 404

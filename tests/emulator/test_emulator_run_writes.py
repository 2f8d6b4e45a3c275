"""Emulator: updating, closing and deleting runs, and the closed-run rules."""

from __future__ import annotations

import requests

from pytest_bstm.emulator import Emulator

RUNS = "/projects/PR-1/test-runs"
REPLACE_BODY = {
    "name": "Replaced",
    "description": "new",
    "run_state": "in_progress",
    "assignee": "lead@example.com",
    "test_case_assignee": None,
    "tags": ["t"],
    "issues": [],
    "configurations": [],
    "test_cases": ["TC-2", "TC-5"],
    "folder_ids": [],
}


def create(api: requests.Session, **fields: object) -> str:
    answer = api.post(RUNS, json={"test_run": fields})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["testrun"]["identifier"])


def post_result(api: requests.Session, run_id: str, case: str, status: str) -> None:
    body = {"test_case_id": case, "test_result": {"status": status}}
    assert api.post(f"{RUNS}/{run_id}/results", json=body).status_code == 200


def test_patch_changes_only_given_fields(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    run_id = create(emulator_api, name="Before", tags=["a"], issues=["X-1"], test_cases=["TC-1"])
    answer = emulator_api.patch(f"{RUNS}/{run_id}/update", json={"test_run": {"name": "After"}})
    assert answer.status_code == 200
    assert answer.json()["testrun"]["name"] == "After"
    run = emulator.run(run_id)
    assert (run["tags"], run["issues"]) == (["a"], ["X-1"])
    assert len(emulator.run_cases(run_id)) == 1
    emulator_api.patch(f"{RUNS}/{run_id}/update", json={"test_run": {"tags": []}})
    assert emulator.run(run_id)["tags"] == []


def test_patch_test_cases_keeps_results_of_remaining_entries(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    run_id = create(emulator_api, test_cases=["TC-1", "TC-2"])
    post_result(emulator_api, run_id, "TC-1", "passed")
    post_result(emulator_api, run_id, "TC-2", "failed")
    body = {"test_run": {"test_cases": ["TC-1", "TC-3"], "sub_test_plan_id": "STP-1"}}
    assert emulator_api.patch(f"{RUNS}/{run_id}/update", json=body).status_code == 200
    cases = {c["test_case_id"]: c["latest_status"] for c in emulator.run_cases(run_id)}
    assert cases == {"TC-1": "passed", "TC-3": "untested"}
    assert [r["test_case_id"] for r in emulator.results(run_id)] == ["TC-1"]
    assert emulator.run(run_id)["sub_test_plan_id"] == "STP-1"


def test_patch_validates_like_create(emulator_api: requests.Session) -> None:
    run_id = create(emulator_api)
    url = f"{RUNS}/{run_id}/update"
    bad = emulator_api.patch(url, json={"test_run": {"test_cases": ["TC-404"]}})
    assert bad.json()["error"] == "invalid_test_case_id"
    both = {"test_plan_id": "TP-1", "sub_test_plan_id": "STP-1"}
    assert emulator_api.patch(url, json={"test_run": both}).status_code == 400


def test_post_update_requires_complete_body_and_replaces_cases(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    run_id = create(emulator_api, test_cases=["TC-1"])
    url = f"{RUNS}/{run_id}/update"
    for missing in REPLACE_BODY:
        partial = {k: v for k, v in REPLACE_BODY.items() if k != missing}
        answer = emulator_api.post(url, json={"test_run": partial})
        assert answer.status_code == 400, missing
        assert missing in answer.json()["message"]
    answer = emulator_api.post(url, json={"test_run": REPLACE_BODY})
    assert answer.status_code == 200
    assert answer.json()["testrun"]["name"] == "Replaced"
    assert answer.json()["testrun"]["test_cases_count"] == 2
    assert [c["test_case_id"] for c in emulator.run_cases(run_id)] == ["TC-2", "TC-5"]
    assert emulator.run(run_id)["run_state"] == "in_progress"


def test_close_answers_closed_run_with_web_url(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    run_id = create(emulator_api, name="To close")
    answer = emulator_api.post(f"{RUNS}/{run_id}/close")
    assert answer.status_code == 200
    run = answer.json()["testrun"]
    assert (run["active_state"], run["run_state"]) == ("closed", "closed")
    assert (
        run["urls"]["self"] == "https://test-management.browserstack.com/projects/1/test-runs/TR-1"
    )
    assert run["links"]["self"] == "/api/v2/projects/PR-1/test-runs/TR-1"
    assert emulator.run(run_id)["closed_at"] is not None


def test_closed_run_refuses_writes_but_reads(emulator_api: requests.Session) -> None:
    run_id = create(emulator_api, test_cases=["TC-1"])
    post_result(emulator_api, run_id, "TC-1", "passed")
    emulator_api.post(f"{RUNS}/{run_id}/close")
    base = f"{RUNS}/{run_id}"
    writes = [
        ("POST", "/close", None),
        ("POST", "/delete", None),
        ("PATCH", "/update", {"test_run": {"name": "x"}}),
        ("POST", "/update", {"test_run": REPLACE_BODY}),
        ("POST", "/assign", {"assign_to": [{"test_case_id": "TC-1", "assignee": "a@b.co"}]}),
        (
            "PATCH",
            "/update-test-cases",
            {"test_run": {"add_test_cases": [{"test_case_ids": ["TC-2"]}]}},
        ),
        ("POST", "/results", {"test_case_id": "TC-1", "test_result": {"status": "failed"}}),
    ]
    for method, suffix, body in writes:
        answer = emulator_api.request(method, base + suffix, json=body)
        assert answer.status_code == 404, suffix
        assert answer.json() == {"success": False, "message": "Test Run ID is invalid"}
    assert emulator_api.get(base).json()["test_run"]["active_state"] == "closed"
    assert emulator_api.get(base + "/test-cases").status_code == 200
    assert len(emulator_api.get(base + "/results").json()["test-results"]) == 1


def test_run_state_closed_closes_the_run(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    run_id = create(emulator_api)
    emulator_api.patch(f"{RUNS}/{run_id}/update", json={"test_run": {"run_state": "closed"}})
    assert emulator.run(run_id)["active_state"] == "closed"


def test_delete_removes_the_run(emulator: Emulator, emulator_api: requests.Session) -> None:
    run_id = create(emulator_api)
    answer = emulator_api.post(f"{RUNS}/{run_id}/delete")
    assert answer.json() == {
        "success": True,
        "message": "Test Run TR-1 has been deleted successfully",
    }
    assert emulator.runs() == []
    assert emulator_api.get(f"{RUNS}/{run_id}").status_code == 404
    assert emulator_api.post(f"{RUNS}/{run_id}/delete").status_code == 404
    assert create(emulator_api) == "TR-2"


def test_patch_configurations_repairs_current_cases(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    run_id = create(emulator_api, test_cases=["TC-1", "TC-2"])
    url = f"{RUNS}/{run_id}/update"
    emulator_api.patch(url, json={"test_run": {"configurations": [101]}})
    keys = [(c["test_case_id"], c["configuration_id"]) for c in emulator.run_cases(run_id)]
    assert keys == [("TC-1", 101), ("TC-2", 101)]
    cmap = [{"test_case_id": "TC-2", "configuration_ids": [102, 103]}]
    emulator_api.patch(url, json={"test_run": {"configuration_map": cmap}})
    keys = [(c["test_case_id"], c["configuration_id"]) for c in emulator.run_cases(run_id)]
    assert keys == [("TC-1", 101), ("TC-2", 102), ("TC-2", 103)]
    assert emulator.run(run_id)["configurations"] == [101, 102, 103]

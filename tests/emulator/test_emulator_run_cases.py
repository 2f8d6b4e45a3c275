"""Emulator: a run's test cases (listing, assign, update-test-cases) and cloning."""

from __future__ import annotations

import uuid

import pytest
import requests

from pytest_bstm.emulator import Emulator

RUNS = "/projects/PR-1/test-runs"


def create(api: requests.Session, **fields: object) -> str:
    answer = api.post(RUNS, json={"test_run": fields})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["testrun"]["identifier"])


def post_result(
    api: requests.Session, run_id: str, case: str, status: str, **extra: object
) -> None:
    body = {"test_case_id": case, "test_result": {"status": status}, **extra}
    assert api.post(f"{RUNS}/{run_id}/results", json=body).status_code == 200


def keys(emulator: Emulator, run_id: str) -> list[tuple[str, int | None]]:
    return [(c["test_case_id"], c["configuration_id"]) for c in emulator.run_cases(run_id)]


def test_run_test_cases_paginate_and_minify(emulator_api: requests.Session) -> None:
    run_id = create(emulator_api, include_all=True)
    url = f"{RUNS}/{run_id}/test-cases"
    first = emulator_api.get(url).json()
    assert first["info"] == {"page": 1, "page_size": 30, "count": 60, "prev": None, "next": 2}
    item = first["test_cases"][0]
    assert item["identifier"] == "TC-1"
    assert item["latest_status"] == "untested"
    assert item["steps"] == []
    assert item["folder_path"] == [1]
    assert item["source_project_id"] == "PR-1"
    second = emulator_api.get(url, params={"p": 2}).json()
    assert second["test_cases"][-1]["identifier"] == "TC-60"
    assert second["info"]["next"] is None
    assert len(emulator_api.get(url, params={"page_size": "300"}).json()["test_cases"]) == 60
    bad = emulator_api.get(url, params={"page_size": "100"})
    assert (bad.status_code, bad.json()["message"]) == (400, "Invalid page_size")
    mini = emulator_api.get(url, params={"minify": "true"}).json()["test_cases"][0]
    assert set(mini) == {"description", "identifier", "name", "latest_status"}


def test_fetch_steps_returns_first_30_with_steps(emulator_api: requests.Session) -> None:
    run_id = create(emulator_api, include_all=True)
    answer = emulator_api.get(f"{RUNS}/{run_id}/test-cases", params={"fetch_steps": "true"}).json()
    assert len(answer["test_cases"]) == 30
    assert answer["info"]["next"] is None
    steps = answer["test_cases"][0]["steps"]
    assert [s["order"] for s in steps] == [1, 2]
    assert {"id", "description", "result"} <= set(steps[0])


def test_assign_per_entry(emulator: Emulator, emulator_api: requests.Session) -> None:
    run_id = create(emulator_api, test_cases=["TC-1", "TC-2"], configurations=[101, 102])
    url = f"{RUNS}/{run_id}/assign"
    body = {"assign_to": [{"test_case_id": "TC-2", "configuration_id": 102, "assignee": "q@x.io"}]}
    assert emulator_api.post(url, json=body).json() == {"success": True}
    assigned = {
        (c["test_case_id"], c["configuration_id"]): c["assignee"]
        for c in emulator.run_cases(run_id)
    }
    assert assigned[("TC-2", 102)] == "q@x.io"
    assert assigned[("TC-2", 101)] is None
    for entry, error in [
        ({"test_case_id": "TC-2", "assignee": "q@x.io"}, "validation_failed"),
        (
            {"test_case_id": "TC-3", "configuration_id": 101, "assignee": "q@x.io"},
            "test_case_not_in_run",
        ),
        (
            {"test_case_id": "TC-2", "configuration_id": 103, "assignee": "q@x.io"},
            "test_case_not_in_run",
        ),
        (
            {"test_case_id": "TC-404", "configuration_id": 101, "assignee": "q@x.io"},
            "invalid_test_case_id",
        ),
        (
            {"test_case_id": "TC-2", "configuration_id": 101, "assignee": "nobody"},
            "validation_failed",
        ),
    ]:
        answer = emulator_api.post(url, json={"assign_to": [entry]})
        assert (answer.status_code, answer.json()["error"]) == (400, error), entry
    assert emulator_api.post(url, json={"assign_to": []}).status_code == 400


def test_assign_without_configurations(emulator: Emulator, emulator_api: requests.Session) -> None:
    run_id = create(emulator_api, test_cases=["TC-1"])
    body = {"assign_to": [{"test_case_id": "TC-1", "assignee": "me@x.io"}]}
    assert emulator_api.post(f"{RUNS}/{run_id}/assign", json=body).status_code == 200
    assert emulator.run_cases(run_id)[0]["assignee"] == "me@x.io"


def change(api: requests.Session, run_id: str, test_run: object) -> requests.Response:
    return api.patch(f"{RUNS}/{run_id}/update-test-cases", json={"test_run": test_run})


def test_update_test_cases_is_async(emulator: Emulator, emulator_api: requests.Session) -> None:
    run_id = create(emulator_api, test_cases=["TC-1", "TC-2"])
    post_result(emulator_api, run_id, "TC-1", "passed")
    post_result(emulator_api, run_id, "TC-2", "failed")
    answer = change(
        emulator_api,
        run_id,
        {
            "add_test_cases": [
                {"test_case_ids": ["TC-3", "TC-1"]},
                {"test_case_ids": ["TC-4"], "configuration_ids": [101, 102]},
            ],
            "remove_test_cases": [{"test_case_ids": ["TC-2", "TC-9"]}],
            "preserve_existing_results": True,
        },
    )
    assert answer.status_code == 202
    body = answer.json()
    assert (body["success"], body["async"]) == (True, True)
    uuid.UUID(body["unique_id"])
    assert keys(emulator, run_id) == [("TC-1", None), ("TC-2", None)]
    assert emulator.wait_idle(timeout=2)
    assert keys(emulator, run_id) == [("TC-1", None), ("TC-3", None), ("TC-4", 101), ("TC-4", 102)]
    assert emulator.run_cases(run_id)[0]["latest_status"] == "passed"
    assert [r["test_case_id"] for r in emulator.results(run_id)] == ["TC-1"]
    events = {e["operation"]: e["affected_mapping_count"] for e in emulator.async_events()}
    assert events == {"add": 3, "remove": 1}


def test_update_test_cases_without_preserve_resets_results(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    run_id = create(emulator_api, test_cases=["TC-1"])
    post_result(emulator_api, run_id, "TC-1", "passed")
    assert (
        change(emulator_api, run_id, {"add_test_cases": [{"test_case_ids": ["TC-2"]}]}).status_code
        == 202
    )
    assert emulator.wait_idle(timeout=2)
    assert [c["latest_status"] for c in emulator.run_cases(run_id)] == ["untested", "untested"]
    assert emulator.results(run_id) == []


@pytest.mark.parametrize(
    ("test_run", "error"),
    [
        ({}, "operation_required"),
        ({"add_test_cases": [], "remove_test_cases": []}, "operation_required"),
        (
            {"add_test_cases": [{"test_case_ids": ["TC-1"]}], "preserve_existing_results": "yes"},
            "invalid_preserve_flag",
        ),
        ({"add_test_cases": [{"test_case_id": ["TC-1"]}]}, "invalid_entry_shape"),
        ({"add_test_cases": ["TC-1"]}, "invalid_entry_shape"),
        ({"add_test_cases": {"test_case_ids": ["TC-1"]}}, "invalid_entry_shape"),
        (
            {"add_test_cases": [{"test_case_ids": ["TC-1"], "configuration_ids": ["101"]}]},
            "invalid_entry_shape",
        ),
        ({"add_test_cases": [{"test_case_ids": ["TC-404"]}]}, "invalid_test_case_id"),
        ({"remove_test_cases": [{"test_case_ids": ["TC-1001"]}]}, "invalid_test_case_id"),
        (
            {"add_test_cases": [{"test_case_ids": ["TC-1"], "configuration_ids": [999]}]},
            "invalid_configuration_ids",
        ),
        ({"add_test_cases": [{"test_case_ids": ["TC-1", "TC-1"]}]}, "duplicate_test_case_id"),
        (
            {
                "add_test_cases": [{"test_case_ids": ["TC-1"]}],
                "remove_test_cases": [{"test_case_ids": ["TC-1"]}],
            },
            "validation_failed",
        ),
    ],
)
def test_update_test_cases_validation(
    emulator: Emulator, emulator_api: requests.Session, test_run: dict[str, object], error: str
) -> None:
    run_id = create(emulator_api, test_cases=["TC-5"])
    answer = change(emulator_api, run_id, test_run)
    assert answer.status_code == 400
    assert answer.json()["error"] == error
    assert emulator.wait_idle(timeout=1)
    assert keys(emulator, run_id) == [("TC-5", None)]


def test_update_test_cases_limit_counts_pairs() -> None:
    with Emulator(max_cases_per_request=4, apply_delay=0.0) as emu:
        api = requests.Session()
        api.auth = (emu.username, emu.access_key)
        url = f"{emu.url}/api/v2{RUNS}"
        api.post(url, json={"test_run": {"name": "limit"}})
        pairs = {"test_case_ids": ["TC-1", "TC-2", "TC-3"], "configuration_ids": [101, 102]}
        answer = api.patch(
            f"{url}/TR-1/update-test-cases", json={"test_run": {"add_test_cases": [pairs]}}
        )
        assert answer.json()["error"] == "max_test_cases_per_request_exceeded"
        four = {"test_case_ids": ["TC-1", "TC-2"], "configuration_ids": [101, 102]}
        answer = api.patch(
            f"{url}/TR-1/update-test-cases", json={"test_run": {"add_test_cases": [four]}}
        )
        assert answer.status_code == 202
        assert emu.wait_idle(timeout=1)
        assert len(emu.run_cases("TR-1")) == 4
        api.close()


def test_clone_all_populates_after_delay(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    source = create(
        emulator_api,
        name="Sprint",
        tags=["Regression"],
        issues=["X-1"],
        test_plan_id="TP-1",
        test_cases=["TC-1", "TC-2"],
        configurations=[101],
    )
    post_result(emulator_api, source, "TC-1", "failed", configuration_id=101)
    emulator_api.post(
        f"{RUNS}/{source}/assign",
        json={
            "assign_to": [{"test_case_id": "TC-1", "configuration_id": 101, "assignee": "a@x.io"}]
        },
    )
    answer = emulator_api.post(f"{RUNS}/{source}/clone", json={})
    assert answer.status_code == 200
    clone = answer.json()["test_run"]
    assert clone["identifier"] == "TR-2"
    assert clone["name"] == "Sprint - Copy"
    assert clone["run_state"] == "new_run"
    assert clone["tags"] == ["Regression"]
    assert clone["configurations"] == [101]
    assert clone["test_case_summary"]["untested"] == 2
    assert clone["test_case_summary"]["failed"] == 0
    assert clone["links"]["test_cases"] == "/api/v2/projects/PR-1/test-runs/TR-2/test-cases"
    record = emulator.run("TR-2")
    assert (record["issues"], record["test_plan_id"]) == ([], None)
    assert emulator.wait_idle(timeout=2)
    cases = emulator.run_cases("TR-2")
    assert [(c["test_case_id"], c["latest_status"], c["assignee"]) for c in cases] == [
        ("TC-1", "untested", "a@x.io"),
        ("TC-2", "untested", None),
    ]


def test_clone_is_empty_until_populated() -> None:
    with Emulator(clone_delay=0.3) as emu:
        api = requests.Session()
        api.auth = (emu.username, emu.access_key)
        url = f"{emu.url}/api/v2{RUNS}"
        api.post(url, json={"test_run": {"test_cases": ["TC-1"]}})
        assert api.post(f"{url}/TR-1/clone", json={}).status_code == 200
        assert api.get(f"{url}/TR-2/test-cases").json()["test_cases"] == []
        assert emu.wait_idle(timeout=2)
        assert len(api.get(f"{url}/TR-2/test-cases").json()["test_cases"]) == 1
        api.close()


def test_clone_by_results_and_options(emulator: Emulator, emulator_api: requests.Session) -> None:
    source = create(
        emulator_api, name="S", tags=["t"], issues=["X-1"], test_cases=["TC-1", "TC-2", "TC-3"]
    )
    post_result(emulator_api, source, "TC-1", "failed")
    post_result(emulator_api, source, "TC-2", "passed")
    post_result(emulator_api, source, "TC-3", "passed")
    post_result(emulator_api, source, "TC-3", "blocked")
    emulator_api.post(
        f"{RUNS}/{source}/assign",
        json={"assign_to": [{"test_case_id": "TC-1", "assignee": "a@x.io"}]},
    )
    body = {
        "test_case_selection": "by_results",
        "statuses": ["failed", "blocked"],
        "copy_tc_assignee": False,
        "copy_tags": False,
        "copy_issues": True,
        "name": "Re-run",
    }
    clone = emulator_api.post(f"{RUNS}/{source}/clone", json=body).json()["test_run"]
    assert clone["name"] == "Re-run"
    assert clone["tags"] == []
    assert clone["test_case_summary"]["untested"] == 2
    assert emulator.wait_idle(timeout=2)
    assert [(c["test_case_id"], c["assignee"]) for c in emulator.run_cases("TR-2")] == [
        ("TC-1", None),
        ("TC-3", None),
    ]
    assert emulator.run("TR-2")["issues"] == ["X-1"]


@pytest.mark.parametrize(
    "body",
    [
        {"test_case_selection": "some"},
        {"test_case_selection": "by_results"},
        {"test_case_selection": "by_results", "statuses": []},
        {"test_case_selection": "by_results", "statuses": ["exploded"]},
        {"test_case_selection": "all", "statuses": ["failed"]},
        {"statuses": ["failed"]},
        {"copy_tags": "yes"},
        {"unknown": 1},
    ],
)
def test_clone_validation(
    emulator: Emulator, emulator_api: requests.Session, body: dict[str, object]
) -> None:
    source = create(emulator_api, test_cases=["TC-1"])
    assert emulator_api.post(f"{RUNS}/{source}/clone", json=body).status_code == 400
    assert len(emulator.runs()) == 1


def test_clone_404s(emulator_api: requests.Session) -> None:
    source = create(emulator_api, test_cases=["TC-1"])
    assert emulator_api.post(f"{RUNS}/TR-99/clone", json={}).status_code == 404
    assert emulator_api.post(f"/projects/PR-2/test-runs/{source}/clone", json={}).status_code == 404


def test_clone_of_automated_run_is_404_and_closed_run_clones() -> None:
    seed = {
        "projects": [{"identifier": "PR-1", "test_cases": ["TC-1"]}],
        "runs": [
            {"project_id": "PR-1", "name": "CI", "test_cases": ["TC-1"], "automated": True},
            {"project_id": "PR-1", "name": "Old", "test_cases": ["TC-1"], "closed": True},
        ],
    }
    with Emulator(seed=seed) as emu:
        api = requests.Session()
        api.auth = (emu.username, emu.access_key)
        url = f"{emu.url}/api/v2{RUNS}"
        assert api.post(f"{url}/TR-1/clone", json={}).status_code == 404
        answer = api.post(f"{url}/TR-2/clone", json={})
        assert answer.json()["test_run"]["name"] == "Old - Copy"
        assert emu.run("TR-3")["active_state"] == "active"
        api.close()

"""Emulator: test run lifecycle over raw HTTP (create, get, list, update, close, delete)."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from pytest_bstm.emulator import Emulator

RUNS = "/projects/PR-1/test-runs"


def create(api: requests.Session, **fields: object) -> dict[str, object]:
    answer = api.post(RUNS, json={"test_run": fields})
    assert answer.status_code == 200, answer.text
    run: dict[str, object] = answer.json()["testrun"]
    return run


def test_create_answers_testrun_with_sequential_ids(emulator_api: requests.Session) -> None:
    first = create(emulator_api, name="Nightly", test_cases=["TC-1", "TC-2"])
    second = create(emulator_api, name="Again")
    assert (first["identifier"], second["identifier"]) == ("TR-1", "TR-2")
    assert first["run_state"] == "new_run"
    assert first["active_state"] == "active"
    assert first["project_id"] == "PR-1"
    assert first["test_cases_count"] == 2
    assert str(first["created_at"]).endswith("Z")


def test_create_defaults_name_to_dated_test_run(emulator_api: requests.Session) -> None:
    run = create(emulator_api, test_cases=["TC-1"])
    today = dt.datetime.now(dt.timezone.utc).strftime("%d/%m/%Y")
    assert run["name"] == f"Test Run-{today}"


def test_create_copies_fields_and_assignee(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    create(
        emulator_api,
        name="Full",
        description="all fields",
        run_state="under_review",
        assignee="lead@example.com",
        test_case_assignee="dev@example.com",
        tags=["Regression"],
        issues=["TASK-1"],
        issue_tracker={"name": "jira", "host": "https://demo.atlassian.net"},
        test_plan_id="TP-1",
        test_cases=["TC-1", "TC-3"],
    )
    run = emulator.run("TR-1")
    assert run["run_state"] == "under_review"
    assert run["assignee"] == "lead@example.com"
    assert run["tags"] == ["Regression"]
    assert run["issues"] == ["TASK-1"]
    assert run["test_plan_id"] == "TP-1"
    assert [c["assignee"] for c in emulator.run_cases("TR-1")] == ["dev@example.com"] * 2


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"test_cases": ["TC-1", "TC-999"]}, "invalid_test_case_id"),
        ({"test_cases": ["TC-1001"]}, "invalid_test_case_id"),
        ({"configurations": [101, 999]}, "invalid_configuration_ids"),
        ({"run_state": "finished"}, "validation_failed"),
        ({"assignee": "not-an-email"}, "validation_failed"),
        ({"test_plan_id": "TP-1", "sub_test_plan_id": "STP-1"}, "validation_failed"),
        ({"sub_test_plan_id": "TP-1"}, "validation_failed"),
        ({"test_plan_id": "TP-9"}, "invalid_test_plan_id"),
        ({"sub_test_plan_id": "STP-9"}, "invalid_sub_test_plan_id"),
        ({"name": ""}, "validation_failed"),
        ({"tags": "smoke"}, "validation_failed"),
        ({"nmae": "typo"}, "validation_failed"),
        ({"issue_tracker": {"name": "trello", "host": "x"}}, "validation_failed"),
        ({"filter_scope": "everywhere"}, "validation_failed"),
    ],
)
def test_create_validation(
    emulator: Emulator, emulator_api: requests.Session, fields: dict[str, object], error: str
) -> None:
    answer = emulator_api.post(RUNS, json={"test_run": fields})
    assert answer.status_code == 400
    assert answer.json()["success"] is False
    assert answer.json()["error"] == error
    assert emulator.runs() == []


def test_create_needs_test_run_object_and_valid_json(emulator_api: requests.Session) -> None:
    assert emulator_api.post(RUNS, json={"name": "x"}).status_code == 400
    broken = emulator_api.post(
        RUNS, data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.json()["error"] == "invalid_json"


def test_configurations_make_one_entry_per_case_and_configuration(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    create(emulator_api, test_cases=["TC-1", "TC-2"], configurations=[101, 102])
    keys = [(c["test_case_id"], c["configuration_id"]) for c in emulator.run_cases("TR-1")]
    assert keys == [("TC-1", 101), ("TC-1", 102), ("TC-2", 101), ("TC-2", 102)]


def test_configuration_map_overrides_with_fallback(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    create(
        emulator_api,
        test_cases=["TC-1", "TC-2", "TC-3"],
        configurations=[103],
        configuration_map=[
            {"test_case_id": ["TC-1", "TC-2"], "configuration_ids": [101, 102]},
            {"test_case_id": "TC-4", "configuration_ids": [102]},
        ],
    )
    keys = [(c["test_case_id"], c["configuration_id"]) for c in emulator.run_cases("TR-1")]
    assert keys == [
        ("TC-1", 101), ("TC-1", 102), ("TC-2", 101), ("TC-2", 102), ("TC-3", 103), ("TC-4", 102),
    ]  # fmt: skip


def test_configuration_map_without_fallback_leaves_unmapped_cases_unconfigured(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    create(
        emulator_api,
        test_cases=["TC-1", "TC-2"],
        configuration_map=[{"test_case_id": "TC-1", "configuration_ids": [101]}],
    )
    keys = [(c["test_case_id"], c["configuration_id"]) for c in emulator.run_cases("TR-1")]
    assert keys == [("TC-1", 101), ("TC-2", None)]


def test_include_all_folders_and_filters_select_cases(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    create(emulator_api, include_all=True)
    assert len(emulator.run_cases("TR-1")) == 60
    create(emulator_api, folder_ids=[2])
    assert [c["test_case_id"] for c in emulator.run_cases("TR-2")] == [
        f"TC-{n}" for n in range(21, 41)
    ]
    create(emulator_api, filter_test_cases={"priority": ["low"], "tags": ["smoke"]})
    assert [c["test_case_id"] for c in emulator.run_cases("TR-3")] == ["TC-20", "TC-40", "TC-60"]
    create(
        emulator_api,
        folder_ids=[1],
        filter_scope="within_folders",
        filter_test_cases={"priority": ["Critical"]},
    )
    assert [c["test_case_id"] for c in emulator.run_cases("TR-4")] == [
        "TC-3", "TC-7", "TC-11", "TC-15", "TC-19",
    ]  # fmt: skip


def test_get_run_details_and_minified(emulator_api: requests.Session) -> None:
    create(emulator_api, name="Details", test_cases=["TC-1", "TC-2"], configurations=[101])
    body = emulator_api.get(RUNS + "/TR-1").json()
    run = body["test_run"]
    assert body["success"] is True
    assert run["identifier"] == "TR-1"
    assert run["configurations"] == [101]
    assert run["test_cases_count"] == 2
    assert run["overall_progress"]["untested"] == 2
    assert (run["passed_count"], run["failed_count"], run["customstatus_count"]) == (0, 0, 0)
    assert run["links"]["test_cases"] == "/api/v2/projects/PR-1/test-runs/TR-1/test-cases"
    case = run["test_cases"][0]
    assert case["identifier"] == "TC-1"
    assert case["configuration_id"] == 101
    assert case["latest_status"] == "Untested"
    assert case["latest_result_id"] is None
    assert case["name"] == "Demo test case 1"
    mini = emulator_api.get(RUNS + "/TR-1", params={"minify": "true"}).json()["test_run"]
    assert "test_cases" not in mini
    assert mini["identifier"] == "TR-1"
    assert mini["overall_progress"]["untested"] == 2


def test_unknown_project_run_and_foreign_run_are_404(emulator_api: requests.Session) -> None:
    create(emulator_api, name="PR-1 run")
    assert emulator_api.get("/projects/PR-9/test-runs").status_code == 404
    assert emulator_api.post("/projects/PR-9/test-runs", json={"test_run": {}}).status_code == 404
    missing = emulator_api.get(RUNS + "/TR-99")
    assert missing.status_code == 404
    assert missing.json() == {"success": False, "message": "Test Run ID is invalid"}
    assert emulator_api.get("/projects/PR-2/test-runs/TR-1").status_code == 404
    assert emulator_api.get("/no/such/path").status_code == 404


def test_list_runs_filters(emulator_api: requests.Session) -> None:
    create(emulator_api, name="a", assignee="a@example.com", test_plan_id="TP-1")
    create(emulator_api, name="b", assignee="b@example.com", run_state="done")
    create(emulator_api, name="c", assignee="c@example.com")
    emulator_api.post(RUNS + "/TR-3/close")

    def names(**query: str) -> list[str]:
        answer = emulator_api.get(RUNS, params=query)
        assert answer.status_code == 200, answer.text
        return [r["name"] for r in answer.json()["test_runs"]]

    today = dt.datetime.now(dt.timezone.utc).date()
    assert names() == ["a", "b"]
    assert names(include_closed="true") == ["a", "b", "c"]
    assert names(include_closed="false") == ["a", "b"]
    assert names(assignee="a@example.com,b@example.com") == ["a", "b"]
    assert names(run_state="done,new") == ["a", "b"]
    assert names(run_state="done") == ["b"]
    assert names(run_state="closed", include_closed="true") == ["c"]
    assert names(test_plan_id="TP-1") == ["a"]
    assert names(created_after=today.isoformat()) == ["a", "b"]
    assert names(created_before=today.strftime("%d-%m-%Y")) == ["a", "b"]
    assert names(created_before=(today - dt.timedelta(days=1)).isoformat()) == []
    assert names(closed_after=today.isoformat(), include_closed="true") == ["c"]
    assert names(closed_before=today.isoformat()) == []
    for bad in (
        {"created_after": "2024/01/01"},
        {"closed_before": "01-2024-01"},
        {"test_plan_id": "TP-1,TP-2"},
        {"include_closed": "yes"},
        {"run_state": "finished"},
    ):
        assert emulator_api.get(RUNS, params=bad).status_code == 400, bad


def test_list_runs_paginates(emulator_api: requests.Session) -> None:
    for n in range(31):
        create(emulator_api, name=f"run {n}")
    first = emulator_api.get(RUNS).json()
    assert len(first["test_runs"]) == 30
    assert first["info"] == {"page": 1, "page_size": 30, "count": 31, "prev": None, "next": 2}
    second = emulator_api.get(RUNS, params={"p": 2}).json()
    assert [r["name"] for r in second["test_runs"]] == ["run 30"]
    assert second["info"]["next"] is None
    assert second["info"]["prev"] == 1
    assert len(emulator_api.get(RUNS, params={"page_size": 300}).json()["test_runs"]) == 31
    bad = emulator_api.get(RUNS, params={"page_size": 50})
    assert bad.status_code == 400
    assert bad.json()["message"] == "Invalid page_size"

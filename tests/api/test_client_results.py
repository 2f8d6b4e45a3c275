"""Client result endpoints against the emulator: add one, add many, list."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_bstm.api import Client, RetryPolicy, errors, models
from pytest_bstm.emulator import Emulator

FAST = RetryPolicy(attempts=3, backoff=0.01, backoff_max=0.02, deadline=5.0)


@pytest.fixture
def client(emulator: Emulator) -> Iterator[Client]:
    with Client(
        base_url=emulator.url,
        username=emulator.username,
        access_key=emulator.access_key,
        timeout=5.0,
        retry=FAST,
    ) as api:
        yield api


@pytest.fixture
def run_id(client: Client) -> str:
    run = models.NewTestRun(name="results", test_cases=["TC-1", "TC-2", "TC-3"])
    return client.create_run("PR-1", run).identifier


def result(case: str, status: str = "passed", **fields: object) -> models.ResultIn:
    return models.ResultIn.model_validate({"test_case_id": case, "status": status, **fields})


def test_add_result(emulator: Emulator, client: Client, run_id: str) -> None:
    created = client.add_result(
        "PR-1",
        run_id,
        result(
            "TC-1",
            "Failed",
            description="boom",
            issues=["JIRA-7"],
            custom_fields={"build": "42"},
            duration_in_ms=1500,
        ),
    )
    assert created == 1
    assert emulator.requests[-1]["body"] == {
        "test_case_id": "TC-1",
        "test_result": {
            "status": "failed",
            "description": "boom",
            "issues": ["JIRA-7"],
            "custom_fields": {"build": "42"},
            "duration_in_ms": 1500,
        },
    }
    [stored] = emulator.results(run_id)
    assert (stored["test_case_id"], stored["status"], stored["description"]) == (
        "TC-1",
        "failed",
        "boom",
    )
    assert stored["duration_in_ms"] == 1500


def test_add_result_with_configuration(emulator: Emulator, client: Client) -> None:
    run = client.create_run(
        "PR-1", models.NewTestRun(name="cfg", test_cases=["TC-1"], configurations=[101, 102])
    )
    client.add_result("PR-1", run.identifier, result("TC-1", configuration_id=102))
    assert emulator.requests[-1]["body"]["configuration_id"] == 102
    statuses = {
        c["configuration_id"]: c["latest_status"] for c in emulator.run_cases(run.identifier)
    }
    assert statuses == {101: "untested", 102: "passed"}


def test_add_results_one_request(emulator: Emulator, client: Client, run_id: str) -> None:
    before = len(emulator.requests)
    client.add_results(
        "PR-1", run_id, [result("TC-1"), result("TC-2", "blocked"), result("TC-3", "skipped")]
    )
    assert len(emulator.requests) == before + 1
    body = emulator.requests[-1]["body"]
    assert [r["test_result"]["status"] for r in body["results"]] == ["passed", "blocked", "skipped"]
    statuses = {r["test_case_id"]: r["status"] for r in emulator.results(run_id)}
    assert statuses == {"TC-1": "passed", "TC-2": "blocked", "TC-3": "skipped"}


def test_custom_status_is_sent_as_given(emulator: Emulator, client: Client, run_id: str) -> None:
    with pytest.raises(errors.BadRequestError) as info:
        client.add_result("PR-1", run_id, result("TC-1", "Flaky-ish"))
    assert emulator.requests[-1]["body"]["test_result"]["status"] == "Flaky-ish"
    assert info.value.error == "invalid_status"


def test_add_results_limits(emulator: Emulator, client: Client, run_id: str) -> None:
    emulator.add_test_cases("PR-1", [f"TC-{n}" for n in range(2000, 2301)])
    too_many = [result(f"TC-{n}") for n in range(2000, 2301)]
    with pytest.raises(errors.InvalidRequestError, match="at most 300"):
        client.add_results("PR-1", run_id, too_many)
    with pytest.raises(errors.InvalidRequestError, match="TC-2"):
        client.add_results("PR-1", run_id, [result("TC-2"), result("TC-1"), result("TC-2")])
    with pytest.raises(errors.InvalidRequestError, match="configuration 101"):
        client.add_results(
            "PR-1",
            run_id,
            [result("TC-1", configuration_id=101), result("TC-1", "failed", configuration_id=101)],
        )
    before = len(emulator.requests)
    client.add_results("PR-1", run_id, [])
    assert len(emulator.requests) == before
    assert [r for r in emulator.requests if r["method"] == "POST" and "results" in r["path"]] == []


def test_same_case_under_two_configurations_is_allowed(emulator: Emulator, client: Client) -> None:
    run = client.create_run(
        "PR-1", models.NewTestRun(name="cfg", test_cases=["TC-1"], configurations=[101, 102])
    )
    client.add_results(
        "PR-1",
        run.identifier,
        [result("TC-1", configuration_id=101), result("TC-1", "failed", configuration_id=102)],
    )
    assert len(emulator.results(run.identifier)) == 2


def test_exactly_300_results_in_one_request(emulator: Emulator, client: Client) -> None:
    ids = [f"TC-{n}" for n in range(3000, 3300)]
    emulator.add_test_cases("PR-1", ids)
    run = client.create_run("PR-1", models.NewTestRun(name="big", test_cases=ids))
    client.add_results("PR-1", run.identifier, [result(tc) for tc in ids])
    assert len(emulator.results(run.identifier)) == 300
    listed = list(client.iter_results("PR-1", run.identifier, page_size=30))
    assert len(listed) == 300
    assert {r.status for r in listed} == {"Passed"}


def test_unknown_case_is_dropped_by_the_service(
    emulator: Emulator, client: Client, run_id: str
) -> None:
    assert client.add_result("PR-1", run_id, result("TC-99999")) is None
    client.add_results("PR-1", run_id, [result("TC-99998"), result("TC-1")])
    assert [r["test_case_id"] for r in emulator.results(run_id)] == ["TC-1"]


def test_case_not_in_run_is_rejected(emulator: Emulator, client: Client, run_id: str) -> None:
    with pytest.raises(errors.BadRequestError) as info:
        client.add_results("PR-1", run_id, [result("TC-1"), result("TC-50")])
    assert info.value.error == "test_case_not_in_run"
    assert "TC-50" in info.value.message
    assert emulator.results(run_id) == []


def test_results_to_closed_run_are_404(emulator: Emulator, client: Client, run_id: str) -> None:
    client.close_run("PR-1", run_id)
    with pytest.raises(errors.NotFoundError) as info:
        client.add_result("PR-1", run_id, result("TC-1"))
    assert info.value.message == "Test Run ID is invalid"
    with pytest.raises(errors.NotFoundError):
        client.add_results("PR-1", run_id, [result("TC-1")])


def test_iter_results(emulator: Emulator, client: Client, run_id: str) -> None:
    client.add_result("PR-1", run_id, result("TC-1", "passed", description="ok"))
    client.add_result("PR-1", run_id, result("TC-2", "in_progress"))
    client.add_result("PR-1", run_id, result("TC-1", "retest"))
    listed = list(client.iter_results("PR-1", run_id))
    assert [(r.test_case_id, r.status) for r in listed] == [
        ("TC-1", "Passed"),
        ("TC-2", "In Progress"),
        ("TC-1", "Retest"),
    ]
    assert listed[0].description == "ok"
    assert listed[0].test_run_id == run_id
    assert emulator.requests[-1]["query"] == {"p": "1", "page_size": "300"}
    with pytest.raises(errors.NotFoundError):
        list(client.iter_results("PR-1", "TR-404"))


def test_result_in_normalises_system_statuses() -> None:
    assert result("TC-1", "In Progress").to_wire()["test_result"]["status"] == "in_progress"
    assert result("TC-1", "PASSED").to_wire()["test_result"]["status"] == "passed"
    assert result("TC-1", "Needs Review").to_wire()["test_result"]["status"] == "Needs Review"
    with pytest.raises(ValueError, match="duration_in_ms"):
        result("TC-1", duration_in_ms=-1)

"""The client against the emulator in every answer variant real clients of the API show:
the run's key, details without identifier, the two add/remove paths, result read shapes,
status names, project links and a result for a case that is not in the run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pytest_bstm.api import Client, RetryPolicy, errors, models
from pytest_bstm.emulator import Emulator

FAST = RetryPolicy(attempts=3, backoff=0.01, backoff_max=0.02, deadline=5.0)
WEB = "https://test-management.browserstack.com"


def make_client(emu: Emulator, **options: Any) -> Client:
    return Client(
        base_url=emu.url,
        username=emu.username,
        access_key=emu.access_key,
        timeout=5.0,
        retry=FAST,
        **options,
    )


@pytest.fixture
def client(emulator: Emulator) -> Iterator[Client]:
    with make_client(emulator) as api:
        yield api


def new_run(*cases: str, **fields: Any) -> models.NewTestRun:
    body = {"name": "fidelity", "test_cases": list(cases or ["TC-1"]), **fields}
    return models.NewTestRun.model_validate(body)


def paths(emu: Emulator, method: str = "PATCH") -> list[tuple[str, int | None]]:
    return [
        (r["path"].rsplit("/", 1)[-1], r["status"]) for r in emu.requests if r["method"] == method
    ]


# ---------------------------------------------------------------- the run under any key


@pytest.mark.parametrize("key", ["doc", "testrun", "test_run", "top"])
def test_every_run_call_reads_the_run_under_any_key(
    emulator: Emulator, client: Client, key: str
) -> None:
    emulator.set_variants(run_key=key)
    created = client.create_run("PR-1", new_run("TC-1", "TC-2", tags=["a"]))
    assert (created.identifier, created.name, created.tags) == ("TR-1", "fidelity", ["a"])
    assert created.test_cases_count == 2
    updated = client.update_run("PR-1", "TR-1", name="renamed")
    assert (updated.identifier, updated.name) == ("TR-1", "renamed")
    replaced = client.replace_run("PR-1", "TR-1", new_run("TC-3", name="whole"))
    assert (replaced.identifier, replaced.name, replaced.test_cases_count) == ("TR-1", "whole", 1)
    details = client.get_run("PR-1", "TR-1")
    assert [case.identifier for case in details.test_cases] == ["TC-3"]
    assert client.get_run_minified("PR-1", "TR-1").name == "whole"
    clone = client.clone_run("PR-1", "TR-1", name="copy")
    assert (clone.identifier, clone.name) == ("TR-2", "copy")
    assert clone.test_case_summary["untested"] == 1
    closed = client.close_run("PR-1", "TR-1")
    assert (closed.identifier, closed.active_state) == ("TR-1", "closed")
    assert closed.web_url == f"{emulator.url}/projects/1/test-runs/TR-1"  # on the host used
    assert [r.identifier for r in client.list_runs("PR-1")] == ["TR-2"]


@pytest.mark.parametrize("key", ["doc", "top"])
def test_details_without_identifier_get_it_from_the_request(
    emulator: Emulator, client: Client, key: str
) -> None:
    emulator.set_variants(details_identifier=False, run_key=key)
    client.create_run("PR-1", new_run("TC-1", "TC-2"))
    details = client.get_run("PR-1", "TR-1")
    assert details.identifier == "TR-1"
    assert len(details.test_cases) == 2
    assert client.get_run_minified("PR-1", "TR-1").identifier == "TR-1"
    assert "identifier" not in str(emulator.requests[-1]["query"])  # nothing else was asked


# ---------------------------------------------------------------- add/remove at two paths


ADD = [models.CaseSelection(test_case_ids=["TC-2"])]


def test_documented_path_first(emulator: Emulator, client: Client) -> None:
    client.create_run("PR-1", new_run())
    client.update_test_cases("PR-1", "TR-1", add=ADD)
    client.update_test_cases("PR-1", "TR-1", remove=ADD)
    assert paths(emulator) == [("update-test-cases", 202), ("update-test-cases", 202)]


def test_falls_back_to_the_vendor_code_path_on_404_and_remembers(
    emulator: Emulator, client: Client
) -> None:
    emulator.set_variants(case_paths="test-cases")
    client.create_run("PR-1", new_run())
    client.update_test_cases("PR-1", "TR-1", add=ADD)
    client.update_test_cases("PR-1", "TR-1", add=[models.CaseSelection(test_case_ids=["TC-3"])])
    assert paths(emulator) == [("update-test-cases", 404), ("test-cases", 202), ("test-cases", 202)]
    assert emulator.wait_idle()
    assert [c["test_case_id"] for c in emulator.run_cases("TR-1")] == ["TC-1", "TC-2", "TC-3"]
    with make_client(emulator) as fresh:  # the choice is per client
        fresh.update_test_cases("PR-1", "TR-1", remove=ADD)
    assert paths(emulator)[-2:] == [("update-test-cases", 404), ("test-cases", 202)]


def test_documented_path_only_never_tries_the_other(emulator: Emulator, client: Client) -> None:
    emulator.set_variants(case_paths="update-test-cases")
    client.create_run("PR-1", new_run())
    client.update_test_cases("PR-1", "TR-1", add=ADD)
    assert paths(emulator) == [("update-test-cases", 202)]


def test_a_closed_run_is_not_found_at_either_path(emulator: Emulator, client: Client) -> None:
    client.create_run("PR-1", new_run())
    client.close_run("PR-1", "TR-1")
    for _ in range(2):
        with pytest.raises(errors.NotFoundError) as info:
            client.update_test_cases("PR-1", "TR-1", add=ADD)
        assert info.value.path.endswith("/TR-1/update-test-cases")  # the documented path's answer
        assert "Test Run ID is invalid" in info.value.message
    # nothing was remembered: each call tried the documented path first
    assert [p for p, _ in paths(emulator)] == ["update-test-cases", "test-cases"] * 2


def test_validation_errors_are_not_a_reason_to_fall_back(
    emulator: Emulator, client: Client
) -> None:
    client.create_run("PR-1", new_run())
    with pytest.raises(errors.BadRequestError) as info:
        client.update_test_cases("PR-1", "TR-1", add=[models.CaseSelection(test_case_ids=["TC-0"])])
    assert info.value.error == "invalid_test_case_id"
    assert paths(emulator) == [("update-test-cases", 400)]


# ---------------------------------------------------------------- results


def test_results_read_back_in_the_doc_shapes(emulator: Emulator, client: Client) -> None:
    client.create_run("PR-1", new_run("TC-1", "TC-2"))
    client.add_results(
        "PR-1",
        "TR-1",
        [
            models.ResultIn(
                test_case_id="TC-1",
                status="failed",
                issues=["JIRA-7", "JIRA-8"],
                custom_fields={"build": "42", "estimate": "10.23"},
            ),
            models.ResultIn(test_case_id="TC-2", status="passed"),
        ],
    )
    first, second = client.iter_results("PR-1", "TR-1")
    assert first.issues == ["JIRA-7", "JIRA-8"]
    assert first.custom_fields == {"build": "42", "estimate": "10.23"}
    assert first.status == "Failed"
    assert (second.issues, second.custom_fields) == ([], {})


def test_result_model_reads_both_shapes_and_ignores_extras() -> None:
    doc = models.TestResult.model_validate(
        {
            "id": 9,
            "test_case_id": "TC-13",
            "result_status": {"field_value": "Passed"},
            "issues": [{"issue_id": "UI-393854", "created_at": "t", "issue_type": "jira"}],
            "custom_fields": [{"field_name": "custom estimates", "value": "10.23"}],
            "step_result": [{"step": 1, "status": "passed"}],
            "updated_at": "t",
            "execution_id": 77,
        }
    )
    assert doc.issues == ["UI-393854"]
    assert doc.custom_fields == {"custom estimates": "10.23"}
    assert doc.status == "Passed"
    written = models.TestResult.model_validate(
        {"test_case_id": "TC-1", "issues": ["A-1"], "custom_fields": {"f": 1}}
    )
    assert (written.issues, written.custom_fields) == (["A-1"], {"f": 1})
    empty = models.TestResult.model_validate(
        {"test_case_id": "TC-1", "issues": None, "custom_fields": None}
    )
    assert (empty.issues, empty.custom_fields) == ([], {})


@pytest.mark.parametrize(
    ("given", "sent", "stored"),
    [
        ("Passed", "passed", "passed"),
        ("In Progress", "in_progress", "in_progress"),
        ("Flaky", "Flaky", "flaky"),  # a custom status goes as configured
    ],
)
def test_status_names(
    emulator: Emulator, client: Client, given: str, sent: str, stored: str
) -> None:
    client.create_run("PR-1", new_run())
    client.add_results("PR-1", "TR-1", [models.ResultIn(test_case_id="TC-1", status=given)])
    assert emulator.requests[-1]["body"]["results"][0]["test_result"]["status"] == sent
    assert [r["status"] for r in emulator.results("TR-1")] == [stored]


def test_case_not_in_run_under_both_switches(emulator: Emulator, client: Client) -> None:
    client.create_run("PR-1", new_run())
    outside = [models.ResultIn(test_case_id="TC-9", status="passed")]
    with pytest.raises(errors.BadRequestError) as info:
        client.add_results("PR-1", "TR-1", outside)
    assert info.value.error == "test_case_not_in_run"
    emulator.set_variants(case_not_in_run="add")
    client.add_results("PR-1", "TR-1", outside)
    assert [(r.test_case_id, r.status) for r in client.iter_results("PR-1", "TR-1")] == [
        ("TC-9", "Passed")
    ]
    assert {c.identifier for c in client.iter_run_test_cases("PR-1", "TR-1")} == {"TC-1", "TC-9"}


# ---------------------------------------------------------------- answers lost after the write


def test_gateway_failure_after_a_results_write_is_ambiguous(
    emulator: Emulator, client: Client
) -> None:
    client.create_run("PR-1", new_run())
    emulator.faults.fail(502, times=1, after_processing=True, path_contains="/results")
    with pytest.raises(errors.AmbiguousRequestError) as info:
        client.add_results("PR-1", "TR-1", [models.ResultIn(test_case_id="TC-1", status="passed")])
    assert "HTTP 502" in str(info.value)
    assert len(emulator.results("TR-1")) == 1  # applied once, not repeated


@pytest.mark.parametrize("status", [502, 504])
def test_gateway_failure_of_a_create_is_ambiguous(
    emulator: Emulator, client: Client, status: int
) -> None:
    emulator.faults.fail(status, times=1, after_processing=True, methods=["POST"])
    with pytest.raises(errors.AmbiguousRequestError):
        client.create_run("PR-1", new_run())
    assert [r["identifier"] for r in emulator.runs()] == ["TR-1"]


def test_gateway_failure_of_a_read_is_retried(emulator: Emulator, client: Client) -> None:
    client.create_run("PR-1", new_run())
    emulator.faults.fail(502, times=2, methods=["GET"])
    assert client.get_run("PR-1", "TR-1").identifier == "TR-1"


# ---------------------------------------------------------------- project links


def test_project_listing_gives_the_numeric_web_id(emulator: Emulator, client: Client) -> None:
    emulator.add_project("PR-5", name="Numbered apart", numeric_id=9005)
    projects = {p.identifier: p for p in client.iter_projects()}
    assert projects["PR-5"].web_url == f"{WEB}/projects/9005"
    assert projects["PR-5"].urls == {"self": f"{WEB}/projects/9005"}
    before = len(emulator.requests)
    assert client.project_web_url("PR-5") == f"{emulator.url}/projects/9005"  # no request
    assert len(emulator.requests) == before


def test_run_link_from_the_project_listing(emulator: Emulator, client: Client) -> None:
    emulator.add_project("PR-5", numeric_id=9005)
    emulator.add_test_cases("PR-5", ["TC-1"])
    with make_client(emulator) as other:
        other.create_run("PR-5", new_run())
    joined = client.get_run_minified("PR-5", "TR-1")  # minified details carry no link
    assert joined.web_url is None
    assert client.run_web_url("PR-5", "TR-1") == f"{emulator.url}/projects/9005/test-runs/TR-1"
    assert [r["path"] for r in emulator.requests][-1] == "/api/v2/projects"
    again = client.get_run_minified("PR-5", "TR-1")  # the project's page is known now
    assert again.web_url == f"{emulator.url}/projects/9005/test-runs/TR-1"
    assert client.run_web_url("PR-404", "TR-1") is None
    lookups = [r for r in emulator.requests if r["path"] == "/api/v2/projects"]
    assert client.run_web_url("PR-404", "TR-2") is None  # an unknown project is looked up once
    assert [r for r in emulator.requests if r["path"] == "/api/v2/projects"] == lookups


def test_run_link_learnt_from_any_run_answer(emulator: Emulator, client: Client) -> None:
    client.create_run("PR-1", new_run())  # the emulator's create answer has urls.self
    assert client.run_web_url("PR-1", "TR-7") == f"{emulator.url}/projects/1/test-runs/TR-7"
    assert all(r["path"] != "/api/v2/projects" for r in emulator.requests)


def test_failed_link_lookup_is_none_after_one_try(emulator: Emulator, client: Client) -> None:
    emulator.faults.fail(503, times=1, path_contains="/api/v2/projects")
    assert client.run_web_url("PR-1", "TR-1") is None
    assert [r["status"] for r in emulator.requests] == [503]  # one try, no waiting
    assert client.run_web_url("PR-1", "TR-1") == f"{emulator.url}/projects/1/test-runs/TR-1"

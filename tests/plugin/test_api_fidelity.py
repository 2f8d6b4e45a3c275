"""The plugin against the answer variants real clients of the API show (black box: inner
sessions against the emulator): the run's key in create, join and clone; details without
identifier; add/remove at either path; results with issues and custom fields whose answers
are lost after the write; a result for a case that is not in the run; the project's link."""

from __future__ import annotations

import pytest
from bstm_helpers import Inner

from pytest_bstm.api import Client, models
from pytest_bstm.emulator import Emulator

TWO = """
import pytest

@pytest.mark.tc("TC-1")
def test_one():
    pass

@pytest.mark.tc("TC-2")
def test_two():
    assert False
"""


@pytest.fixture
def client(emulator: Emulator) -> Client:
    return Client(base_url=emulator.url, username=emulator.username, access_key=emulator.access_key)


def make_run(client: Client, cases: list[str], project: str = "PR-1", **results: str) -> str:
    run = client.create_run(project, models.NewTestRun(name="source", test_cases=cases))
    if results:
        wire = [
            models.ResultIn(test_case_id=c.replace("_", "-"), status=s) for c, s in results.items()
        ]
        client.add_results(project, run.identifier, wire)
    return run.identifier


def the_results(emu: Emulator, run_id: str) -> list[tuple[str, str]]:
    """(case, status) of every stored result, sorted; a result twice shows twice."""
    return sorted((r["test_case_id"], r["status"]) for r in emu.results(run_id))


# ---------------------------------------------------------------- the run's key

VARIANTS = ["testrun", "test_run", "top"]


@pytest.mark.parametrize("key", VARIANTS)
def test_create_flow_under_any_run_key(inner: Inner, key: str) -> None:
    inner.emulator.set_variants(run_key=key)
    inner.pytester.makepyfile(TWO)
    result = inner.run()
    result.assert_outcomes(passed=1, failed=1)
    run = inner.only_run()
    assert the_results(inner.emulator, run["identifier"]) == [
        ("TC-1", "passed"),
        ("TC-2", "failed"),
    ]
    assert run["active_state"] == "closed"
    result.stdout.fnmatch_lines([f"run:*{run['identifier']}*(closed)", "results:*2 uploaded*"])
    result.stdout.no_fnmatch_line("error:*")


@pytest.mark.parametrize("key", VARIANTS)
@pytest.mark.parametrize("details_identifier", [True, False])
def test_join_flow_under_any_run_key(
    inner: Inner, client: Client, key: str, details_identifier: bool
) -> None:
    rid = make_run(client, ["TC-1", "TC-5"])
    inner.emulator.set_variants(run_key=key, details_identifier=details_identifier)
    inner.pytester.makepyfile(TWO)
    result = inner.run("--bstm-run", rid)
    result.assert_outcomes(passed=1, failed=1)
    assert the_results(inner.emulator, rid) == [("TC-1", "passed"), ("TC-2", "failed")]
    assert sorted(c["test_case_id"] for c in inner.emulator.run_cases(rid)) == [
        "TC-1",
        "TC-2",
        "TC-5",
    ]
    assert inner.emulator.run(rid)["active_state"] == "active"
    result.stdout.fnmatch_lines([f"run:*{rid}*", "cases:*1 added*", "results:*2 uploaded*"])
    result.stdout.no_fnmatch_line("error:*")


@pytest.mark.parametrize("key", VARIANTS)
def test_clone_flow_under_any_run_key(inner: Inner, client: Client, key: str) -> None:
    source = make_run(client, ["TC-1", "TC-2", "TC-3"], TC_1="passed", TC_2="failed")
    inner.emulator.set_variants(run_key=key)
    inner.pytester.makepyfile(TWO)
    result = inner.run("--bstm-clone", source, "--bstm-clone-statuses", "failed")
    result.assert_outcomes(passed=1, failed=1)
    [clone] = [r for r in inner.emulator.runs("PR-1") if r["identifier"] != source]
    assert clone["active_state"] == "closed"
    assert the_results(inner.emulator, clone["identifier"]) == [
        ("TC-1", "passed"),
        ("TC-2", "failed"),
    ]
    result.stdout.fnmatch_lines([f"run:*{clone['identifier']}*(closed)", "results:*2 uploaded*"])
    result.stdout.no_fnmatch_line("error:*")


@pytest.mark.parametrize("paths", ["test-cases", "update-test-cases"])
def test_join_adds_cases_at_whichever_path_is_served(
    inner: Inner, client: Client, paths: str
) -> None:
    rid = make_run(client, ["TC-1"])
    inner.emulator.set_variants(case_paths=paths)
    inner.pytester.makepyfile(TWO)
    result = inner.run("--bstm-run", rid)
    assert the_results(inner.emulator, rid) == [("TC-1", "passed"), ("TC-2", "failed")]
    changes = [
        (r["path"].rsplit("/", 1)[-1], r["status"])
        for r in inner.emulator.requests
        if r["method"] == "PATCH"
    ]
    expected = {
        "test-cases": [("update-test-cases", 404), ("test-cases", 202)],
        "update-test-cases": [("update-test-cases", 202)],
    }
    assert changes == expected[paths]
    result.stdout.no_fnmatch_line("error:*")


# ---------------------------------------------------------------- answers lost after the write

DETAILED = """
import pytest

@pytest.mark.tc("TC-1")
def test_one():
    pass

@pytest.mark.tc("TC-2")
def test_two():
    assert False

@pytest.mark.tc("TC-3")
def test_three():
    pass
"""

ISSUES_AND_FIELDS = """
def pytest_bstm_result(config, result):
    result.issues = ["JIRA-" + result.case_id[3:], "JIRA-99"]
    result.custom_fields = {"build": "42", "case": result.case_id}
"""


def test_results_with_issues_and_fields_whose_answers_are_lost_end_once(inner: Inner) -> None:
    inner.pytester.makepyfile(DETAILED)
    inner.pytester.makeconftest(ISSUES_AND_FIELDS)
    faults = inner.emulator.faults
    faults.fail(502, times=1, after_processing=True, methods=["POST"], path_contains="/results")
    result = inner.run("--bstm-journal", "j.jsonl")
    result.assert_outcomes(passed=2, failed=1)
    rid = inner.only_run()["identifier"]
    stored = inner.emulator.results(rid)
    assert sorted((r["test_case_id"], r["status"]) for r in stored) == [
        ("TC-1", "passed"),
        ("TC-2", "failed"),
        ("TC-3", "passed"),
    ]
    for r in stored:
        assert r["issues"] == ["JIRA-" + r["test_case_id"][3:], "JIRA-99"]
        assert r["custom_fields"] == {"build": "42", "case": r["test_case_id"]}
    posts = [
        r for r in inner.emulator.requests if r["method"] == "POST" and "/results" in r["path"]
    ]
    assert posts[0]["status"] == 502  # applied, then the answer was lost
    reads = [r for r in inner.emulator.requests if r["method"] == "GET" and "/results" in r["path"]]
    assert reads  # the results were read back (in the doc's shapes) before anything was resent
    assert inner.emulator.run(rid)["active_state"] == "closed"
    result.stdout.fnmatch_lines(["results:*3 uploaded*"])
    result.stdout.no_fnmatch_line("error:*")
    result.stdout.no_fnmatch_line("waiting:*")


# ---------------------------------------------------------------- a case not in the run

LATE_CASE = """
import pytest

@pytest.mark.tc("TC-1")
def test_one():
    pass

def test_tagged_the_vendor_way(record_property):
    record_property("id", "TC-7")
"""


@pytest.mark.parametrize("switch", ["reject", "add"])
@pytest.mark.parametrize("mode", ["create", "join"])
def test_cases_outside_the_run_under_both_switches(
    inner: Inner, client: Client, switch: str, mode: str
) -> None:
    args: list[str] = []
    if mode == "join":
        args = ["--bstm-run", make_run(client, ["TC-1"])]
    inner.emulator.set_variants(case_not_in_run=switch)
    inner.pytester.makepyfile(LATE_CASE)
    result = inner.run(*args)
    result.assert_outcomes(passed=2)
    [run] = inner.emulator.runs("PR-1")
    rid = run["identifier"]
    assert the_results(inner.emulator, rid) == [("TC-1", "passed"), ("TC-7", "passed")]
    entries = [(c["test_case_id"], c["configuration_id"]) for c in inner.emulator.run_cases(rid)]
    assert sorted(entries) == [("TC-1", None), ("TC-7", None)]
    result.stdout.fnmatch_lines(["results:*2 uploaded*"])
    result.stdout.no_fnmatch_line("rejected:*")
    result.stdout.no_fnmatch_line("error:*")


# ---------------------------------------------------------------- the project's link


def test_joined_run_link_uses_the_project_web_id(inner: Inner, client: Client) -> None:
    inner.emulator.add_project("PR-5", name="Web ID apart", numeric_id=9005)
    inner.emulator.add_test_cases("PR-5", ["TC-1", "TC-2"])
    rid = make_run(client, ["TC-1"], project="PR-5")
    inner.pytester.makepyfile(TWO)
    result = inner.run("--bstm-run", rid, project="PR-5")
    result.assert_outcomes(passed=1, failed=1)
    assert the_results(inner.emulator, rid) == [("TC-1", "passed"), ("TC-2", "failed")]
    link = f"{inner.emulator.url}/projects/9005/test-runs/{rid}"  # on the host the session used
    result.stdout.fnmatch_lines([f"link:       {link}"])
    lookups = [r for r in inner.emulator.requests if r["path"] == "/api/v2/projects"]
    assert len(lookups) == 1

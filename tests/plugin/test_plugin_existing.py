"""Joining and cloning existing runs: delta, prune, select, assign, reruns."""

from __future__ import annotations

from pathlib import Path

import pytest
from bstm_helpers import API, Inner

from pytest_bstm.api import Client, models
from pytest_bstm.emulator import Emulator


@pytest.fixture
def client(emulator: Emulator) -> Client:
    return Client(base_url=emulator.url, username=emulator.username, access_key=emulator.access_key)


def make_run(client: Client, cases: list[str], results: dict[str, str] | None = None) -> str:
    run = client.create_run("PR-1", models.NewTestRun(name="source", test_cases=cases))
    if results:
        client.add_results(
            "PR-1",
            run.identifier,
            [models.ResultIn(test_case_id=c, status=s) for c, s in results.items()],
        )
    return run.identifier


TWO = """
import pytest

@pytest.mark.tc("TC-1")
def test_one():
    pass

@pytest.mark.tc("TC-2")
def test_two():
    assert False
"""


def test_join_with_prune_applies_the_delta_and_keeps_the_run_open(
    inner: Inner, client: Client
) -> None:
    rid = make_run(client, ["TC-1", "TC-5"], {"TC-5": "passed"})
    inner.emulator.requests.clear()
    inner.pytester.makepyfile(TWO)
    result = inner.run("--bstm-run", rid, "--bstm-prune")
    result.assert_outcomes(passed=1, failed=1)
    cases = sorted(c["test_case_id"] for c in inner.emulator.run_cases(rid))
    assert cases == ["TC-1", "TC-2"]
    assert inner.emulator.run(rid)["active_state"] == "active"
    delta = [r for r in inner.emulator.requests if r["path"].endswith("update-test-cases")]
    assert len(delta) == 1
    body = delta[0]["body"]["test_run"]
    assert body["preserve_existing_results"] is True
    assert body["add_test_cases"] == [{"test_case_ids": ["TC-2"]}]
    assert body["remove_test_cases"] == [{"test_case_ids": ["TC-5"]}]
    statuses = {(r["test_case_id"], r["status"]) for r in inner.emulator.results(rid)}
    assert ("TC-1", "passed") in statuses
    assert ("TC-2", "failed") in statuses
    result.stdout.fnmatch_lines(["cases:*1 added, 1 removed"])


def test_join_without_prune_never_removes(inner: Inner, client: Client) -> None:
    rid = make_run(client, ["TC-1", "TC-5"])
    inner.pytester.makepyfile(TWO)
    inner.run("--bstm-run", rid)
    cases = sorted(c["test_case_id"] for c in inner.emulator.run_cases(rid))
    assert cases == ["TC-1", "TC-2", "TC-5"]


def test_join_unknown_run_says_so_and_keeps_exit_code(inner: Inner) -> None:
    inner.pytester.makepyfile(TWO)
    result = inner.run("--bstm-run", "TR-999")
    result.assert_outcomes(passed=1, failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["error:*could not join run TR-999: it is not in PR-1 (HTTP 404*): check --bstm-run"]
    )
    assert result.stdout.str().count("HTTP 404") == 1  # the 404 is told once


def test_clone_failures_and_select_reruns_only_them(inner: Inner, client: Client) -> None:
    source = make_run(
        client, ["TC-1", "TC-2", "TC-3"], {"TC-1": "passed", "TC-2": "failed", "TC-3": "blocked"}
    )
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_one():
            pass

        @pytest.mark.tc("TC-2")
        def test_two():
            pass

        @pytest.mark.tc("TC-3")
        def test_three():
            pass

        def test_unmapped():
            pass
        """
    )
    result = inner.run(
        "--bstm-clone", source, "--bstm-clone-statuses", "failed,blocked", "--bstm-select"
    )
    result.assert_outcomes(passed=2, deselected=2)
    runs = inner.emulator.runs("PR-1")
    clone = next(r for r in runs if r["identifier"] != source)
    assert clone["active_state"] == "closed"
    assert inner.statuses(clone["identifier"]) == {
        ("TC-2", None): "passed",
        ("TC-3", None): "passed",
    }
    clone_calls = [r for r in inner.emulator.requests if r["path"].endswith("/clone")]
    assert clone_calls[0]["body"]["statuses"] == ["failed", "blocked"]
    assert clone_calls[0]["body"]["test_case_selection"] == "by_results"
    assert not any(r["path"].endswith("update-test-cases") for r in inner.emulator.requests)


def test_join_assigns_cases_in_one_request(inner: Inner, client: Client) -> None:
    rid = make_run(client, ["TC-1", "TC-2"])
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1", assignee="dev@example.com")
        def test_one():
            pass

        @pytest.mark.tc("TC-2")
        def test_two():
            pass
        """
    )
    inner.run("--bstm-run", rid, "--bstm-case-assignee", "qa@example.com")
    assignees = {c["test_case_id"]: c["assignee"] for c in inner.emulator.run_cases(rid)}
    assert assignees == {"TC-1": "dev@example.com", "TC-2": "qa@example.com"}
    assert [m for m, p in inner.calls() if p == f"{API}/{rid}/assign"] == ["POST"]


def test_reruns_count_only_the_final_attempt(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
        import pytest

        calls = {"n": 0}

        @pytest.mark.tc("TC-1")
        def test_flaky():
            calls["n"] += 1
            assert calls["n"] > 1, "first attempt fails"

        @pytest.mark.tc("TC-2")
        def test_broken():
            assert False, "always"
        """
    )
    result = inner.run("-p", "pytest_rerunfailures", "--reruns", "2")
    result.assert_outcomes(passed=1, failed=1)
    assert result.parseoutcomes()["rerun"] == 3
    rid = inner.only_run()["identifier"]
    assert inner.statuses(rid) == {("TC-1", None): "passed", ("TC-2", None): "failed"}
    text = inner.descriptions(rid)
    assert "rerun: attempt 1 failed in call" in text["TC-1"]
    assert text["TC-2"].count("rerun: attempt") == 2


def test_reruns_of_setup_and_teardown_failures_count_the_final_attempt(inner: Inner) -> None:
    """Older pytest-rerunfailures logs no teardown after a rerun report; newer ones do."""
    inner.pytester.makepyfile(
        """
        import pytest

        calls = {"setup": 0, "teardown": 0}

        @pytest.fixture
        def flaky_setup():
            calls["setup"] += 1
            assert calls["setup"] > 1, "first setup fails"

        @pytest.fixture
        def flaky_teardown():
            yield
            calls["teardown"] += 1
            assert calls["teardown"] > 1, "first teardown fails"

        @pytest.mark.tc("TC-1")
        def test_setup(flaky_setup):
            pass

        @pytest.mark.tc("TC-2")
        def test_teardown(flaky_teardown):
            pass
        """
    )
    result = inner.run("-p", "pytest_rerunfailures", "--reruns", "1")
    # the terminal's "passed" count includes the call of the attempt whose teardown failed
    assert (result.ret, result.parseoutcomes()["rerun"]) == (0, 2)
    rid = inner.only_run()["identifier"]
    assert inner.statuses(rid) == {("TC-1", None): "passed", ("TC-2", None): "passed"}
    text = inner.descriptions(rid)
    assert text["TC-1"].count("rerun: attempt") == 1
    assert "rerun: attempt 1 failed in setup: AssertionError: first setup fails" in text["TC-1"]
    assert text["TC-2"].count("rerun: attempt") == 1
    assert "rerun: attempt 1 failed in teardown" in text["TC-2"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bstm-run", "TR-1", "--bstm-clone", "TR-2"], "*--bstm-run and --bstm-clone exclude*"),
        (["--bstm-test-plan", "TP-1", "--bstm-sub-test-plan", "STP-1"], "*exclude each other*"),
        (["--bstm-run", "5"], "*--bstm-run '5' is not an ID like TR-5*"),
        (["--bstm-case-assignee", "bob"], "*'bob' is not an email address*"),
        (["--bstm-configurations", "101,x"], "*'x' is not a numeric configuration ID*"),
        (["--bstm-prune"], "*--bstm-prune needs --bstm-run or --bstm-clone*"),
        (["--bstm-select"], "*--bstm-select needs --bstm-run or --bstm-clone*"),
        (["--bstm-clone-statuses", "failed"], "*--bstm-clone-statuses needs --bstm-clone*"),
        (["--bstm-close", "--bstm-no-close"], "*exclude each other*"),
        (["--bstm-run-name", "x {nope}"], "*unknown placeholder {nope}*"),
        (["--bstm-drain-timeout", "soon"], "*--bstm-drain-timeout must be a positive number*"),
        (["--bstm-drain-timeout", "0"], "*--bstm-drain-timeout must be a positive number*"),
        # a session that never ends while the service is down is no deadline
        (["--bstm-drain-timeout", "inf"], "*--bstm-drain-timeout must be a positive number*"),
        (["--bstm-url", "http://example.com"], "*plain http, which only loopback hosts may*"),
        (["--bstm-url", "http://u:KEY@127.0.0.1:8799"], "*must not contain credentials*"),
        (["--bstm-url", "http://127.0.0.1:8765?x=1"], "*must not have a query*"),
        # a secret in the query is not echoed
        (["--bstm-url", "https://tm.example.com/?token=s3cr3t"], "*/[?]token=[*][*][*]' must*"),
        (["--bstm-url", "http://127.0.0.1:port"], "*is not an http(s) URL*"),
        (["--bstm-journal", "."], "*--bstm-journal*is a directory*"),
        (
            ["--bstm-journal", "test_bad_options_are_usage_errors_before_any_call.py/j.jsonl"],
            "*is not a directory*",
        ),
        # access() says yes to root here, yet nothing can be made in it
        pytest.param(
            ["--bstm-journal", "/proc/bstm-nope/j.jsonl"],
            "*'/proc'*cannot be made*",
            marks=pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs /proc"),
        ),
    ],
)
def test_bad_options_are_usage_errors_before_any_call(
    inner: Inner, args: list[str], message: str
) -> None:
    inner.pytester.makepyfile(TWO)
    result = inner.pytester.runpytest_inprocess(
        "-p", "pytest_bstm.plugin", "--bstm-project", "PR-1", *args
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*pytest-bstm configuration:*", message])
    assert inner.emulator.requests == []


def test_missing_credentials_name_both_variables(
    inner: Inner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BROWSERSTACK_ACCESS_KEY")
    inner.pytester.makepyfile(TWO)
    result = inner.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*credentials missing (BROWSERSTACK_ACCESS_KEY not set): set both*"]
    )


def test_ini_and_environment_precedence(inner: Inner, monkeypatch: pytest.MonkeyPatch) -> None:
    inner.pytester.makeini(
        f"""
        [pytest]
        bstm_project = PR-2
        bstm_url = {inner.emulator.url}
        bstm_run_name = from ini
        """
    )
    monkeypatch.setenv("BSTM_PROJECT", "PR-1")
    inner.pytester.makepyfile(TWO)
    result = inner.pytester.runpytest_inprocess(
        "-p", "pytest_bstm.plugin", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1, failed=1)
    run = inner.only_run()  # environment (PR-1) beats ini (PR-2)
    assert run["name"] == "from ini"

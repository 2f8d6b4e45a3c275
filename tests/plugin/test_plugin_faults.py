"""A bad day: the service down or failing, closed runs, rejected results, lost answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bstm_helpers import API, Inner

from pytest_bstm.delivery.journal import read
from pytest_bstm.emulator import Emulator

THREE = """
import pytest

@pytest.mark.tc("TC-1")
def test_one():
    pass

@pytest.mark.tc("TC-2")
def test_two():
    assert False, "broken"

@pytest.mark.tc("TC-3")
def test_three():
    pass
"""


def journal_of(inner: Inner) -> Path:
    return inner.pytester.path / "j.jsonl"


def test_service_down_at_start_keeps_the_session_and_journals(inner: Inner) -> None:
    inner.pytester.makepyfile(THREE)
    inner.emulator.faults.down(True)
    try:
        result = inner.run("--bstm-journal", "j.jsonl", "-W", "error", "--bstm-drain-timeout", "2")
    finally:
        inner.emulator.faults.down(False)
    result.assert_outcomes(passed=2, failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in out
    assert "Traceback" not in out
    result.stdout.fnmatch_lines(
        [
            "error:*could not create the run*",
            "waiting:*3 results not uploaded, kept in j.jsonl",
            "*upload them with: bstm journal upload j.jsonl",
        ]
    )
    state = read(journal_of(inner))
    assert {r["case"] for r in state.unsent} == {"TC-1", "TC-2", "TC-3"}
    assert inner.emulator.runs("PR-1") == []


def test_strict_turns_a_reporting_failure_into_a_failing_exit(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_one():
            pass
        """
    )
    inner.emulator.faults.down(True)
    try:
        lenient = inner.run("--bstm-journal", "a.jsonl", "--bstm-drain-timeout", "2")
        strict = inner.run(
            "--bstm-journal", "b.jsonl", "--bstm-strict", "--bstm-drain-timeout", "2"
        )
    finally:
        inner.emulator.faults.down(False)
    assert lenient.ret == pytest.ExitCode.OK
    assert strict.ret == pytest.ExitCode.TESTS_FAILED
    lenient.stdout.no_fnmatch_line("strict:*")
    strict.stdout.fnmatch_lines(["*1 passed*"])  # the test passed: the line says what failed
    strict.stdout.fnmatch_lines(["strict:     exit code 1 (--bstm-strict): ?*"])


def test_strict_names_refused_results_when_nothing_else_went_wrong(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_one():
            pass
        """
    )
    inner.pytester.makeini("[pytest]\nbstm_status_map =\n    passed = nonsense\n")
    result = inner.run("--bstm-strict")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "rejected:   TC-1 *",
            "strict:     exit code 1 (--bstm-strict): the service refused 1 result",
        ]
    )


def test_failing_uploads_are_retried_until_the_service_answers(inner: Inner) -> None:
    inner.pytester.makepyfile(THREE)
    inner.emulator.faults.fail(status=503, times=6, path_contains="/results")
    result = inner.run("--bstm-journal", "j.jsonl")
    rid = inner.only_run()["identifier"]
    assert inner.statuses(rid) == {
        ("TC-1", None): "passed",
        ("TC-2", None): "failed",
        ("TC-3", None): "passed",
    }
    assert inner.emulator.run(rid)["active_state"] == "closed"
    assert read(journal_of(inner)).unsent == []
    result.stdout.no_fnmatch_line("waiting:*")


def test_uploads_failing_past_the_deadline_stay_journaled_and_run_open(inner: Inner) -> None:
    inner.pytester.makepyfile(THREE)
    inner.emulator.faults.fail(status=500, times=10_000, path_contains="/results")
    result = inner.run("--bstm-journal", "j.jsonl", "--bstm-drain-timeout", "2")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    rid = inner.only_run()["identifier"]
    assert inner.emulator.results(rid) == []
    assert inner.emulator.run(rid)["active_state"] == "active"
    result.stdout.fnmatch_lines(
        [
            f"note:*run {rid} left open because results are waiting*closes it",
            "error:*upload*",
            "waiting:*3 results not uploaded, kept in j.jsonl",
            "*bstm journal upload j.jsonl",
        ]
    )
    assert len(read(journal_of(inner)).unsent) == 3
    inner.emulator.faults.clear()


def test_one_bad_result_does_not_poison_the_batch(inner: Inner) -> None:
    inner.pytester.makeini("[pytest]\nbstm_status_map =\n    failed = no_such_status\n")
    inner.pytester.makepyfile(THREE)
    result = inner.run("--bstm-journal", "j.jsonl")
    rid = inner.only_run()["identifier"]
    assert inner.statuses(rid) == {("TC-1", None): "passed", ("TC-3", None): "passed"}
    result.stdout.fnmatch_lines(["rejected:*TC-2 (*::test_two)*"])
    state = read(journal_of(inner))
    assert set(state.rejected) == {r["key"] for r in state.results.values() if r["case"] == "TC-2"}


def test_lost_create_answer_makes_exactly_one_run(inner: Inner) -> None:
    inner.pytester.makepyfile(THREE)
    inner.emulator.faults.drop(
        times=1, after_processing=True, methods=["POST"], path_contains="/test-runs"
    )
    inner.run().assert_outcomes(passed=2, failed=1)
    run = inner.only_run()
    assert len(inner.statuses(run["identifier"])) == 3
    assert [c for c in inner.calls() if c == ("POST", API)] == [("POST", API)]


def test_lost_results_answer_makes_no_duplicate(inner: Inner) -> None:
    inner.pytester.makepyfile(THREE)
    inner.emulator.faults.drop(times=1, after_processing=True, path_contains="/results")
    inner.run("--bstm-journal", "j.jsonl").assert_outcomes(passed=2, failed=1)
    rid = inner.only_run()["identifier"]
    assert len(inner.statuses(rid)) == 3  # raises on a duplicate
    assert read(journal_of(inner)).unsent == []


def test_lost_results_answer_and_a_failing_read_back_make_no_duplicate(inner: Inner) -> None:
    """The results post is applied but its answer lost, and reading the run's results back
    fails for a while: nothing is posted again before the read-back says what arrived."""
    inner.pytester.makepyfile(THREE)
    faults = inner.emulator.faults
    faults.fail(502, times=1, methods="POST", path_contains="/results", after_processing=True)
    faults.fail(503, times=6, methods="GET", path_contains="/results")
    inner.run("--bstm-journal", "j.jsonl").assert_outcomes(passed=2, failed=1)
    rid = inner.only_run()["identifier"]
    assert len(inner.statuses(rid)) == 3  # raises on a duplicate
    posts = [
        r for r in inner.emulator.requests if r["method"] == "POST" and "/results" in r["path"]
    ]
    assert len(posts) == 1
    assert read(journal_of(inner)).unsent == []


def test_run_closed_mid_session_stops_sending_and_keeps_journaling(
    inner: Inner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_bstm.api import Client, models

    client = Client(
        base_url=inner.emulator.url,
        username=inner.emulator.username,
        access_key=inner.emulator.access_key,
    )
    rid = client.create_run(
        "PR-1", models.NewTestRun(name="x", test_cases=["TC-1", "TC-2"])
    ).identifier
    monkeypatch.setenv("CLOSE_URL", inner.emulator.url)
    monkeypatch.setenv("CLOSE_RUN", rid)
    inner.pytester.makepyfile(
        """
        import os
        import pytest
        from pytest_bstm.api import Client
        from pytest_bstm.plugin import current_run

        @pytest.mark.tc("TC-1")
        def test_closes_the_run(request):
            assert current_run(request.config) == os.environ["CLOSE_RUN"]
            Client(base_url=os.environ["CLOSE_URL"]).close_run("PR-1", os.environ["CLOSE_RUN"])

        @pytest.mark.tc("TC-2")
        def test_after():
            pass
        """
    )
    result = inner.run("--bstm-run", rid, "--bstm-journal", "j.jsonl")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK
    assert inner.emulator.results(rid) == []
    result.stdout.fnmatch_lines(
        [
            f"error:*run {rid} was closed or deleted*",
            "waiting:*2 results*",
            "  send them to a new run with: RUN=$(bstm runs create --url * --project PR-1 "
            '--name *) && bstm journal upload j.jsonl --url * --project PR-1 --run "$RUN" --close',
        ]
    )
    assert "left open" not in result.stdout.str()
    assert len(read(journal_of(inner)).unsent) == 2


def test_a_close_that_keeps_failing_is_reported_and_the_journal_kept(inner: Inner) -> None:
    inner.pytester.makepyfile(THREE)
    inner.emulator.faults.fail(503, times=None, path_contains="/close")
    result = inner.run("--bstm-journal", "j.jsonl", "--bstm-drain-timeout", "2")
    rid = inner.only_run()["identifier"]
    assert len(inner.statuses(rid)) == 3
    result.stdout.fnmatch_lines(
        [f"error:*could not close run {rid}: *", f"  close it with: bstm runs close * {rid}"]
    )
    inner.emulator.faults.clear()
    assert read(journal_of(inner)).unsent == []
    assert (inner.pytester.path / "j.jsonl").exists()


def test_a_dropped_result_is_not_counted_as_not_run(inner: Inner) -> None:
    inner.pytester.makeconftest(
        """
        def pytest_bstm_result(config, result):
            return result.case_id != "TC-2" or False
        """
    )
    inner.pytester.makepyfile(THREE)
    result = inner.run()
    result.stdout.fnmatch_lines(["dropped:    1 result by pytest_bstm_result"])
    assert "not run:" not in result.stdout.str()


def test_nothing_to_say_prints_no_bstm_section(inner: Inner) -> None:
    inner.pytester.makepyfile(THREE)
    result = inner.run("-k", "nothing_matches")
    assert "- bstm -" not in result.stdout.str()
    assert inner.emulator.requests == []


def test_the_access_key_never_appears_anywhere(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "SeCrEt-AcCeSs-KeY-4242"
    with Emulator(access_key=secret) as emu:
        inner = Inner(pytester, emu, monkeypatch)
        inner.pytester.makepyfile(THREE)
        runs = [
            inner.run("-vv", "--debug", "--bstm-journal", "j.jsonl"),
            inner.run("--bstm-dry-run", "-v"),
            inner.run("--bstm-run", "TR-77", "--bstm-journal", "j.jsonl"),
        ]
        monkeypatch.setenv("BROWSERSTACK_ACCESS_KEY", secret + "-wrong")
        runs.append(inner.run("--bstm-journal", "k.jsonl"))
        for result in runs:
            assert secret not in result.stdout.str()
            assert secret not in result.stderr.str()
        runs[-1].stdout.fnmatch_lines(["error:*BROWSERSTACK_USERNAME*BROWSERSTACK_ACCESS_KEY*"])
        for path in pytester.path.rglob("*"):
            if path.is_file():
                assert secret not in path.read_text(errors="replace"), path
        assert secret not in json.dumps(emu.requests)


def test_assignments_the_service_refuses_do_not_cost_the_run(inner: Inner) -> None:
    """One case under a configuration, another with an assignee: the run is made and gets
    every result even when the service refuses the assignment."""
    inner.emulator.add_configurations([{"id": 101, "name": "Chrome"}])
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1", configurations=[101])
        def test_a():
            pass

        @pytest.mark.tc("TC-2", assignee="qa@example.com")
        def test_b():
            assert 0
        """
    )
    result = inner.run()
    rid = inner.only_run()["identifier"]
    assert len(inner.statuses(rid)) == 2
    assert inner.only_run()["active_state"] == "closed"
    assert "error:" not in result.stdout.str()


def test_a_lost_clone_answer_makes_no_second_clone(inner: Inner) -> None:
    from pytest_bstm.api import Client, models

    emu = inner.emulator
    with Client(base_url=emu.url, username=emu.username, access_key=emu.access_key) as client:
        source = client.create_run(
            "PR-1", models.NewTestRun(name="nightly", test_cases=["TC-1", "TC-2"])
        ).identifier
    inner.pytester.makepyfile(THREE)
    emu.faults.drop(times=1, after_processing=True, path_contains="/clone")
    inner.run("--bstm-clone", source).assert_outcomes(passed=2, failed=1)
    runs = emu.runs("PR-1")
    assert len(runs) == 2, runs  # the source and one clone
    clone = next(r for r in runs if r["identifier"] != source)["identifier"]
    assert len(inner.statuses(clone)) == 3


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_is_one_summary_line_never_a_traceback(inner: Inner) -> None:
    """Every journal write fails with ENOSPC, the last one when the file is closed at the
    very end: the session keeps its exit code and the summary says why."""
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_one():
            pass
        """
    )
    result = inner.run("--bstm-journal=/dev/full")
    assert result.ret == pytest.ExitCode.OK
    out = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in out
    assert "INTERNALERROR" not in out
    result.stdout.fnmatch_lines(
        ["error:      the journal could not be written: /dev/full: No space left on device"]
    )
    assert inner.statuses(inner.only_run()["identifier"]) == {("TC-1", None): "passed"}

"""Chaos, kill -9, and shards: afterwards exactly one result per (case, configuration)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import bstm_helpers
import pytest
from bstm_helpers import Inner

from pytest_bstm.cli import main as bstm
from pytest_bstm.delivery.journal import read
from pytest_bstm.emulator import Emulator


@pytest.fixture
def inner(pytester: pytest.Pytester, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Inner:
    helper = Inner(pytester, emulator, monkeypatch)
    monkeypatch.setenv("BSTM_URL", emulator.url)  # for the bstm command
    return helper


def suite(cases: range, fail_every: int = 5) -> str:
    lines = ["import pytest", ""]
    for i in cases:
        lines += [
            f'@pytest.mark.tc("TC-{i}")',
            f"def test_{i}():",
            f"    assert {i} % {fail_every} != 0",
            "",
        ]
    return "\n".join(lines)


def upload(journal: Path, *extra: str) -> int:
    return bstm(["journal", "upload", str(journal), *extra])


def test_chaos_loses_nothing_and_duplicates_nothing(
    inner: Inner, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = range(1, 41)
    inner.pytester.makepyfile(test_stormy=suite(cases))
    faults = inner.emulator.faults
    faults.fail_rate(status=503, probability=0.3, seed=7)
    faults.fail(status=429, times=3, retry_after=1)
    faults.latency(2.0, times=2)
    faults.drop(times=2, after_processing=True, path_contains="/results")
    faults.drop(times=1, path_contains="/test-cases")
    result = inner.run("--bstm-journal", "j.jsonl", "--bstm-configurations", "101,102")
    result.assert_outcomes(passed=32, failed=8)
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # pytest's own exit code
    faults.clear()
    journal = inner.pytester.path / "j.jsonl"
    runs = inner.emulator.runs("PR-1")
    assert len(runs) == 1  # never a second run
    rid = runs[0]["identifier"]
    if read(journal).unsent:
        assert upload(journal) == 0
    assert read(journal).unsent == []
    expected = {
        (f"TC-{i}", cfg): ("failed" if i % 5 == 0 else "passed")
        for i in cases
        for cfg in (101, 102)
    }
    assert inner.statuses(rid) == expected  # one per pair: none missing, no duplicates
    capsys.readouterr()


def test_service_down_mid_session_and_back(inner: Inner) -> None:
    bstm_helpers.CURRENT = inner.emulator  # the inner session runs in this process
    inner.pytester.makepyfile(
        test_outage="""
        import threading
        import time
        import pytest
        import bstm_helpers

        @pytest.mark.tc("TC-1")
        def test_before():
            pass

        @pytest.mark.tc("TC-2")
        def test_takes_the_service_down_for_two_seconds():
            emulator = bstm_helpers.CURRENT
            for _ in range(200):  # mid-session: once the sender has created the run
                if emulator.runs("PR-1"):
                    break
                time.sleep(0.05)
            faults = emulator.faults
            faults.down(True)
            threading.Timer(2.0, faults.down, args=(False,)).start()

        @pytest.mark.tc("TC-3")
        def test_after():
            pass
        """
    )
    result = inner.run("--bstm-journal", "j.jsonl")
    result.assert_outcomes(passed=3)
    assert result.ret == pytest.ExitCode.OK
    rid = inner.only_run()["identifier"]
    assert inner.statuses(rid) == {(f"TC-{i}", None): "passed" for i in (1, 2, 3)}
    assert inner.emulator.run(rid)["active_state"] == "closed"
    assert read(inner.pytester.path / "j.jsonl").unsent == []


def test_kill_9_mid_run_the_sender_finishes_exactly_once(
    inner: Inner,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """pytest's process is killed inside a test: the sender process notices, delivers every
    result the journal holds (the test it died in failed) and closes the run, no command run;
    a journal upload afterwards has nothing to do; the sender's folder goes with it."""
    scratch = tmp_path_factory.mktemp("tmpdir")
    monkeypatch.setenv("TMPDIR", str(scratch))
    lines = ["import os, signal, time, pytest", ""]
    for i in range(1, 13):
        body = "time.sleep(2); os.kill(os.getpid(), signal.SIGKILL)" if i == 9 else "pass"
        lines += [f'@pytest.mark.tc("TC-{i}")', f"def test_{i:02d}():", f"    {body}", ""]
    inner.pytester.makepyfile(test_killed="\n".join(lines))
    result = inner.pytester.runpytest_subprocess(
        *inner.args("--bstm-journal", "j.jsonl", "-p", "no:randomly")
    )
    assert result.ret == -9
    journal = inner.pytester.path / "j.jsonl"
    state = read(journal)
    # TC-9's test was running when the process was killed: failed, saying so
    assert {r["case"] for r in state.results.values()} == {f"TC-{i}" for i in range(1, 10)}
    (killed,) = [r for r in state.results.values() if r["case"] == "TC-9"]
    assert killed["status"] == "failed"
    assert "test_killed.py::test_09: crashed: the test process ended" in killed["description"]
    rid = inner.only_run()["identifier"]
    bstm_helpers.wait_until(lambda: inner.emulator.run(rid)["active_state"] == "closed")
    statuses = inner.statuses(rid)
    assert statuses == {
        **{(f"TC-{i}", None): "passed" for i in range(1, 9)},
        ("TC-9", None): "failed",
    }
    assert read(journal).unsent == []
    assert upload(journal) == 0
    assert "nothing to upload" in capsys.readouterr().out
    assert len(inner.emulator.results(rid)) == 9
    # no one reads the killed session's events: the sender removed their folder as it ended
    bstm_helpers.wait_until(lambda: not any(scratch.iterdir()))


def test_three_shards_concurrently_report_into_one_run(
    inner: Inner, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bstm(["runs", "create", "--project", "PR-1", "--name", "sharded"]) == 0
    rid = capsys.readouterr().out.strip()
    assert rid.startswith("TR-")
    env = {**os.environ, "BSTM_RUN": rid}
    procs = []
    for shard in range(3):
        folder = inner.pytester.mkdir(f"shard{shard}")
        (folder / f"test_shard{shard}.py").write_text(suite(range(shard * 10 + 1, shard * 10 + 11)))
        args = inner.args("--bstm-no-close", "-q", "--rootdir", str(folder), str(folder))
        procs.append(
            subprocess.Popen(
                [sys.executable, "-m", "pytest", *args],
                cwd=folder,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
        )
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 1, out.decode()
    assert inner.emulator.run(rid)["active_state"] == "active"
    assert bstm(["runs", "close", "--project", "PR-1", rid]) == 0
    assert inner.emulator.run(rid)["active_state"] == "closed"
    assert inner.statuses(rid) == {
        (f"TC-{i}", None): ("failed" if i % 5 == 0 else "passed") for i in range(1, 31)
    }
    assert len(inner.emulator.runs("PR-1")) == 1


def test_service_down_at_start_and_back_before_the_end(inner: Inner) -> None:
    bstm_helpers.CURRENT = inner.emulator
    inner.pytester.makepyfile(
        test_late="""
        import pytest
        import bstm_helpers

        @pytest.mark.tc("TC-1")
        def test_service_comes_back():
            bstm_helpers.CURRENT.faults.down(False)

        @pytest.mark.tc("TC-2")
        def test_after():
            pass
        """
    )
    inner.emulator.faults.down(True)
    try:
        result = inner.run("--bstm-journal", "j.jsonl")
    finally:
        inner.emulator.faults.down(False)
    assert result.ret == pytest.ExitCode.OK
    run = inner.only_run()
    assert run["active_state"] == "closed"
    assert inner.statuses(run["identifier"]) == {("TC-1", None): "passed", ("TC-2", None): "passed"}
    assert read(inner.pytester.path / "j.jsonl").unsent == []

"""Session-shapes rows for ``pytest.main()`` called twice in one process (an IDE, a watcher, a
notebook), both sessions started in the same second (issue 24): each session's journal is its
own, so neither uploads, rewrites nor deletes the other's, and every printed command works."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime

import pytest
from bstm_helpers import Inner, settle_upload_threads, shell, suggested, wait_until

from pytest_bstm.config import settings

FIRST = """
import pytest

@pytest.mark.tc("TC-1")
def test_one():
    pass

@pytest.mark.tc("TC-2")
def test_two():
    assert False
"""
SECOND = """
import pytest

@pytest.mark.tc("TC-2")
def test_two_again():
    pass

@pytest.mark.tc("TC-3")
def test_three():
    pass
"""
# each session's run holds its own results, and both runs are closed
EACH_ITS_OWN = {
    frozenset({"TC-1", "TC-2"}): {
        "statuses": {"TC-1": "passed", "TC-2": "failed"},
        "state": "closed",
    },
    frozenset({"TC-2", "TC-3"}): {
        "statuses": {"TC-2": "passed", "TC-3": "passed"},
        "state": "closed",
    },
}


class _SameSecond(datetime):
    @classmethod
    def now(cls, tz: object = None) -> _SameSecond:  # type: ignore[override]
        return cls(2026, 12, 4, 15, 11, 38)


@pytest.fixture
def same_second(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both sessions resolve their settings at the same wall-clock second."""
    monkeypatch.setattr(settings, "datetime", _SameSecond)


def _session(inner: Inner, module: str, *extra: str) -> pytest.RunResult:
    args = inner.args("--bstm-drain-timeout", "0.5", *extra, module)
    result = inner.pytester.runpytest_inprocess(*args)
    settle_upload_threads()
    return result


def _runs_by_cases(inner: Inner) -> dict[frozenset[str], dict[str, object]]:
    out = {}
    for run in inner.emulator.runs("PR-1"):
        statuses = inner.statuses(run["identifier"])
        out[frozenset(case for case, _ in statuses)] = {
            "statuses": {case: s for (case, _), s in statuses.items()},
            "state": run["active_state"],
        }
    return out


@pytest.mark.usefixtures("same_second")
def test_a_second_session_keeps_the_journal_the_first_asked_to_upload(inner: Inner) -> None:
    inner.pytester.makepyfile(test_first=FIRST, test_second=SECOND)
    inner.emulator.faults.down(True)
    try:
        first = _session(inner, "test_first.py")
    finally:
        inner.emulator.faults.down(False)
    text = first.stdout.str()
    assert "2 results not uploaded" in text, text
    commands = suggested(text)
    assert commands, text
    second = _session(inner, "test_second.py")
    second.stdout.fnmatch_lines(["*results:*2 uploaded*"])
    journals = sorted(p.name for p in (inner.pytester.path / ".bstm").iterdir())
    assert len(journals) == 1, journals  # the first session's, kept; the second's, discarded
    for command in commands:  # as printed, after the second session
        done = shell(command, inner.pytester.path)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
    assert _runs_by_cases(inner) == EACH_ITS_OWN


@pytest.mark.usefixtures("same_second")
def test_two_reporting_sessions_in_one_process_each_get_their_own_results(inner: Inner) -> None:
    inner.pytester.makepyfile(test_first=FIRST, test_second=SECOND)
    first = _session(inner, "test_first.py")
    second = _session(inner, "test_second.py")
    for result in (first, second):
        result.stdout.fnmatch_lines(["*results:*2 uploaded*"])
        result.stdout.no_fnmatch_line("*waiting:*")
    assert not (inner.pytester.path / ".bstm").exists()
    assert _runs_by_cases(inner) == EACH_ITS_OWN


def test_a_named_journal_with_work_left_is_not_written_to(inner: Inner) -> None:
    """A later session naming the journal an earlier one left unfinished stops before any
    write, saying how to finish it; a finished named journal is appended to, and each
    session's results go to its own run."""
    inner.pytester.makepyfile(test_first=FIRST, test_second=SECOND)
    inner.emulator.faults.down(True)
    try:
        _session(inner, "test_first.py", "--bstm-journal", "j.jsonl")
    finally:
        inner.emulator.faults.down(False)
    before = (inner.pytester.path / "j.jsonl").read_bytes()
    refused = _session(inner, "test_second.py", "--bstm-journal", "j.jsonl")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(["*holds 2 result(s)*bstm journal upload j.jsonl*"])
    assert (inner.pytester.path / "j.jsonl").read_bytes() == before
    assert inner.emulator.runs("PR-1") == []
    done = shell("bstm journal upload j.jsonl", inner.pytester.path)
    assert done.returncode == 0, done.stderr
    second = _session(inner, "test_second.py", "--bstm-journal", "j.jsonl")
    second.stdout.fnmatch_lines(["*results:*2 uploaded*"])
    assert _runs_by_cases(inner) == EACH_ITS_OWN


WAITS = """
import pathlib, time

def pytest_collection_modifyitems(items):  # a long collection: nothing journaled yet
    pathlib.Path("started").touch()
    deadline = time.monotonic() + 60
    while not pathlib.Path("go").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
"""


def test_a_named_journal_another_running_session_writes_is_refused(inner: Inner) -> None:
    """Two sessions at once naming one journal: the later one stops before any write (its
    sender would send the earlier one's results into its own run); once the earlier one
    ended, the journal is free again and nothing of the claim is left."""
    inner.pytester.makepyfile(test_first=FIRST, test_second=SECOND)
    (inner.pytester.path / "first").mkdir()
    (inner.pytester.path / "first" / "conftest.py").write_text(WAITS)
    (inner.pytester.path / "test_first.py").rename(inner.pytester.path / "first" / "test_first.py")
    path = inner.pytester.path
    first = inner.pytester.popen(
        [sys.executable, "-m", "pytest", *inner.args("--bstm-journal", "j.jsonl", "first")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: (path / "started").exists() or first.poll() is not None)
        assert first.poll() is None, first.communicate()
        refused = _session(inner, "test_second.py", "--bstm-journal", "j.jsonl")
        assert refused.ret == pytest.ExitCode.USAGE_ERROR
        refused.stderr.fnmatch_lines(["*j.jsonl* is being written by another pytest session*"])
    finally:
        (path / "go").touch()
        out, err = first.communicate(timeout=120)
    assert first.returncode == 1, (out, err)
    (run,) = inner.emulator.runs("PR-1")
    assert inner.statuses(run["identifier"]) == {("TC-1", None): "passed", ("TC-2", None): "failed"}
    assert run["active_state"] == "closed"
    assert not (path / "j.jsonl.lock").exists()
    second = _session(inner, "test_second.py", "--bstm-journal", "j.jsonl")
    second.stdout.fnmatch_lines(["*results:*2 uploaded*"])
    assert _runs_by_cases(inner) == {
        frozenset({"TC-1", "TC-2"}): EACH_ITS_OWN[frozenset({"TC-1", "TC-2"})],
        **{k: v for k, v in EACH_ITS_OWN.items() if "TC-3" in k},
    }


def test_a_named_journal_that_is_another_file_is_refused(inner: Inner) -> None:
    inner.pytester.makepyfile(test_first=FIRST)
    notes = inner.pytester.path / "notes.md"
    notes.write_text("# Notes\n\nkeep these\n", encoding="utf-8")
    refused = _session(inner, "test_first.py", "--bstm-journal", "notes.md")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(["*notes.md* cannot be read as a journal (line 1 is not JSON)*"])
    assert notes.read_text(encoding="utf-8") == "# Notes\n\nkeep these\n"
    assert inner.emulator.runs("PR-1") == []

"""Sessions that end abruptly still tell what happened to their results."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import bstm_helpers
import pytest
from bstm_helpers import Bstm, Inner

from pytest_bstm.delivery.journal import read


@contextlib.contextmanager
def sigint_not_ignored() -> Iterator[None]:
    """A child started inside raises KeyboardInterrupt on Ctrl-C even when this process
    ignores SIGINT (an xdist worker does; a child inherits an ignored signal, and Python then
    keeps it)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def test_pytest_exit_with_its_own_code_still_prints_the_bstm_section(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_one():
            pass

        @pytest.mark.tc("TC-2")
        def test_two():
            pytest.exit("stop here", returncode=7)
        """
    )
    inner.emulator.faults.down(True)
    try:
        result = inner.run("--bstm-journal", "j.jsonl", "--bstm-drain-timeout", "1")
    finally:
        inner.emulator.faults.down(False)
    assert result.ret == 7
    result.stdout.fnmatch_lines(
        ["*- bstm -*", "waiting:*1 result not uploaded*", "*bstm journal upload j.jsonl"]
    )
    assert result.stdout.str().count("- bstm -") == 1


def test_ctrl_c_while_the_session_end_waits_keeps_pytest_and_the_journal(
    inner: Inner, pytester: pytest.Pytester
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_one():
            pass
        """
    )
    # uploads keep failing (no request is left in flight to land after the test)
    inner.emulator.faults.fail(503, times=None, path_contains="/results")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    args = [sys.executable, "-m", "pytest", *inner.args("--bstm-journal", "j.jsonl")]
    with sigint_not_ignored():
        proc = subprocess.Popen(
            args, cwd=pytester.path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    for line in proc.stdout:
        if "bstm: uploading" in line or time.monotonic() > deadline:
            break
    proc.send_signal(signal.SIGINT)
    out = line + proc.communicate(timeout=60)[0]
    assert proc.returncode == 0, out
    assert "Traceback" not in out
    assert "interrupted (Ctrl-C) while uploading" in out
    assert "bstm journal upload j.jsonl" in out


def test_a_killed_session_keeps_the_results_held_for_a_record_property_test(
    inner: Inner, bstm: Bstm
) -> None:
    """Results held back while a test that may record a case is still to run are in the
    journal too: a process killed before that test ends loses none of them."""
    inner.pytester.makepyfile(
        """
        import os
        import pytest

        @pytest.mark.tc("TC-1")
        def test_one():
            pass

        @pytest.mark.tc("TC-2")
        def test_two():
            assert False

        def test_killed():
            os._exit(1)

        def test_records(record_property):
            record_property("id", "TC-3")
        """
    )
    result = inner.pytester.runpytest_subprocess(*inner.args("--bstm-journal", "j.jsonl"))
    assert result.ret == 1
    journal = inner.pytester.path / "j.jsonl"
    bstm_helpers.wait_until(lambda: read(journal).closed)  # the sender process finished it
    code, out, err = bstm("journal", "upload", str(journal))
    assert (code, out) == (0, "nothing to upload\n"), err
    run = inner.only_run()
    assert inner.statuses(run["identifier"]) == {("TC-1", None): "passed", ("TC-2", None): "failed"}
    assert run["active_state"] == "closed"


def test_a_held_result_the_hook_dropped_is_not_uploaded_from_a_kept_journal(
    inner: Inner, bstm: Bstm
) -> None:
    inner.pytester.makeconftest(
        """
        def pytest_bstm_result(config, result):
            return False if result.case_id == "TC-1" else None
        """
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

        def test_records(record_property):
            record_property("id", "TC-3")
        """
    )
    inner.emulator.faults.down(True)
    try:
        result = inner.run("--bstm-journal", "j.jsonl", "--bstm-drain-timeout", "1")
    finally:
        inner.emulator.faults.down(False)
    result.stdout.fnmatch_lines(["*bstm journal upload j.jsonl"])
    code, out, err = bstm("journal", "upload", str(inner.pytester.path / "j.jsonl"))
    assert code == 0, (out, err)
    run = inner.only_run()
    assert inner.statuses(run["identifier"]) == {("TC-2", None): "passed", ("TC-3", None): "passed"}

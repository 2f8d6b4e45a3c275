"""A serial session whose process dies inside a test (os._exit, a fatal signal, a kill): the
journal names the test that was running, and the sender process (or, after its death too,
``bstm journal upload``) gives its cases a failed result saying so, as xdist does for a test
that crashed its worker."""

from __future__ import annotations

import bstm_helpers
import pytest
from bstm_helpers import Bstm, Inner

from pytest_bstm.delivery.journal import read

CRASH = "crashed: the test process ended while this test ran"


def crashed_session(inner: Inner, source: str, *args: str) -> pytest.RunResult:
    inner.pytester.makepyfile(test_crash=source)
    return inner.pytester.runpytest_subprocess(*inner.args("--bstm-journal", "j.jsonl", *args))


def delivered(inner: Inner, bstm: Bstm) -> None:
    """The sender process outlived pytest's: it delivers the journal and closes the run on its
    own, so that an upload afterwards has nothing to do."""
    journal = inner.pytester.path / "j.jsonl"
    bstm_helpers.wait_until(lambda: read(journal).closed)
    assert "nothing to upload" in upload(inner, bstm)


def upload(inner: Inner, bstm: Bstm) -> str:
    code, out, err = bstm("journal", "upload", str(inner.pytester.path / "j.jsonl"))
    assert code == 0, (out, err)
    return out


def test_the_test_the_process_died_in_is_failed_after_the_upload(inner: Inner, bstm: Bstm) -> None:
    result = crashed_session(
        inner,
        """
        import os
        import pytest

        @pytest.mark.tc("TC-1")
        def test_one():
            pass

        @pytest.mark.tc("TC-2")
        def test_dies():
            os._exit(3)

        @pytest.mark.tc("TC-3")
        def test_never_runs():
            pass
        """,
    )
    assert result.ret == 3
    delivered(inner, bstm)
    run = inner.only_run()
    # TC-3's test never ran: no result; the run is closed as the session would have
    assert inner.statuses(run["identifier"]) == {("TC-1", None): "passed", ("TC-2", None): "failed"}
    assert run["active_state"] == "closed"
    description = inner.descriptions(run["identifier"])["TC-2"]
    assert f"test_crash.py::test_dies: {CRASH}" in description
    assert "nothing to upload" in upload(inner, bstm)  # a second upload sends nothing
    assert len(inner.emulator.results(run["identifier"])) == 2


def test_a_crash_in_the_first_test_still_leaves_a_plan_to_upload(inner: Inner, bstm: Bstm) -> None:
    result = crashed_session(
        inner,
        """
        import os
        import pytest

        @pytest.mark.tc("TC-1")
        def test_dies():
            os._exit(1)
        """,
    )
    assert result.ret == 1  # the process died before any result: its sender makes the run
    delivered(inner, bstm)
    run = inner.only_run()
    assert inner.statuses(run["identifier"]) == {("TC-1", None): "failed"}


def test_one_case_on_several_tests_is_failed_by_the_crash(inner: Inner, bstm: Bstm) -> None:
    crashed_session(
        inner,
        """
        import os
        import pytest

        @pytest.mark.tc("TC-1", configurations=[101, 102])
        @pytest.mark.parametrize("n", [1, 2, 3])
        def test_x(n):
            if n == 2:
                os._exit(1)
        """,
    )
    delivered(inner, bstm)
    run = inner.only_run()
    assert inner.statuses(run["identifier"]) == {("TC-1", 101): "failed", ("TC-1", 102): "failed"}


def test_the_crash_status_follows_the_status_map(inner: Inner, bstm: Bstm) -> None:
    inner.pytester.makeini("[pytest]\nbstm_status_map =\n    failed = blocked\n")
    crashed_session(
        inner,
        """
        import os
        import pytest

        @pytest.mark.tc("TC-1")
        def test_dies():
            os._exit(1)
        """,
    )
    delivered(inner, bstm)
    assert inner.statuses(inner.only_run()["identifier"]) == {("TC-1", None): "blocked"}


@pytest.mark.parametrize(
    "body",
    ["raise KeyboardInterrupt", "pytest.exit('stop')"],
    ids=["ctrl-c", "pytest-exit"],
)
def test_a_session_that_ends_in_a_test_is_no_crash(inner: Inner, body: str) -> None:
    """The session ended on its own: the test that stopped it did not run to an outcome and
    gets no result (and no run is made for it alone)."""
    inner.pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.tc("TC-1")
        def test_stops():
            {body}
        """
    )
    inner.pytester.runpytest_subprocess(*inner.args("--bstm-journal", "j.jsonl"))
    assert inner.emulator.runs("PR-1") == []
    state = read(inner.pytester.path / "j.jsonl")
    assert state.results == {}


def test_a_crash_in_an_unmapped_test_fails_no_case(inner: Inner, bstm: Bstm) -> None:
    """The unmapped test that crashed has no case; the mapped test before it passed (its case
    waiting for a later test): the crash is not its."""
    crashed_session(
        inner,
        """
        import os
        import pytest

        @pytest.mark.tc("TC-1")
        def test_passes():
            pass

        def test_unmapped_dies():
            os._exit(1)

        @pytest.mark.tc("TC-1")
        def test_never_runs():
            pass
        """,
    )
    delivered(inner, bstm)
    # TC-1: what ran of it, as a session stopped by -x after the crashed test would report
    assert inner.statuses(inner.only_run()["identifier"]) == {("TC-1", None): "passed"}


def test_a_crash_keeps_what_ran_of_a_case_waiting_for_later_tests(inner: Inner, bstm: Bstm) -> None:
    crashed_session(
        inner,
        """
        import os
        import pytest

        @pytest.mark.tc("TC-5")
        def test_fails():
            assert 0

        @pytest.mark.tc("TC-1")
        def test_dies():
            os._exit(1)

        @pytest.mark.tc("TC-5")
        def test_never_runs():
            pass
        """,
    )
    delivered(inner, bstm)
    run = inner.only_run()["identifier"]
    assert inner.statuses(run) == {("TC-1", None): "failed", ("TC-5", None): "failed"}
    assert "FAILED test_crash.py::test_fails" in inner.descriptions(run)["TC-5"]


@pytest.mark.parametrize(
    "line",
    [
        '{"type":"running"}',
        '{"type":"running","nodeid":"test_crash.py::test_dies","keys":"TC-1"}',
        '{"type":"running","nodeid":"test_crash.py::test_dies","keys":[["TC-1"]]}',
        '{"type":"running","nodeid":"test_crash.py::test_dies","keys":[["TC-1",null,3]]}',
    ],
    ids=["no-nodeid", "keys-not-pairs", "short-pair", "long-pair"],
)
def test_a_hand_edited_running_line_is_a_usage_error(inner: Inner, bstm: Bstm, line: str) -> None:
    crashed_session(
        inner,
        """
        import os
        import pytest

        @pytest.mark.tc("TC-1")
        def test_dies():
            os._exit(1)
        """,
    )
    path = inner.pytester.path / "j.jsonl"
    bstm_helpers.wait_until(lambda: read(path).closed)  # the sender finished its part
    # the journal as pytest's process left it (without the sender's marks), hand-edited
    kept = [old for old in path.read_text().splitlines() if '"type":"plan"' in old]
    path.write_text("\n".join([*kept, line]) + "\n")
    code, _, err = bstm("journal", "upload", str(path))
    assert code == 2
    assert "malformed running line" in err
    assert len(inner.emulator.runs("PR-1")) == 1  # the sender's: the upload made none

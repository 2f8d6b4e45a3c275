"""The cost of reporting is linear in the tests, however many tests cover one case (issue 18).

Each test's outcome is folded into its case's running aggregate once, and a test whose case
still waits for later tests is journaled once, small; the result is built once, at the end.
These tests count journal bytes through a real session, so they fail on quadratic growth
without timing anything.
"""

from __future__ import annotations

import json

import pytest
from bstm_helpers import Bstm, Inner

SUITE = """
import os
import pytest

@pytest.mark.tc("TC-1")
@pytest.mark.parametrize("i", range({n}))
def test_value(i):
    assert i != {fail}, "value {fail} is wrong"

@pytest.mark.tc("TC-1")
def test_last():
    {last}
"""


def _session(inner: Inner, n: int, fail: int = -1, last: str = "pass") -> bytes:
    name = f"test_n{n}.py"
    (inner.pytester.path / name).write_text(SUITE.format(n=n, fail=fail, last=last))
    journal = inner.pytester.path / f"j{n}.jsonl"
    if "_exit" in last:  # the process dies: not this one
        inner.pytester.runpytest_subprocess(*inner.args("--bstm-journal", journal.name, name))
    else:
        inner.run("--bstm-journal", journal.name, name)
    return journal.read_bytes()


def test_journal_bytes_grow_linearly_with_the_tests_of_one_case(inner: Inner) -> None:
    small, large = _session(inner, 60), _session(inner, 240)
    # linear: about 4x (a line per test plus the result's node IDs); quadratic would be ~16x
    assert len(large) / len(small) < 4.5, (len(small), len(large))
    lines = [json.loads(line) for line in large.splitlines()]
    tests = [line for line in lines if line["type"] == "test"]
    assert len(tests) == 240  # every test but the last of the case, once each
    assert max(len(json.dumps(t)) for t in tests) < 300  # small: no rebuilt result
    assert not [line for line in lines if line["type"] == "held"]


def test_a_case_of_many_tests_names_the_failing_one_first_and_counts_the_rest(
    inner: Inner,
) -> None:
    _session(inner, 100, fail=70)
    run = inner.only_run()
    assert inner.statuses(run["identifier"]) == {("TC-1", None): "failed"}
    description = inner.descriptions(run["identifier"])["TC-1"]
    first = description.splitlines()[0]
    assert first.startswith("FAILED test_n100.py::test_value[70]"), description
    assert "value 70 is wrong" in description
    # 101 tests: the failure and 39 passed are named, the other 61 counted
    assert "... and 61 more tests (61 passed)" in description
    assert description.count("PASSED ") == 39


def test_a_killed_session_settles_a_case_of_many_tests_from_its_journal(
    inner: Inner, bstm: Bstm
) -> None:
    """The process dies in the last test of a 51-test case: the replay folds the 50 test lines
    into one result, with the failure named and the crash said, as the session would have."""
    _session(inner, 50, fail=7, last="os._exit(1)")
    journal = inner.pytester.path / "j50.jsonl"
    code, out, err = bstm("journal", "upload", str(journal))
    assert code == 0, (out, err)
    run = inner.only_run()
    assert inner.statuses(run["identifier"]) == {("TC-1", None): "failed"}
    description = inner.descriptions(run["identifier"])["TC-1"]
    assert "test_n50.py::test_last: crashed: the test process ended" in description
    assert "FAILED test_n50.py::test_value[7]" in description
    assert "... and 10 more tests (10 passed)" in description


def test_a_long_description_keeps_its_count_and_build_lines(
    inner: Inner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cut to the service's bound, a description still counts what it does not name and links
    the build: the named tests are cut, not its last lines."""
    monkeypatch.setenv("BSTM_BUILD_URL", "https://ci.example/build/77")
    inner.pytester.makepyfile(
        test_many="""
        import pytest

        @pytest.mark.tc("TC-1")
        @pytest.mark.parametrize("i", range(100))
        def test_value(i):
            detail = "x" * 200
            assert i % 2, f"odd values only {detail}"
        """
    )
    inner.run()
    run = inner.only_run()
    description = inner.descriptions(run["identifier"])["TC-1"]
    assert len(description) <= 6100
    assert "... (truncated)" in description
    assert "... and 60 more tests (10 failed, 50 passed)" in description
    assert "Build: https://ci.example/build/77" in description


def test_a_session_leaves_a_journal_folder_it_did_not_make(inner: Inner) -> None:
    (inner.pytester.path / ".bstm").mkdir()
    inner.pytester.makepyfile(
        test_one="""
        import pytest

        @pytest.mark.tc("TC-1")
        def test_one():
            pass
        """
    )
    inner.run().stdout.fnmatch_lines(["*results:*1 uploaded*"])
    assert list((inner.pytester.path / ".bstm").iterdir()) == []  # its journal went, not the folder

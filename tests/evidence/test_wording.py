"""One file, one case, one result: the words are singular wherever the session or ``bstm``
counts them (the summary, a dry run's calls, ``bstm journal upload``)."""

from __future__ import annotations

from bstm_helpers import Bstm, Inner

ONE = """
import pytest

@pytest.mark.tc("TC-1")
def test_one(bstm):
    bstm.attach(b"x", name="one.txt")
"""


def test_the_summary_counts_one_file_one_case_and_one_result_in_the_singular(
    inner: Inner,
) -> None:
    inner.pytester.makepyfile(ONE)
    result = inner.pytester.runpytest_inprocess(
        "-p", "pytest_bstm.plugin", "-p", "no:cacheprovider", "--bstm-emulator"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "evidence:   1 file attached",
            "emulator:   TR-1 is closed: 1 case (1 passed), 1 result stored",
            "1 result uploaded to TR-1 in *",
        ]
    )


def test_a_dry_run_lists_one_result_and_one_byte_in_the_singular(inner: Inner) -> None:
    inner.pytester.makepyfile(ONE)
    result = inner.run("--bstm-dry-run")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*POST */test-runs/*/results (1 result)",
            '*POST */test-results/*/attachments {"file":"one.txt (1 byte)"}',
        ]
    )


def test_journal_upload_counts_one_file_in_the_singular(inner: Inner, bstm: Bstm) -> None:
    inner.pytester.makepyfile(ONE)
    inner.emulator.faults.fail(503, None, methods="POST", path_contains="/attachments")
    args = ("--bstm-journal", "j.jsonl", "--bstm-drain-timeout", "1")
    inner.run(*args).assert_outcomes(passed=1)  # its result sent, its file waits
    inner.emulator.faults.clear()
    journal = str(inner.pytester.path / "j.jsonl")
    code, out, err = bstm("journal", "upload", journal, "--url", inner.emulator.url)
    assert code == 0, (out, err)
    assert "; 1 file attached;" in out, out

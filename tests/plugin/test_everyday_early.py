"""Run-level problems are told on the terminal as soon as the plugin knows, once, while the
tests go on; service trouble is one root-cause line."""

from __future__ import annotations

import fnmatch
import re
import time

import pytest
from bstm_helpers import Inner

from pytest_bstm.api import Client, models

# the second test outlasts the run's preparation, so the third test's report comes after it
SLOW = """
import time
import pytest

@pytest.mark.tc("TC-1")
def test_one():
    pass

@pytest.mark.tc("TC-2")
def test_two():
    time.sleep(3.0)  # the sender process starts (an interpreter) and tries meanwhile

@pytest.mark.tc("TC-3")
def test_three():
    pass
"""


def told_between(result: pytest.RunResult, first: str, then: str) -> list[str]:
    """The ``bstm:`` lines printed after the line holding ``first`` and before ``then``."""
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if first in line)
    end = next(i for i, line in enumerate(lines) if then in line)
    return [line for line in lines[start:end] if line.startswith("bstm: ")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--bstm-run", "TR-999"],
            "could not join run TR-999: it is not in PR-1 (HTTP 404 *): check --bstm-run",
        ),
        (
            ["--bstm-test-plan", "TP-99"],
            "could not create the run: the service refused it (HTTP 400 "
            "invalid_test_plan_id: Test plan TP-99 not found): check --bstm-test-plan",
        ),
        (
            ["--bstm-configurations", "999"],
            "could not create the run: *999*: check --bstm-configurations*",
        ),
        (
            ["--bstm-clone", "TR-1", "--bstm-clone-statuses", "bogus"],
            "could not clone run TR-1: *bogus*: check --bstm-clone-statuses",
        ),
    ],
)
def test_a_run_that_cannot_be_prepared_is_told_while_the_tests_run(
    inner: Inner, args: list[str], message: str
) -> None:
    with Client(
        base_url=inner.emulator.url,
        username=inner.emulator.username,
        access_key=inner.emulator.access_key,
    ) as client:
        client.create_run("PR-1", models.NewTestRun(name="source", test_cases=["TC-1"]))
    inner.pytester.makepyfile(SLOW)
    result = inner.run("-v", "-W", "error", *args)
    result.assert_outcomes(passed=3)
    assert result.ret == pytest.ExitCode.OK
    [line] = told_between(result, "::test_one PASSED", "::test_three PASSED")
    assert fnmatch.fnmatch(line, f"bstm: {message} (tests go on; results are journaled)"), line
    result.stdout.fnmatch_lines([f"error:      {message}"])


def test_wrong_credentials_are_told_early(inner: Inner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROWSERSTACK_ACCESS_KEY", "not-the-key")
    inner.pytester.makepyfile(SLOW)
    result = inner.run("-v")
    assert told_between(result, "::test_one PASSED", "::test_three PASSED") == [
        "bstm: could not create the run: the service refused the credentials (HTTP 401): check "
        "BROWSERSTACK_USERNAME and BROWSERSTACK_ACCESS_KEY (tests go on; results are journaled)"
    ]
    assert "not-the-key" not in result.stdout.str()


def test_a_closed_run_is_named_without_a_generic_not_found_hint(inner: Inner) -> None:
    with Client(
        base_url=inner.emulator.url,
        username=inner.emulator.username,
        access_key=inner.emulator.access_key,
    ) as client:
        run = client.create_run("PR-1", models.NewTestRun(name="old", test_cases=["TC-1"]))
        client.close_run("PR-1", run.identifier)
    inner.pytester.makepyfile(SLOW)
    result = inner.run("-v", "--bstm-run", run.identifier)
    result.stdout.fnmatch_lines(
        [
            f"bstm: could not join run {run.identifier}: {run.identifier} is closed, so it takes "
            f"no results: join an open run, or clone it with --bstm-clone {run.identifier} *",
            f"error:      could not join run {run.identifier}: {run.identifier} is closed*",
        ]
    )
    assert "HTTP 404" not in result.stdout.str()
    assert "Not found:" not in result.stdout.str()


def test_a_refused_connection_is_one_line_once(inner: Inner) -> None:
    inner.pytester.makepyfile(SLOW)
    inner.emulator.faults.down(True)
    try:
        # long enough for one preparation to exhaust its attempts (backoff 0.5 s, doubling)
        result = inner.run("--bstm-drain-timeout", "6", "-W", "error")
    finally:
        inner.emulator.faults.down(False)
    result.assert_outcomes(passed=3)
    out = result.stdout.str()
    host = inner.emulator.url.removeprefix("http://")
    result.stdout.re_match_lines(
        [
            rf"error:      could not create the run: the service was never reached: {host} "
            r"refused the connection "
            r"\(\d+ attempts over \d+(\.\d)? s\)$"
        ]
    )
    assert out.split("- bstm -")[1].count("refused the connection") == 1
    assert "HTTPConnectionPool" not in out
    assert "Traceback" not in out


def test_a_service_that_does_not_answer_is_told_once_while_the_tests_run(inner: Inner) -> None:
    inner.pytester.makepyfile(SLOW)
    inner.emulator.faults.down(True)
    try:
        result = inner.run("-v", "--bstm-drain-timeout", "1")
    finally:
        inner.emulator.faults.down(False)
    told = told_between(result, "::test_one PASSED", "::test_three PASSED")
    host = inner.emulator.url.removeprefix("http://")
    assert len(told) == 1
    assert fnmatch.fnmatch(
        told[0],
        f"bstm: could not create the run yet: {host} refused the connection (1 attempt)"
        "; retrying in the background (tests go on)",
    ), told


def test_refused_uploads_after_the_run_was_made_are_one_line(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.fixture
        def outage(request):
            from bstm_helpers import CURRENT
            from pytest_bstm.plugin import current_run
            assert current_run(request.config)  # the run exists: now the service goes down
            CURRENT.faults.down(True)

        @pytest.mark.tc("TC-1")
        def test_one(outage):
            pass

        @pytest.mark.tc("TC-2")
        def test_two():
            pass
        """
    )
    import bstm_helpers

    bstm_helpers.CURRENT = inner.emulator
    try:
        result = inner.run("--bstm-drain-timeout", "3")
    finally:
        inner.emulator.faults.down(False)
        bstm_helpers.CURRENT = None
    out = result.stdout.str()
    assert out.split("- bstm -")[1].count("refused the connection") == 1, out
    result.stdout.fnmatch_lines(
        ["error:      upload failed: * refused the connection (* attempts over *)*"]
    )


def test_a_run_select_cannot_read_is_told_before_the_tests(inner: Inner) -> None:
    inner.pytester.makepyfile(SLOW)
    result = inner.run("-v", "--bstm-run", "TR-999", "--bstm-select")
    result.assert_outcomes(passed=3)
    line = "--bstm-select: could not read the cases of TR-999 (HTTP 404): no test was deselected"
    lines = result.stdout.lines
    early = lines.index(f"bstm: {line}")
    assert early < next(i for i, text in enumerate(lines) if "::test_one PASSED" in text)
    assert f"note:       {line}" in lines  # the join's own error follows


def test_tls_to_a_plain_http_port_is_told_once_and_not_retried(inner: Inner) -> None:
    """TLS cannot succeed by retrying: the session neither hammers the port until its drain
    deadline nor waits for it, and says what to check."""
    inner.pytester.makepyfile(SLOW)
    https = inner.emulator.url.replace("http://", "https://")
    result = inner.run("--bstm-url", https, "--bstm-drain-timeout", "20", "-v")
    result.assert_outcomes(passed=3)
    host = https.removeprefix("https://")
    result.stdout.fnmatch_lines(
        [f"error:      could not create the run: TLS with {host} failed (*): check the URL"]
    )
    assert "retrying in the background" not in result.stdout.str()
    assert result.duration < 10
    assert len(inner.emulator.requests) == 0  # the emulator never saw an HTTP request


def test_a_service_never_reached_costs_the_session_end_seconds_not_the_drain_timeout(
    inner: Inner,
) -> None:
    inner.pytester.makepyfile(SLOW)
    inner.emulator.faults.down(True)
    try:
        started = time.monotonic()
        result = inner.run("--bstm-drain-timeout", "60")
        spent = time.monotonic() - started
    finally:
        inner.emulator.faults.down(False)
    result.assert_outcomes(passed=3)
    assert spent < 30, spent  # the drain timeout is 60 s; a few seconds are spent at the end
    section = result.stdout.str().split("- bstm -")[1]
    result.stdout.re_match_lines(
        [
            r"error:      could not create the run: the service was never reached: .* refused "
            r"the connection \((\d+) attempts over .*\)$",
            r"waiting:    3 results not uploaded, kept in .*journal-.*\.jsonl$",
            r"  upload them with: bstm journal upload .*journal-.*\.jsonl$",
        ]
    )
    attempts = int(re.search(r"\((\d+) attempts over", section).group(1))  # type: ignore[union-attr]
    assert attempts > 1  # the session's count, not one request's


def test_a_suite_shorter_than_the_senders_start_pays_no_drain_timeout_either(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
import pytest

@pytest.mark.tc("TC-1")
def test_one():
    pass

@pytest.mark.tc("TC-2")
def test_two():
    assert 0
"""
    )
    inner.emulator.faults.down(True)
    try:
        started = time.monotonic()
        result = inner.run("--bstm-drain-timeout", "60")
        spent = time.monotonic() - started
    finally:
        inner.emulator.faults.down(False)
    result.assert_outcomes(passed=1, failed=1)
    assert spent < 30, spent  # the session end waits for the first verdict, then a few seconds
    result.stdout.fnmatch_lines(["*could not create the run: the service was never reached*"])

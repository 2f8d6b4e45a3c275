"""Every command a failed session's summary suggests works as printed: each is run in a
shell, as a user would paste it, and must succeed and finish the job."""

from __future__ import annotations

import pytest
from bstm_helpers import Inner, shell, suggested

THREE = """
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
STORED = {("TC-1", None): "passed", ("TC-2", None): "failed", ("TC-3", None): "passed"}


def run_each(inner: Inner, result: pytest.RunResult) -> list[str]:
    """Run every command the summary suggests; each must succeed. Returns them."""
    section = result.stdout.str().split("- bstm -", 1)[1]
    commands = suggested(section)
    for command in commands:
        done = shell(command, inner.pytester.path)
        assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
    return commands


def test_after_an_outage_the_upload_finishes_the_run(inner: Inner) -> None:
    inner.pytester.makepyfile(THREE)
    inner.emulator.faults.down(True)
    try:
        result = inner.run("--bstm-drain-timeout", "1")
    finally:
        inner.emulator.faults.down(False)
    assert inner.emulator.runs("PR-1") == []
    [command] = run_each(inner, result)
    assert command.startswith("bstm journal upload ")
    run = inner.only_run()
    assert inner.statuses(run["identifier"]) == STORED
    assert run["active_state"] == "closed"


def test_results_for_an_unknown_run_go_to_a_new_run(inner: Inner) -> None:
    inner.pytester.makepyfile(THREE)
    result = inner.run("--bstm-run", "TR-999")
    [command] = run_each(inner, result)
    assert "bstm runs create" in command
    run = inner.only_run()
    assert inner.statuses(run["identifier"]) == STORED  # each result once
    assert run["active_state"] == "closed"  # as the session would have left a run it made


def test_a_new_run_is_closed_even_when_the_service_rejects_one_result(inner: Inner) -> None:
    inner.pytester.makepyfile(
        THREE + '\n@pytest.mark.tc("TC-999")\ndef test_unknown():\n    pass\n'
    )
    result = inner.run("--bstm-run", "TR-999")
    section = result.stdout.str().split("- bstm -", 1)[1]
    [command] = [c for c in suggested(section) if "bstm runs create" in c]
    done = shell(command, inner.pytester.path)
    assert "1 rejected" in done.stdout + done.stderr, done.stdout + done.stderr
    run = inner.only_run()
    assert inner.statuses(run["identifier"]) == STORED  # each result once, TC-999 named
    assert run["active_state"] == "closed"  # the rejected result does not keep it open


def test_once_the_credentials_work_the_upload_finishes(
    inner: Inner, monkeypatch: pytest.MonkeyPatch
) -> None:
    inner.pytester.makepyfile(THREE)
    monkeypatch.setenv("BROWSERSTACK_ACCESS_KEY", "wrong")
    result = inner.run()
    result.stdout.fnmatch_lines(["  once the credentials work, upload them with: bstm journal*"])
    monkeypatch.setenv("BROWSERSTACK_ACCESS_KEY", inner.emulator.access_key)
    run_each(inner, result)
    run = inner.only_run()
    assert inner.statuses(run["identifier"]) == STORED
    assert run["active_state"] == "closed"


def test_a_close_that_failed_is_finished_by_the_suggested_close(inner: Inner) -> None:
    inner.pytester.makepyfile(THREE)
    inner.emulator.faults.fail(status=503, times=10_000, path_contains="/close")
    result = inner.run("--bstm-drain-timeout", "2")
    inner.emulator.faults.clear()
    run = inner.only_run()
    assert run["active_state"] == "active"
    result.stdout.fnmatch_lines([f"error:      could not close run {run['identifier']}: *503*"])
    [command] = run_each(inner, result)
    assert command.startswith("bstm runs close ")
    assert inner.emulator.run(run["identifier"])["active_state"] == "closed"
    assert inner.statuses(run["identifier"]) == STORED


def test_a_run_closed_during_the_session_sends_the_rest_to_a_new_run(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.fixture
        def closed_meanwhile(request):
            from bstm_helpers import CURRENT
            from pytest_bstm.api import Client
            from pytest_bstm.plugin import current_run
            with Client(
                base_url=CURRENT.url, username=CURRENT.username, access_key=CURRENT.access_key
            ) as client:  # someone closes the run in the web UI
                client.close_run("PR-1", current_run(request.config))

        @pytest.mark.tc("TC-1")
        def test_one(closed_meanwhile):
            pass

        @pytest.mark.tc("TC-2")
        def test_two():
            pass
        """
    )
    import bstm_helpers

    bstm_helpers.CURRENT = inner.emulator
    try:
        result = inner.run()
    finally:
        bstm_helpers.CURRENT = None
    [command] = run_each(inner, result)
    assert "bstm runs create" in command
    first, second = inner.emulator.runs("PR-1")
    assert inner.emulator.results(first["identifier"]) == []
    assert inner.statuses(second["identifier"]) == {
        ("TC-1", None): "passed",
        ("TC-2", None): "passed",
    }
    assert inner.emulator.run(second["identifier"])["active_state"] == "closed"


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--bstm-project", "PR-999"], id="unknown project"),
        # every result carries the refused configuration: a new run refuses them too
        pytest.param(["--bstm-project", "PR-1", "--bstm-configurations", "999"], id="config"),
    ],
)
def test_nothing_is_suggested_that_cannot_succeed(inner: Inner, args: list[str]) -> None:
    inner.pytester.makepyfile(THREE)
    result = inner.run(*args, project=None)
    result.stdout.fnmatch_lines(["waiting:    3 results not uploaded, kept in *"])
    assert suggested(result.stdout.str()) == []

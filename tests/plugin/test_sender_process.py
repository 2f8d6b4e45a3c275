"""Delivery in its own process: nothing a test does to pytest's process reaches it.

Every inner session here runs in a subprocess of its own (what it does to sockets, the
environment or signals must not reach this process or its emulator)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import bstm_helpers
import pytest
from bstm_helpers import Bstm, Inner

from pytest_bstm.delivery.journal import read

FIVE = "\n".join(f'@pytest.mark.tc("TC-{i}")\ndef test_{i}():\n    pass\n' for i in range(1, 6))

# the sender processes of the inner session (Linux: /proc), found by their journal's folder
SENDERS = """
import os
from pathlib import Path

def senders():
    here = os.getcwd()
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\\0")
        except OSError:
            continue
        args = [a.decode(errors="replace") for a in argv]
        if "pytest_bstm.delivery.child" in args and any(a.startswith(here) for a in args):
            found.append(int(entry.name))
    return found
"""


def all_passed_and_closed(inner: Inner, n: int = 5) -> None:
    run = inner.only_run()
    assert run["active_state"] == "closed"
    assert inner.statuses(run["identifier"]) == {
        (f"TC-{i}", None): "passed" for i in range(1, n + 1)
    }


def test_pytest_socket_disable_socket_reports_every_result(inner: Inner) -> None:
    pytest.importorskip("pytest_socket")
    inner.pytester.makepyfile("import pytest\n\n" + FIVE)
    result = inner.pytester.runpytest_subprocess(
        *inner.args("-p", "pytest_socket", "--disable-socket", "-W", "error")
    )
    result.assert_outcomes(passed=5)
    assert "socket" not in result.stdout.str().split("- bstm -")[1]
    all_passed_and_closed(inner)


@pytest.mark.parametrize(
    "meddle",
    [
        "os.environ.clear()",
        "os.environ['HTTPS_PROXY'] = os.environ['HTTP_PROXY'] = 'http://127.0.0.1:9'",
        "socket.socket = None",
        "os.chdir('/')",
    ],
    ids=["environ-cleared", "dead-proxy", "socket-replaced", "chdir"],
)
def test_what_a_test_does_to_its_process_does_not_reach_delivery(inner: Inner, meddle: str) -> None:
    """The first test meddles (for good: no monkeypatch undoes it), the others report on."""
    inner.pytester.makepyfile(
        "import os, socket, pytest\n\n"
        '@pytest.mark.tc("TC-1")\n'
        f"def test_1():\n    {meddle}\n\n"
        + "\n".join(f'@pytest.mark.tc("TC-{i}")\ndef test_{i}():\n    pass\n' for i in range(2, 6))
    )
    result = inner.pytester.runpytest_subprocess(*inner.args("-p", "no:randomly"))
    result.assert_outcomes(passed=5)
    assert "error:" not in result.stdout.str()
    all_passed_and_closed(inner)


def test_a_session_fixture_that_replaces_socket_socket(inner: Inner) -> None:
    inner.pytester.makeconftest(
        """
        import socket
        import pytest

        class Blocked(socket.socket):
            def __init__(self, *args, **kwargs):
                raise RuntimeError("no network in tests")

        @pytest.fixture(scope="session", autouse=True)
        def no_network():
            saved, socket.socket = socket.socket, Blocked
            yield
            socket.socket = saved
        """
    )
    inner.pytester.makepyfile("import pytest\n\n" + FIVE)
    result = inner.pytester.runpytest_subprocess(*inner.args())
    result.assert_outcomes(passed=5)
    all_passed_and_closed(inner)


def test_no_thread_of_the_plugin_runs_in_pytests_process(inner: Inner) -> None:
    """A forking test on Python >= 3.12 warns when the process has other threads."""
    inner.pytester.makepyfile(
        """
        import os, threading, pytest

        @pytest.mark.tc("TC-1")
        def test_1():
            pass

        @pytest.mark.tc("TC-2")
        def test_threads_and_fork():
            assert threading.enumerate() == [threading.main_thread()]
            if hasattr(os, "fork"):
                pid = os.fork()
                if pid == 0:
                    os._exit(0)
                os.waitpid(pid, 0)
        """
    )
    result = inner.pytester.runpytest_subprocess(*inner.args("-W", "error::DeprecationWarning"))
    result.assert_outcomes(passed=2)
    assert "multi-threaded" not in result.stdout.str()
    all_passed_and_closed(inner, 2)


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds processes in /proc")
def test_xdist_uses_one_sender_process(inner: Inner) -> None:
    pytest.importorskip("xdist")
    inner.pytester.makeconftest(SENDERS)
    body = "\n".join(
        f'@pytest.mark.tc("TC-{i}")\ndef test_{i}():\n    assert len(senders()) == 1\n'
        for i in range(1, 7)
    )
    inner.pytester.makepyfile("import pytest\nfrom conftest import senders\n\n" + body)
    result = inner.pytester.runpytest_subprocess(*inner.args("-p", "xdist.plugin", "-n", "2"))
    result.assert_outcomes(passed=6)
    all_passed_and_closed(inner, 6)


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds processes in /proc")
def test_a_killed_sender_is_noticed_and_the_journal_upload_finishes(
    inner: Inner, bstm: Bstm
) -> None:
    inner.pytester.makeconftest(SENDERS)
    inner.pytester.makepyfile(
        """
        import os, signal, time, pytest
        from conftest import senders

        @pytest.mark.tc("TC-1")
        def test_1():
            pass

        @pytest.mark.tc("TC-2")
        def test_kills_the_sender():
            deadline = time.monotonic() + 30  # TC-1's result is delivered first
            while '"type":"sent"' not in open("j.jsonl").read() and time.monotonic() < deadline:
                time.sleep(0.05)
            [pid] = senders()
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.5)

        @pytest.mark.tc("TC-3")
        def test_3():
            pass
        """
    )
    result = inner.pytester.runpytest_subprocess(
        *inner.args("--bstm-journal", "j.jsonl", "-p", "no:randomly")
    )
    result.assert_outcomes(passed=3)
    out = result.stdout.str()
    assert "the sender process ended unexpectedly" in out
    # what it delivered before it died counts (the journal's marks), the rest is kept
    result.stdout.fnmatch_lines(
        ["results:*1 uploaded (1 passed)*", "*2 results not uploaded, kept in *j.jsonl"]
    )
    [command] = bstm_helpers.suggested(out)
    assert command.startswith("bstm journal upload ")
    code, up, err = bstm("journal", "upload", str(inner.pytester.path / "j.jsonl"))
    assert code == 0, (up, err)
    run = inner.only_run()
    assert run["active_state"] == "closed"
    assert inner.statuses(run["identifier"]) == {(f"TC-{i}", None): "passed" for i in (1, 2, 3)}
    assert read(inner.pytester.path / "j.jsonl").unsent == []


@pytest.mark.skipif(sys.platform == "win32", reason="the access key in ps: POSIX /proc")
def test_the_access_key_is_not_on_the_senders_command_line(inner: Inner) -> None:
    inner.pytester.makeconftest(SENDERS)
    inner.pytester.makepyfile(
        """
        import os, pytest
        from conftest import senders

        @pytest.mark.tc("TC-1")
        def test_1():
            [pid] = senders()
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                assert os.environ["BROWSERSTACK_ACCESS_KEY"].encode() not in fh.read()
        """
    )
    result = inner.pytester.runpytest_subprocess(*inner.args())
    result.assert_outcomes(passed=1)


def test_pytests_process_imports_no_client_stack(inner: Inner) -> None:
    """requests and pydantic are the sender's: pytest's process journals without them."""
    inner.pytester.makeconftest(
        """
        import sys

        def pytest_unconfigure(config):
            loaded = sorted(m for m in ("requests", "pydantic") if m in sys.modules)
            with open("loaded.txt", "w") as fh:
                fh.write(",".join(loaded))
        """
    )
    inner.pytester.makepyfile("import pytest\n\n" + FIVE)
    result = inner.pytester.runpytest_subprocess(*inner.args())
    result.assert_outcomes(passed=5)
    all_passed_and_closed(inner)
    assert (inner.pytester.path / "loaded.txt").read_text() == ""


def test_the_sender_process_imports_no_pytest() -> None:
    """The sender never needs pytest: its entry module (and the Settings it unpickles) load
    without pytest, _pytest or pluggy, which would add their memory to its own."""
    code = (
        "import sys, pytest_bstm.delivery.child, pytest_bstm.config.settings\n"
        "print(','.join(m for m in ('pytest', '_pytest', 'pluggy') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == ""


def test_the_sender_process_of_a_real_service_holds_no_emulator_or_dry_run() -> None:
    """A session reporting to the service: its sender's entry module, its service and its
    client load neither the emulator nor the dry run's modules (their memory is for the
    sessions that ask for them)."""
    code = (
        "import sys\n"
        "from pytest_bstm.delivery.child import Service\n"
        "from pytest_bstm.config.settings import Settings\n"
        "s = Settings(project='PR-1', url='https://example.com', mode='create',\n"
        "             username='u', access_key='k')\n"
        "service = Service(s, lambda seconds: None)\n"
        "service.start()\n"
        "service.client().close()\n"
        "names = ('pytest_bstm.emulator', 'pytest_bstm.delivery.stand_in',\n"
        "         'pytest_bstm.delivery.dryrun')\n"
        "print(','.join(m for m in names if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == ""


def test_the_sender_reports_its_own_peak_memory(inner: Inner) -> None:
    """Its final report holds its own peak, not the memory pytest's process had when it
    started the sender (120 MB here)."""
    inner.pytester.makeconftest(
        """
        import pytest

        BALLAST = b"x" * (120 << 20)  # touched: pytest's process holds it before the sender

        @pytest.hookimpl(hookwrapper=True)
        def pytest_unconfigure(config):
            report = config.pluginmanager.get_plugin("bstm-reporter").run.sender.report
            with open("peak.txt", "w") as fh:
                fh.write(str(report.peak_kb))
            yield
        """
    )
    inner.pytester.makepyfile("import pytest\n\n" + FIVE)
    result = inner.pytester.runpytest_subprocess(*inner.args())
    result.assert_outcomes(passed=5)
    all_passed_and_closed(inner)
    peak_mb = int((inner.pytester.path / "peak.txt").read_text()) / 1024
    assert 5 < peak_mb < 100

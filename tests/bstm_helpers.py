"""Helpers for inner pytest sessions that report to the emulator (imported by plugin tests)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_bstm.emulator import Emulator

API = "/api/v2/projects/PR-1/test-runs"
Bstm = Callable[..., tuple[int, str, str]]  # the `bstm` fixture: (exit status, stdout, stderr)
CURRENT: Emulator | None = None  # lets an in-process inner session reach the outer emulator


def settle_upload_threads(timeout: float = 15.0) -> None:
    """Wait for upload threads that outlived an in-process session to end.

    A session that stopped waiting for its upload thread (drain timeout, Ctrl-C) leaves the
    thread to finish its request in flight; in a real process it dies with the process, here
    it would write to the emulator or the journal while the test asserts."""
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread.name == "pytest-bstm-upload":
            thread.join(max(0.0, deadline - time.monotonic()))


def wait_until(done: Callable[[], bool], timeout: float = 60.0) -> None:
    """Wait until ``done()`` (a sender process that outlived its pytest works on its own)."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


class Inner:
    """Runs hermetic inner pytest sessions (plugin named with ``-p``) against one emulator."""

    def __init__(self, pytester: pytest.Pytester, emulator: Emulator, mp: pytest.MonkeyPatch):
        self.pytester = pytester
        self.emulator = emulator
        mp.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        mp.setenv("BROWSERSTACK_USERNAME", emulator.username)
        mp.setenv("BROWSERSTACK_ACCESS_KEY", emulator.access_key)
        for name in (
            "BSTM_PROJECT",
            "BSTM_URL",
            "BSTM_RUN",
            "GITHUB_RUN_ID",
            "CI_JOB_URL",
            "BUILD_URL",
        ):
            mp.delenv(name, raising=False)

    def args(self, *extra: str, project: str | None = "PR-1") -> list[str]:
        base = [
            "-p",
            "pytest_bstm.plugin",
            "-p",
            "no:cacheprovider",
            "--bstm-url",
            self.emulator.url,
        ]
        if project:
            base += ["--bstm-project", project]
        return [*base, *extra]

    def run(self, *extra: str, project: str | None = "PR-1") -> pytest.RunResult:
        result = self.pytester.runpytest_inprocess(*self.args(*extra, project=project))
        settle_upload_threads()
        return result

    def calls(self) -> list[tuple[str, str]]:
        """(method, path) of every request about project data the emulator answered, in order.

        The plugin only ever calls paths under ``/api/v2/projects/<id>/``; anything else in
        the log came from another client in the same test process."""
        return [
            (r["method"], r["path"])
            for r in self.emulator.requests
            if r["path"].startswith("/api/v2/projects/")
        ]

    def only_run(self) -> dict[str, Any]:
        runs = self.emulator.runs("PR-1")
        assert len(runs) == 1, runs
        return runs[0]

    def statuses(self, run_id: str) -> dict[tuple[str, int | None], str]:
        """(case, configuration) -> status of every stored result; fails on duplicates."""
        out: dict[tuple[str, int | None], str] = {}
        for r in self.emulator.results(run_id):
            key = (r["test_case_id"], r["configuration_id"])
            assert key not in out, f"duplicate result for {key}"
            out[key] = r["status"]
        return out

    def descriptions(self, run_id: str) -> dict[str, str]:
        return {r["test_case_id"]: r["description"] for r in self.emulator.results(run_id)}


SUGGESTED = re.compile(r"((?:RUN=\$\()?bstm (?:journal|runs) .+?)\s*$")


def suggested(text: str) -> list[str]:
    """Every ``bstm`` command suggested in ``text`` (each runs to the end of its line)."""
    return [m.group(1) for line in text.splitlines() if (m := SUGGESTED.search(line))]


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``command`` as a user would paste it into a POSIX shell (``bstm`` on PATH)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(  # noqa: S602 - the point is to run it as a shell would
        command,
        check=False,
        shell=True,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

"""pytest's side of the sender process: starts it, tells it what to do, hears its events.

pytest's process sends no request and runs no thread of the plugin: the sender process
(:mod:`pytest_bstm.delivery.child`) owns the network. It is started with the running interpreter
(no fork), in a session of its own so that a Ctrl-C or a CI timeout's signal to pytest's process
group does not reach it; it learns that pytest's process died from the end of its stdin. Its
settings (the access key among them) go through its stdin, never its command line; its
environment and working directory are the ones the session started with, so nothing a test does
to them reaches delivery. Its events are read from a file without blocking, on pytest's main
thread.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest_bstm
from pytest_bstm.config.settings import Settings
from pytest_bstm.delivery.events import SENDER_FOLDER, DeliveryReport, Event, decode

POLL_EVERY = 0.05  # seconds between looks at the events while tests run
END_POLL = 0.005  # seconds between looks while the session end waits for the report
GRACE = 15.0  # seconds the session end waits beyond the drain timeout (the sender's start)
SELECT_WAIT = 120.0  # seconds --bstm-select waits for the run's cases before the tests


class SenderProcess:
    """The one sender process of a session (the xdist controller's, never a worker's)."""

    def __init__(self, settings: Settings, journal: Path) -> None:
        self.settings = settings
        self.journal = journal
        # taken now: a test that clears os.environ or changes directory changes nothing here
        self.env = dict(os.environ)
        self.cwd = os.getcwd()
        self.report: DeliveryReport | None = None
        self.died: str | None = None  # why the sender ended without its report
        self.started = False  # the run is being prepared (a test executed)
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: Path | None = None
        self._events: IO[str] | None = None
        self._buffer = ""
        self._next_poll = 0.0
        self._heard: list[Event] = []

    @property
    def spawned(self) -> bool:
        return self._proc is not None

    def spawn(self) -> None:
        """Start the sender process (once)."""
        if self._proc is not None:
            return
        self._dir = Path(tempfile.mkdtemp(prefix=SENDER_FOLDER))
        events, stderr = self._dir / "events.jsonl", self._dir / "stderr.txt"
        events.touch()
        env = dict(self.env)
        here = str(Path(pytest_bstm.__file__).parent.parent)  # this copy of the plugin
        env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
        with stderr.open("wb") as err:
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "pytest_bstm.delivery.child",
                    str(events),
                    str(self.journal),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
                cwd=self.cwd,
                start_new_session=os.name != "nt",
                creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),
            )
        self._events = events.open(encoding="utf-8")
        self._send(base64.b64encode(pickle.dumps(self.settings)).decode("ascii"))

    def _send(self, command: str) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.stdin.closed:
            return
        try:
            proc.stdin.write(command.encode("utf-8") + b"\n")
            proc.stdin.flush()
        except OSError:  # it died: poll() says why
            pass

    # -- while tests run -----------------------------------------------------------------------
    def start(self, plan: dict[str, Any] | None) -> None:
        """A test executed: prepare the run of ``plan`` (its JSON form; None: the journal holds
        it, so the command stays short and never waits for a still-starting sender to read a
        large plan from the pipe), send results."""
        self.spawn()
        if not self.started:
            self.started = True
            self._send("start" if plan is None else f"start {json.dumps(plan)}")

    def result(self, record: dict[str, Any]) -> None:
        """A result the journal could not take (the disk is full): hand it over directly."""
        self._send(f"result {json.dumps(record)}")

    def poll(self, *, now: bool = False) -> list[Event]:
        """The events the sender wrote since the last look (cheap: at most one look per
        ``POLL_EVERY`` seconds unless ``now``)."""
        if self._events is None or (not now and time.monotonic() < self._next_poll):
            return []
        self._next_poll = time.monotonic() + POLL_EVERY
        self._read()
        proc = self._proc
        if self.report is None and self.died is None and proc and proc.poll() is not None:
            self._read()  # what it wrote between the read above and its exit: its report
            self.died = None if self.report is not None else self._why_dead()
        heard, self._heard = self._heard, []
        return heard

    def _read(self) -> None:
        assert self._events is not None
        chunk = self._events.read()
        if chunk:
            *lines, self._buffer = (self._buffer + chunk).split("\n")
            for line in lines:
                item = decode(line)
                if isinstance(item, DeliveryReport):
                    self.report = item
                else:
                    self._heard.append(item)

    def _why_dead(self) -> str:
        assert self._proc is not None
        assert self._dir is not None
        text = (self._dir / "stderr.txt").read_text(encoding="utf-8", errors="replace").strip()
        last = text.splitlines()[-1] if text else f"exit status {self._proc.returncode}"
        return f"the sender process ended unexpectedly ({last})"

    def wait_for(self, kinds: set[str], seconds: float, heard: Callable[[Event], None]) -> bool:
        """Hear events until one of ``kinds`` (True) or ``seconds`` pass (False)."""
        deadline = time.monotonic() + seconds
        while True:
            for event in self.poll(now=True):
                heard(event)
                if event.kind in kinds:
                    return True
            if self.died is not None or self.report is not None or time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    def select(self) -> tuple[set[str] | None, str | None]:
        """``--bstm-select``: the run's cases (None: unknown) and why, if they are not known."""
        self.spawn()
        self._send("select")
        found: list[Event] = []
        self.wait_for({"selected"}, SELECT_WAIT, found.append)
        self._heard = [e for e in found if e.kind != "selected"] + self._heard
        answer = next((e for e in found if e.kind == "selected"), None)
        if answer is None:
            return None, f"--bstm-select: {self.died or 'no answer'}: no test was deselected"
        return None if answer.cases is None else set(answer.cases), answer.message or None

    def configurations(self) -> tuple[dict[int, str] | None, str | None]:
        """``bstm_configuration_param``: the account's configurations (None: unread) and why
        they are not known."""
        self.spawn()
        self._send("configurations")
        found: list[Event] = []
        self.wait_for({"configurations"}, SELECT_WAIT, found.append)
        self._heard = [e for e in found if e.kind != "configurations"] + self._heard
        answer = next((e for e in found if e.kind == "configurations"), None)
        if answer is None:
            return None, f"could not read the account's configurations ({self.died or 'no answer'})"
        listing = None if answer.listing is None else dict(answer.listing)
        return listing, answer.message or None

    # -- session end ---------------------------------------------------------------------------
    def finish(
        self, timeout: float, verbose: int, heard: Callable[[Event], None]
    ) -> DeliveryReport | None:
        """Let the sender deliver what is left (within ``timeout``) and hand its report;
        None when it died (``died`` says why). Ctrl-C stops it at once."""
        if self._proc is None:
            return None
        self._send(f"finish {timeout!r} {verbose}")
        try:
            deadline = time.monotonic() + timeout + GRACE
            while self.report is None and self.died is None:
                for event in self.poll(now=True):
                    heard(event)
                if time.monotonic() >= deadline:
                    self.died = "the sender process did not report before the drain deadline"
                    break
                time.sleep(END_POLL)
        except KeyboardInterrupt:
            self._send("abort")
            self.wait_for(set(), 5.0, heard)
            self.stop()
            return self.report
        # the report is in: the sender ends on its own while pytest writes its summary, and
        # :meth:`stop` (at unconfigure) reaps it and removes its folder
        self._hang_up()
        return self.report

    def _hang_up(self) -> None:
        """Close the sender's stdin: it delivers what it still holds and ends."""
        proc = self._proc
        if proc is not None and proc.stdin is not None and not proc.stdin.closed:
            with contextlib.suppress(OSError):
                proc.stdin.close()

    def stop(self) -> None:
        """End the conversation: a sender that still runs (no ``finish``) delivers the journal
        on its own, as it would had pytest's process died; then remove the events."""
        proc = self._proc
        if proc is None:
            return
        if not self.started and self.report is None and self.died is None:
            # spawned for a question (--bstm-select, configurations) and no test executed:
            # nothing of the session is its to deliver
            self._send("abort")
            self.wait_for(set(), 5.0, lambda _: None)
        self._hang_up()
        if self.report is not None or self.died is not None:
            try:
                proc.wait(5.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._events is not None:
            self._events.close()
            self._events = None
        if self._dir is not None and proc.poll() is not None:
            shutil.rmtree(self._dir, ignore_errors=True)

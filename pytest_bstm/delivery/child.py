"""The sender process: ``python -m pytest_bstm.delivery.child EVENTS JOURNAL``.

Started by pytest's process (:mod:`pytest_bstm.delivery.process`), it owns the network: it
serves the emulator of ``--bstm-emulator`` and ``--bstm-dry-run``, reads the journal as pytest's
process appends to it, and delivers every result through the upload thread and the one
:class:`~pytest_bstm.delivery.sender.Sender`. It writes what pytest's process must know as JSON
lines to EVENTS (:mod:`pytest_bstm.delivery.events`).

stdin: the session's settings (first line, never on the command line: the access key must not
show in ``ps``), then one command a line: ``select`` (answer ``--bstm-select``), ``configurations``
(answer ``bstm_configuration_param``), ``start [PLAN]`` (prepare the run of this plan, JSON, or
of the journal's, and send), ``result RECORD`` (a result the journal could not
take: the disk is full), ``finish SECONDS VERBOSE`` (everything is
journaled: deliver it within SECONDS, report, exit), ``abort`` (stop now, report, exit). The
end of stdin without ``finish`` means pytest's process died: what the journal holds is delivered
(the test it died in failed) until the drain deadline, and the run is closed as planned.
"""

from __future__ import annotations

import base64
import contextlib
import json
import pickle
import queue
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from pytest_bstm.config.settings import Settings
from pytest_bstm.delivery import driver
from pytest_bstm.delivery import journal as journals
from pytest_bstm.delivery.events import (
    SENDER_FOLDER,
    DeliveryReport,
    Event,
    encode,
    own_peak_kb,
)
from pytest_bstm.delivery.follow import Follower
from pytest_bstm.delivery.journal import Journal
from pytest_bstm.delivery.records import from_record
from pytest_bstm.delivery.service import Service
from pytest_bstm.delivery.uploader import Uploader
from pytest_bstm.results.model import Result
from pytest_bstm.run.plan import RunPlan

THREAD_END = 35.0  # seconds to wait for the upload thread's request in flight (timeout 30 s)
UNREACHED_WAIT = 3.0  # seconds the session end gives a service it never reached (a last try)
IDLE = 0.1  # seconds between looks at the journal and the commands


class Delivery:
    """The sender process's state: the journal it reads, the upload thread, the service."""

    def __init__(self, settings: Settings, path: Path, emit: Callable[[str], None]) -> None:
        self.settings = settings
        self.path = path
        self.emit = emit
        self.journal = Journal(path)  # the sender's own marks: run, sent, rejected, closed
        self.follower = Follower(path, settings.token)
        self.uploader = Uploader(self.journal, source=self.take)
        self.service = Service(settings, self.uploader.wait)
        self.plan: RunPlan | None = None
        self._held: contextlib.AbstractContextManager[None] | None = None

    def tail(self) -> None:
        """Read what pytest's process appended since the last look (results are counted, and
        taken by the upload thread as it needs them: :meth:`take`)."""
        self.follower.scan()
        records = self.follower.attachments
        if records:  # uploaded once their results were delivered
            self.uploader.attachments.records.extend(records)
            records.clear()
        if self.plan is None:
            self.plan = self.follower.plan

    def take(self, wanted: int) -> list[Result]:
        """About ``wanted`` results of the journal that no batch took yet (the upload thread)."""
        return [from_record(record) for record in self.follower.take(wanted)]

    def _take(self, record: dict[str, object]) -> None:
        """A result the journal could not take (the disk is full)."""
        if self.follower.hand(record):
            self.uploader.submit(from_record(record), journaled=True)

    @property
    def pending(self) -> int:
        """Results of the session's journal not delivered (sent, or rejected) yet."""
        sender = self.uploader.sender
        return len(self.follower.seen) - (len(sender.done) if sender is not None else 0)

    def select(self) -> None:
        cases = self.service.cases_to_select()
        message = self.service.select_error or ""
        self.emit(
            encode(Event("selected", message, cases=None if cases is None else frozenset(cases)))
        )

    def configurations(self) -> None:
        """``bstm_configuration_param``: the account's configurations, read before any write."""
        listing, unread = self.service.configurations_listing()
        pairs = None if listing is None else tuple(sorted(listing.items()))
        self.emit(encode(Event("configurations", unread or "", listing=pairs)))

    def _lock(self) -> bool:
        """Hold the journal (as ``bstm journal upload`` does) while this process delivers it."""
        if self._held is None:
            try:
                self._held = driver.exclusive(self.path)
                self._held.__enter__()
            except driver.Busy:
                self._held = None
        return self._held is not None

    def start(self, plan: RunPlan | None = None) -> None:
        if self.plan is None and plan is not None:
            self.plan = plan
        self.tail()
        if self.uploader.started or self.plan is None:
            return
        self._lock()
        client = self.service.client(self.plan)
        self.uploader.start(client, self.plan)

    def forward(self) -> None:
        while not self.uploader.events.empty():
            self.emit(encode(self.uploader.events.get()))

    @property
    def never_reached(self) -> bool:  # no run, every attempt failed on the name, port or route
        u, sent = self.uploader, self.uploader.client.requests_sent if self.uploader.client else 0
        return u.sender is None and u.ledger.never_reached(sent - 1)  # one may be in flight

    def finish(self, timeout: float, commands: queue.SimpleQueue[str | None] | None) -> bool:
        """Deliver what is left within ``timeout`` (seconds for a service never reached: the
        command finishes it); False when pytest's process said abort."""
        self.tail()
        if self.never_reached:
            timeout = min(timeout, UNREACHED_WAIT)

        def progress(elapsed: float) -> None:
            self.forward()
            waiting = self.uploader.client.waiting if self.uploader.client else None
            why = f"{waiting.reason}: waiting {waiting.seconds_left():.0f} s" if waiting else ""
            self.emit(encode(Event("progress", why, pending=self.pending)))
            if elapsed >= UNREACHED_WAIT and self.never_reached:  # its first verdict came late
                self.uploader.stop()
            while commands is not None and not commands.empty():
                if commands.get() == "abort":
                    raise KeyboardInterrupt  # the uploader stops at once, keeping the journal

        if self.uploader.started:
            self.uploader.finish(timeout, progress)
        self.forward()
        return not self.uploader.interrupted

    def orphaned(self) -> None:
        """pytest's process died: finish its journal as ``bstm journal upload`` would (the one
        driver: the test it died in failed, nothing sent twice, the run closed as planned),
        within the drain deadline."""
        self.uploader.halt(THREAD_END)  # nothing of it is in flight while the driver reads
        self.journal.sync()
        self.service.wait = time.sleep  # the uploader's wait stops on its halt
        if self.settings.dry_run or not self.path.is_file() or not self._lock():
            return  # nothing to deliver, or another delivery of the journal runs
        state = journals.read(self.path)
        if state.plan is None:
            return
        client = self.service.client(RunPlan.from_json(state.plan))
        deadline = time.monotonic() + self.settings.drain_timeout
        client.retry = client.retry.retrying_until(deadline)
        with client:
            driver.finish(client, self.path, self.service.url)

    def report(self, verbose: int) -> DeliveryReport:
        u = self.uploader
        sender, client = u.sender, u.client
        run = u.sender.run_id if u.sender is not None else None
        self.journal.sync()
        return DeliveryReport(
            sent=dict(sender.sent) if sender else {},
            added=u.added,
            rejected=tuple(
                (r.case_id, tuple(r.nodeids), why) for r, why in (sender.rejected if sender else [])
            ),
            unknown_cases=tuple(sorted(sender.unknown_cases)) if sender else (),
            pending=self.pending,
            attached=u.attachments.done.uploaded,
            attachments_waiting=u.attachments.waiting,
            not_attached=tuple(u.attachments.done.failed),
            requests=client.requests_sent if client else 0,
            rate_limited=client.rate_limited if client else 0,
            stopped=u.stopped,
            remedy=u.remedy,
            errors=tuple(u.errors),
            failure=u.ledger.latest,
            close_failure=u.close_failure,
            never_reached=self.never_reached,
            interrupted=u.interrupted,
            journal_failure=self.journal.failure,
            url=self.service.url,
            select_error=self.service.select_error,
            dry_run_calls=tuple(self.service.dry_run_calls(verbose)),
            dry_run_note=self.service.dry_run_note,
            emulator_view=tuple(self.service.emulator_view(run)),
            peak_kb=own_peak_kb(),
        )

    def close(self) -> None:
        self.uploader.stop()
        self.journal.close()
        self.service.stop()
        if self._held is not None:
            self._held.__exit__(None, None, None)


def serve(delivery: Delivery, commands: queue.SimpleQueue[str | None]) -> bool:
    """Answer commands until ``finish``, ``abort`` or the end of stdin (then True: pytest's
    process is gone, or stopped listening)."""
    delivery.service.start()
    while True:
        try:
            command = commands.get(timeout=IDLE)
        except queue.Empty:
            command = ""
        if command is None:
            delivery.orphaned()
            return True
        if command == "select":
            delivery.select()
        elif command == "configurations":
            delivery.configurations()
        elif command == "start":  # the plan is in the journal
            delivery.start()
        elif command.startswith("start "):
            delivery.start(RunPlan.from_json(json.loads(command[6:])))
        elif command.startswith("result "):
            delivery._take(json.loads(command[7:]))
        elif command.startswith("finish"):
            _, seconds, verbose = command.split()
            delivery.finish(float(seconds), commands)
            delivery.emit(encode(delivery.report(int(verbose))))
            return False
        elif command == "abort":
            delivery.uploader.stop()
            delivery.emit(encode(delivery.report(0)))
            return False
        delivery.tail()
        delivery.forward()


def _read_commands(stream: IO[str], commands: queue.SimpleQueue[str | None]) -> None:
    for line in stream:
        commands.put(line.strip())
    commands.put(None)  # the end of stdin: pytest's process is gone


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for pytest's process
    events_path, journal_path = Path(argv[0]), Path(argv[1])
    settings: Settings = pickle.loads(base64.b64decode(sys.stdin.readline()))  # noqa: S301
    with events_path.open("a", encoding="utf-8") as out:

        def emit(line: str) -> None:
            out.write(line + "\n")
            out.flush()

        commands: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        reader = threading.Thread(target=_read_commands, args=(sys.stdin, commands), daemon=True)
        reader.start()
        delivery = Delivery(settings, journal_path, emit)
        try:
            orphaned = serve(delivery, commands)
        finally:
            delivery.close()
    if orphaned and events_path.parent.name.startswith(SENDER_FOLDER):
        # no one reads the events any more: the folder pytest's process made goes with it
        shutil.rmtree(events_path.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

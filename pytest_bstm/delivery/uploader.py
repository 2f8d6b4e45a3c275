"""The sender process's live loop: it runs the one :class:`~pytest_bstm.delivery.driver.Driver`
over the journal's results as they come (the run prepared at the first, full batches at once,
partial ones after ``flush_interval``, all at the end, then the attachments and the close); what
pytest's process must know goes to ``events``.

It schedules and never retries: the client retries transient failures (its policy, until the
session's deadline, which :meth:`Uploader.finish` sets); a failure that gets past the client
ends the delivery, and what is left stays in the journal for ``bstm journal upload``.
"""

from __future__ import annotations

import collections
import contextlib
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from pytest_bstm.api import Client, errors
from pytest_bstm.delivery.attachments import Pending
from pytest_bstm.delivery.driver import Driver
from pytest_bstm.delivery.events import (
    Counted,
    Event,
    UploadStopped,
    describe,
    preparing,
    ready_of,
)
from pytest_bstm.delivery.failures import Failure, Ledger, Remedy, explain
from pytest_bstm.delivery.journal import Journal
from pytest_bstm.delivery.records import MAX_BATCH, journal_record
from pytest_bstm.delivery.sender import TRANSIENT, Sender
from pytest_bstm.results.model import Result
from pytest_bstm.run.plan import RunPlan
from pytest_bstm.run.prepare import NothingToReport

TICK = 0.25
LAST_TRY = 2.0  # seconds before the session's deadline when the last retry is made (at most)


class Uploader:
    """Owns the queue, the thread and its :class:`Driver`; ``sender`` exists once the run is
    prepared."""

    def __init__(
        self,
        journal: Journal,
        *,
        source: Callable[[int], list[Result]] = lambda wanted: [],
        flush_interval: float = 5.0,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.journal = journal
        self.source = source  # about N journaled results no batch took yet (this thread's)
        self.flush_interval = flush_interval
        self.max_batch = max_batch
        self.events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self.attachments = Pending(journal)  # journaled after their results, sent at the end
        self.stopped: str | None = None
        self.remedy: Remedy = "retry"  # what can deliver what is left (delivery.failures)
        self.errors: list[str] = []
        self.ledger = Ledger()  # the session's failed attempts; its latest is the summary's
        self.close_failure: Failure | None = None  # the run's close failed
        self.interrupted = False  # Ctrl-C ended the wait at the session end
        self._driver: Driver | None = None
        self._over = False  # a failure got past the client: nothing more is sent
        self._queue: queue.SimpleQueue[Result] = queue.SimpleQueue()
        self._more = False  # the source may hold more results at once
        self._draining = threading.Event()
        self._abort = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def wait(self, seconds: float) -> None:
        """A client's wait between retries (its ``sleep=``): ends with :class:`UploadStopped`
        when the session stops waiting, so that nothing is written after it ended."""
        waiting = self.client.waiting if self.client is not None else None
        if waiting is not None:
            failure = self.ledger.waited(waiting)  # counted for the session
            if self.sender is None:  # still preparing: the main thread tells it at once
                self._retrying(failure)
        if self._abort.wait(seconds):
            raise UploadStopped

    def start(self, client: Client, plan: RunPlan) -> None:
        """Start the thread: it prepares the run of ``plan``, then sends; it closes the run
        once everything was delivered at the session end when the plan says so."""
        self._driver = Driver(client, self.journal, plan.project, plan=plan, check=self._check)
        self._thread = threading.Thread(target=self._loop, name="pytest-bstm-upload", daemon=True)
        self._thread.start()

    @property
    def client(self) -> Client | None:
        return self._driver.client if self._driver is not None else None

    @property
    def sender(self) -> Sender | None:
        return self._driver.sender if self._driver is not None else None

    @property
    def added(self) -> Counted:
        """The pairs added to the run: by its preparation, and while sending (counted)."""
        driver = self._driver
        if driver is None:
            return Counted()
        prepared = driver.prepared.added if driver.prepared is not None else frozenset()
        sending = driver.sender.added if driver.sender is not None else frozenset()
        return Counted.of(prepared | sending)

    @property
    def started(self) -> bool:
        return self._thread is not None

    def submit(self, result: Result, *, journaled: bool = False) -> None:
        """Queue one result besides the source's; journal it first (flushed) unless the
        journal holds it."""
        if not journaled:
            self.journal.results([journal_record(result)])
        self._queue.put(result)
        if self._queue.qsize() >= self.max_batch:
            self._wake.set()  # a full batch; otherwise the thread looks on its own tick

    def finish(self, timeout: float, progress: Callable[[float], None] | None = None) -> None:
        """Send what is left, waiting at most ``timeout`` seconds; the rest stays journaled."""
        self._draining.set()
        self._wake.set()
        started = time.monotonic()
        if self.client is not None:  # preparation and uploads share the session's deadline,
            until = started + timeout - min(LAST_TRY, timeout / 4)  # the last try has time
            self.client.retry = self.client.retry.retrying_until(until)
        thread = self._thread
        try:
            while thread is not None and thread.is_alive():
                elapsed = time.monotonic() - started
                if elapsed >= timeout:
                    self._abort.set()
                    break
                thread.join(min(0.25, timeout - elapsed))
                if progress is not None and thread.is_alive():
                    progress(elapsed)
        except KeyboardInterrupt:  # Ctrl-C while waiting: stop at once, keep the journal
            self._abort.set()
            self.interrupted = True
        self.journal.sync()

    def stop(self) -> None:
        """End the thread without waiting (the session is over)."""
        self._draining.set()
        self._abort.set()
        self._wake.set()

    def halt(self, timeout: float) -> None:
        """End the thread and wait (at most ``timeout``) for its request in flight."""
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        with contextlib.suppress(UploadStopped):
            self._run()

    def _run(self) -> None:
        """Schedule the driver's steps; each is made once (the client retries inside it).
        Results are taken from the source a batch ahead, never all at once."""
        backlog: collections.deque[Result] = collections.deque()
        oldest = 0.0
        while not self._abort.is_set():
            # woken for a full batch or the end, else a tick: never once per result (the GIL)
            self._wake.wait(self._idle(len(backlog)))
            self._wake.clear()
            items = self._take_queued()
            if self.sender is not None and not self._over and len(backlog) < self.max_batch:
                wanted = 2 * self.max_batch - len(backlog) - len(items)
                taken = self.source(wanted)
                self._more = len(taken) >= wanted
                items += taken
            if items and not backlog:
                oldest = time.monotonic()
            backlog.extend(items)
            draining = self._draining.is_set()
            if self._over:  # what is left stays journaled
                backlog.clear()
                if draining:
                    return
            elif self.sender is None:
                self._prepare()
            elif backlog and (
                draining
                or len(backlog) >= self.max_batch
                or time.monotonic() - oldest >= self.flush_interval
            ):
                oldest = time.monotonic()
                self._send([backlog.popleft() for _ in range(min(self.max_batch, len(backlog)))])
            elif draining and self._queue.empty() and not backlog and not self._more:
                if self._attach():
                    self._close_run()
                return

    def _idle(self, backlog: int) -> float:
        """Seconds to wait: none while a batch is due (at the end: always), else a tick (the
        first before the run is prepared: a sender whose pytest died at once leaves the journal
        to the driver's finish, with no run made meanwhile)."""
        if self._draining.is_set():
            return 0.0
        full = self._more or backlog + self._queue.qsize() >= self.max_batch
        return 0.0 if full and self.sender is not None and not self._over else TICK

    def _take_queued(self) -> list[Result]:  # the only consumer: qsize() items are there
        return [self._queue.get_nowait() for _ in range(self._queue.qsize())]

    def _prepare(self) -> None:
        """Prepare the run; a failure ends the delivery (the client retried what it could)."""
        driver = self._driver
        assert driver is not None
        assert driver.preparer is not None
        try:
            prepared = driver.prepare()
        except NothingToReport as exc:
            self._stop(str(exc), kind="note")
            return
        except UploadStopped:
            raise
        except Exception as exc:  # results stay journaled
            self._over = True
            if isinstance(exc, TRANSIENT) and not isinstance(exc, errors.FatalTransportError):
                # retried until the deadline, or a lost answer it may not repeat: the summary
                # tells it with the session's count of attempts
                self._retrying(self.ledger.raised(exc))
                return
            plan = driver.preparer.plan
            failure = self.ledger.raised(exc, explain(exc, plan, driver.client))
            self.remedy = failure.remedy
            self._stop(f"could not {preparing(plan)}: {failure.message}", failure=failure)
            return
        assert prepared is not None
        self.events.put(Event("ready", ready=ready_of(prepared)))

    def _attach(self) -> bool:  # every result delivered: the attachments (False: not all)
        assert self.sender is not None
        return self.attachments.settle(self.sender, self._check, self._note)

    def _close_run(self) -> None:
        """At the end, everything delivered: close the run if the plan says so."""
        driver = self._driver
        assert driver is not None
        assert driver.plan is not None
        if not driver.plan.close or driver.prepared is None:
            return
        run_id = driver.prepared.run.run_id
        try:
            run = driver.close()
        except UploadStopped:
            raise
        except errors.BstmError as exc:
            failure = self.close_failure = self.ledger.raised(exc)
            if isinstance(exc, TRANSIENT):  # retried until the deadline
                self._note(f"could not close run {run_id}: {describe(exc)}")
            else:
                self._stop(f"could not close run {run_id}: {describe(exc)}", failure)
            return
        self.events.put(Event("closed", ready=ready_of(replace(driver.prepared, run=run))))

    def _retrying(self, failure: Failure) -> None:  # unreached: nobody waits for the run
        kind = "unreached" if failure.never_reached else "retrying"
        self.events.put(Event(kind, failure.told(), failure=failure))

    def _check(self) -> None:  # no new call once the session stopped waiting
        if self._abort.is_set():
            raise UploadStopped

    def _stop(self, message: str, failure: Failure | None = None, kind: str = "failed") -> None:
        self._over = True
        self.stopped = message
        self.events.put(Event(kind, message, failure=failure))

    def _send(self, batch: list[Result]) -> None:
        """Deliver one batch; a failure the client did not retry away ends the delivery."""
        assert self._driver is not None
        try:
            self._driver.send(batch)
        except UploadStopped:
            raise
        except (*TRANSIENT, errors.AmbiguousRequestError) as exc:
            self._over = True
            self.ledger.raised(exc)
            self._note(describe(exc))
        except errors.BstmError as exc:  # closed run, 401, 403, a refusal: stop for good
            failure = self.ledger.raised(exc)
            self.remedy = failure.remedy
            self._stop(describe(exc), failure)
        except Exception as exc:  # the upload thread must never die silently
            self._over = True
            self._note(f"unexpected upload failure: {type(exc).__name__}: {exc}")

    def _note(self, message: str) -> None:
        self.errors += [message] if message not in self.errors else []

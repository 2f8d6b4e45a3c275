"""The sender process's upload thread: prepares the run, sends the journal's results through
the one :class:`Sender` (full batches at once, partial ones after ``flush_interval``, all at the
end), then the attachments; what pytest's process must know goes to ``events``."""

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
from pytest_bstm.delivery.events import Event, UploadStopped, describe, preparing, ready_of
from pytest_bstm.delivery.failures import Failure, Ledger, Remedy, explain
from pytest_bstm.delivery.journal import Journal
from pytest_bstm.delivery.records import MAX_BATCH, journal_record
from pytest_bstm.delivery.sender import TRANSIENT, Sender
from pytest_bstm.results.model import Result
from pytest_bstm.run.prepare import NothingToReport, Prepared, RunPreparer

TICK = 0.25
MAX_PAUSE = 30.0
LAST_TRY = 2.0  # seconds before the session's deadline when the last retry is made (at most)


class Uploader:
    """Owns the queue and the thread; ``sender`` exists once the run is prepared."""

    def __init__(
        self, journal: Journal, *, flush_interval: float = 5.0, max_batch: int = MAX_BATCH
    ) -> None:
        self.journal = journal
        self.flush_interval = flush_interval
        self.max_batch = max_batch
        self.retry_pause = 1.0  # seconds, doubling up to MAX_PAUSE
        self.events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self.attachments = Pending(journal)  # journaled after their results, sent at the end
        self.sender: Sender | None = None
        self.stopped: str | None = None
        self.remedy: Remedy = "retry"  # what can deliver what is left (delivery.failures)
        self.errors: list[str] = []
        self.ledger = Ledger()  # the session's failed attempts; its latest is the summary's
        self.close_failure: Failure | None = None  # the run's close kept failing
        self.interrupted = False  # Ctrl-C ended the wait at the session end
        self._client: Client | None = None
        self._preparer: RunPreparer | None = None
        self._prepared: Prepared | None = None
        self._close = False
        self._queue: queue.SimpleQueue[Result] = queue.SimpleQueue()
        self._unsent: dict[str, Result] = {}
        self._lock = threading.Lock()
        self._draining = threading.Event()
        self._abort = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def wait(self, seconds: float) -> None:
        """A client's wait between retries (its ``sleep=``): ends with :class:`UploadStopped`
        when the session stops waiting, so that nothing is written after it ended."""
        waiting = self._client.waiting if self._client is not None else None
        if waiting is not None:
            failure = self.ledger.waited(waiting)  # counted for the session
            if self.sender is None:  # still preparing: the main thread tells it at once
                self._retrying(failure)
        if self._abort.wait(seconds):
            raise UploadStopped

    def start(self, client: Client, preparer: RunPreparer, *, close: bool) -> None:
        """Start the thread: it prepares the run with ``preparer``, then sends; with
        ``close``, it closes the run once everything was delivered at the session end."""
        self._client, self._preparer, self._close = client, preparer, close
        self._thread = threading.Thread(target=self._loop, name="pytest-bstm-upload", daemon=True)
        self._thread.start()

    @property
    def client(self) -> Client | None:
        return self._client

    @property
    def started(self) -> bool:
        return self._thread is not None

    def submit(self, result: Result, *, journaled: bool = False) -> None:
        """Queue one result; journal it first (flushed) unless the journal holds it."""
        if not journaled:
            self.journal.results([journal_record(result)])
        with self._lock:
            self._unsent[result.key] = result
        self._queue.put(result)
        if self._queue.qsize() >= self.max_batch:
            self._wake.set()  # a full batch; otherwise the thread looks on its own tick

    @property
    def pending(self) -> list[Result]:
        with self._lock:
            return list(self._unsent.values())

    def finish(self, timeout: float, progress: Callable[[int, float], None] | None = None) -> None:
        """Send what is left, waiting at most ``timeout`` seconds; the rest stays journaled."""
        self._draining.set()
        self._wake.set()
        started = time.monotonic()
        if self._client is not None:  # preparation and uploads share the session's deadline,
            until = started + timeout - min(LAST_TRY, timeout / 4)  # the last try has time
            self._client.retry = self._client.retry.retrying_until(until)
        thread = self._thread
        try:
            while thread is not None and thread.is_alive():
                elapsed = time.monotonic() - started
                if elapsed >= timeout:
                    self._abort.set()
                    break
                thread.join(min(0.25, timeout - elapsed))
                if progress is not None and thread.is_alive():
                    progress(len(self.pending), elapsed)
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
        backlog: collections.deque[Result] = collections.deque()
        oldest = retry_at = 0.0
        pause, kicked = self.retry_pause, False
        while not self._abort.is_set():
            # woken for a full batch or the end, else a tick: never once per result (the GIL)
            self._wake.wait(self._idle(len(backlog), retry_at))
            self._wake.clear()
            items = self._take_queued()
            if items and not backlog:
                oldest = time.monotonic()
            backlog.extend(items)
            now = time.monotonic()
            draining = self._draining.is_set()
            if draining and not kicked and self.sender is None:
                retry_at, kicked = now, True  # one more try at once when the session ends
            if self.sender is None and self.stopped is None and now >= retry_at:
                if self._prepare():
                    pause = self.retry_pause
                else:
                    retry_at, pause = time.monotonic() + pause, min(pause * 2, MAX_PAUSE)
            if draining and self._queue.empty() and (not backlog or self.stopped is not None):
                if backlog or self.stopped is not None or self.sender is None:
                    return
                if now >= retry_at:
                    if self._attach() and self._close_run():
                        return
                    retry_at, pause = time.monotonic() + pause, min(pause * 2, MAX_PAUSE)
                continue
            if self.sender is None or not backlog or self.stopped is not None or now < retry_at:
                continue
            if not (
                len(backlog) >= self.max_batch or draining or now - oldest >= self.flush_interval
            ):
                continue
            batch = [backlog.popleft() for _ in range(min(self.max_batch, len(backlog)))]
            if self._send(batch):
                pause, retry_at, oldest = self.retry_pause, 0.0, now
            else:
                backlog.extendleft(reversed([r for r in batch if r.key in self._unsent]))
                retry_at, pause = time.monotonic() + pause, min(pause * 2, MAX_PAUSE)

    def _idle(self, backlog: int, retry_at: float) -> float:
        """Seconds to wait: none while a full batch (at the end: anything) can go, else a tick."""
        ready = self.sender is not None and self.stopped is None and time.monotonic() >= retry_at
        if self._draining.is_set():
            return 0.0 if ready else 0.05
        full = backlog + self._queue.qsize() >= self.max_batch
        return 0.0 if ready and full else TICK

    def _take_queued(self) -> list[Result]:  # the only consumer: qsize() items are there
        return [self._queue.get_nowait() for _ in range(self._queue.qsize())]

    def _prepare(self) -> bool:
        """One attempt at preparing the run; False when it should be tried again later."""
        self._check_running()
        assert self._preparer is not None
        assert self._client is not None
        try:
            prepared = self._preparer.step()
        except NothingToReport as exc:
            self._stop(str(exc), kind="note")
            return True
        except UploadStopped:
            raise
        except Exception as exc:  # permanent (TLS, a bad URL too): results stay journaled
            if isinstance(exc, TRANSIENT) and not isinstance(exc, errors.FatalTransportError):
                self._retrying(self.ledger.raised(exc))
                return False
            plan = self._preparer.plan
            failure = self.ledger.raised(exc, explain(exc, plan, self._client))
            self.remedy = failure.remedy
            self._stop(f"could not {preparing(plan)}: {failure.message}", failure=failure)
            return True
        self.journal.run(prepared.run.run_id, prepared.run.web_url)
        self.sender = Sender(
            self._client,
            self.journal,
            self._preparer.plan.project,
            prepared.run.run_id,
            pairs=set(prepared.pairs),
            project_cases=prepared.project_cases,
            before_write=self._check_running,
        )
        self._prepared = prepared
        self.events.put(Event("ready", ready=ready_of(prepared)))
        return True

    def _attach(self) -> bool:  # every result delivered: the attachments (False: try again)
        assert self.sender is not None
        return self.attachments.settle(self.sender, self._check_running, self._note)

    def _close_run(self) -> bool:
        """At the end, everything delivered: close the run if asked; False to try again."""
        self._check_running()
        prepared, preparer = self._prepared, self._preparer
        if not self._close or prepared is None or preparer is None:
            return True
        try:
            run = preparer.lifecycle.close(prepared.run)
        except TRANSIENT as exc:
            self.close_failure = self.ledger.raised(exc)
            self._note(f"could not close run {prepared.run.run_id}: {describe(exc)}")
            return False
        except errors.BstmError as exc:
            failure = self.close_failure = self.ledger.raised(exc)
            self._stop(f"could not close run {prepared.run.run_id}: {describe(exc)}", failure)
            return True
        self.journal.closed(run.run_id)
        self.events.put(Event("closed", ready=ready_of(replace(prepared, run=run))))
        return True

    def _retrying(self, failure: Failure) -> None:  # unreached: nobody waits for the run
        kind = "unreached" if failure.never_reached else "retrying"
        self.events.put(Event(kind, failure.told(), failure=failure))

    def _check_running(self) -> None:  # no new call once the session stopped waiting
        if self._abort.is_set():
            raise UploadStopped

    def _stop(self, message: str, failure: Failure | None = None, kind: str = "failed") -> None:
        self.stopped = message
        self.events.put(Event(kind, message, failure=failure))

    def _send(self, batch: list[Result]) -> bool:
        """Deliver one batch; True when nothing of it needs another try."""
        self._check_running()
        assert self.sender is not None
        try:
            self.sender.send(batch)
        except UploadStopped:
            raise
        except (*TRANSIENT, errors.AmbiguousRequestError) as exc:
            self.ledger.raised(exc)
            self._note(describe(exc))
            return False
        except errors.BstmError as exc:  # closed run, 401, 403, a refusal: stop for good
            failure = self.ledger.raised(exc)
            self.remedy = failure.remedy
            self._stop(describe(exc), failure)
            return False
        except Exception as exc:  # the upload thread must never die silently
            self._note(f"unexpected upload failure: {type(exc).__name__}: {exc}")
            return False
        finally:
            self._done(batch)
        return True

    def _done(self, batch: list[Result]) -> None:
        """Forget what of ``batch`` was delivered (a lookup per result, not per unsent one)."""
        assert self.sender is not None
        with self._lock:
            for key in [r.key for r in batch if r.key in self.sender.done]:
                self._unsent.pop(key, None)

    def _note(self, message: str) -> None:
        self.errors += [message] if message not in self.errors else []

"""Background batched sender: results are journaled, queued, and posted by one thread.

No test ever waits for the network: ``submit()`` only appends to the journal and a queue.
The thread sends full batches (at most 300 results and ``max_bytes``) as soon as they fill,
partial ones after ``flush_interval`` seconds, and everything when the session drains.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pytest_bstm.api import Client, errors, models
from pytest_bstm.delivery.journal import Journal
from pytest_bstm.delivery.records import KEY_RE, MAX_BATCH, journal_record, result_size, to_wire
from pytest_bstm.results.tracker import Key, Result
from pytest_bstm.run.cases import ChangeNotVisibleError, wait_for_pairs

log = logging.getLogger("pytest_bstm")
TICK = 0.25
PREPARE_GRACE = 10.0  # how long the session end keeps trying to prepare a run that failed


@dataclass
class UploadStats:
    """What happened to the results, for the summary."""

    sent: collections.Counter[str] = field(default_factory=collections.Counter)
    rejected: list[tuple[Result, str]] = field(default_factory=list)
    unknown: list[Result] = field(default_factory=list)
    added_pairs: int = 0
    errors: list[str] = field(default_factory=list)
    stopped: str | None = None


class UploadStopped(Exception):
    """The session ended while the thread waited to retry; nothing more is sent."""


Target = tuple[str, set[Key], "set[str] | None"]
Preparer = Callable[[], "Target | None"]
TRANSIENT = (
    errors.TransportError,
    errors.ServerError,
    errors.RateLimitError,
    ChangeNotVisibleError,
    UploadStopped,
)


class Uploader:
    """Owns the journal writes, the queue, and the thread that prepares the run and sends."""

    def __init__(
        self,
        client: Client | None,
        journal: Journal,
        project: str,
        *,
        flush_interval: float = 5.0,
        max_batch: int = MAX_BATCH,
        max_bytes: int = 512_000,
        retry_pause: float = 1.0,
    ) -> None:
        self.client = client
        self.journal = journal
        self.project = project
        self.flush_interval = flush_interval
        self.max_batch = max_batch
        self.max_bytes = max_bytes
        self.retry_pause = retry_pause
        self.stats = UploadStats()
        self.run_id: str | None = None
        self.prepare_error: Exception | None = None
        self.prepare_retried: str | None = None
        self._preparer: Preparer | None = None
        self._pairs: set[Key] = set()
        self._project_cases: set[str] | None = None
        self._queue: queue.SimpleQueue[Result] = queue.SimpleQueue()
        self._unsent: dict[str, Result] = {}
        self._lock = threading.Lock()
        self._draining = threading.Event()
        self._abort = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- main thread -------------------------------------------------------------------------
    @property
    def preparing(self) -> bool:
        return self._preparer is not None

    def wait(self, seconds: float) -> None:
        """A client's wait between retries (its ``sleep=``): ends with :class:`UploadStopped`
        when the session stops waiting, so that nothing is written after it ended."""
        if self._abort.wait(seconds):
            raise UploadStopped

    def start(self) -> None:
        """Start the sender thread; it sends once it has a run."""
        self._thread = threading.Thread(target=self._loop, name="pytest-bstm-upload", daemon=True)
        self._thread.start()

    def set_run(self, run_id: str, pairs: set[Key], project_cases: set[str] | None) -> None:
        self._pairs = set(pairs)
        self._project_cases = project_cases
        self.run_id = run_id

    def prepare_with(self, preparer: Preparer) -> None:
        """Let the thread prepare the run (retrying while the service fails) before sending."""
        self._preparer = preparer

    def submit(self, result: Result) -> None:
        """Journal one result (flushed, so a killed process keeps it) and queue it."""
        self.journal.results([journal_record(result, self.project, self.run_id)])
        with self._lock:
            self._unsent[result.key] = result
        self._queue.put(result)
        if self._queue.qsize() >= self.max_batch:
            self._wake.set()  # a full batch; otherwise the thread looks on its own tick

    def stop(self) -> None:
        """End the thread without waiting (the session is over)."""
        self._draining.set()
        self._abort.set()
        self._wake.set()

    @property
    def pending(self) -> list[Result]:
        with self._lock:
            return list(self._unsent.values())

    def finish(self, timeout: float, progress: Callable[[int, float], None] | None = None) -> None:
        """Send what is left, waiting at most ``timeout`` seconds; the rest stays journaled."""
        self._draining.set()
        self._wake.set()
        started = time.monotonic()
        thread = self._thread
        while thread is not None and thread.is_alive():
            elapsed = time.monotonic() - started
            if elapsed >= timeout:
                self._abort.set()
                break
            thread.join(min(0.25, timeout - elapsed))
            if progress is not None and thread.is_alive() and elapsed >= 1.0:
                progress(len(self.pending), elapsed)
        self.journal.sync()

    # -- sender thread -----------------------------------------------------------------------
    def _take_queued(self, first: Result | None = None) -> list[Result]:
        items = [] if first is None else [first]
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                return items

    def _try_prepare(self) -> bool:
        """One attempt at preparing the run; False when it should be tried again later."""
        preparer = self._preparer
        if preparer is None:
            return True
        try:
            target = preparer()
        except TRANSIENT as exc:
            self.prepare_retried = str(exc)
            return False
        except Exception as exc:  # a permanent failure: results stay journaled
            self.prepare_error = exc
            self._preparer = None
            return True
        self._preparer = None
        if target is not None:
            self.set_run(*target)
        return True

    def _loop(self) -> None:
        backlog: collections.deque[Result] = collections.deque()
        oldest = 0.0
        retry_at = 0.0
        pause = self.retry_pause
        drain_started = 0.0
        while not self._abort.is_set():
            # woken for a full batch or the session end, else a tick: never once per result,
            # which would make the test thread hand the GIL over after every test
            self._wake.wait(0.05 if self._draining.is_set() else TICK)
            self._wake.clear()
            items = self._take_queued()
            if items and not backlog:
                oldest = time.monotonic()
            backlog.extend(items)
            now = time.monotonic()
            draining = self._draining.is_set()
            if draining and not drain_started:
                drain_started, retry_at = now, 0.0  # one more try at once
            if self._preparer is not None and draining and now - drain_started > PREPARE_GRACE:
                return  # the service stayed down through the session end: results stay journaled
            if self._preparer is not None and now >= retry_at:
                if self._try_prepare():
                    pause = self.retry_pause
                else:
                    retry_at = time.monotonic() + pause
                    pause = min(pause * 2, 30.0)
            blocked = self.run_id is None or self.client is None or bool(self.stats.stopped)
            if (
                draining
                and self._queue.empty()
                and (not backlog or (blocked and not self._preparer))
            ):
                return
            if not backlog or blocked:
                continue
            due = len(backlog) >= self.max_batch or draining or now - oldest >= self.flush_interval
            if not due or now < retry_at:
                continue
            batch = self._take(backlog)
            if self._send(batch):
                pause = self.retry_pause
                retry_at = 0.0
                oldest = now
            else:
                backlog.extendleft(reversed([r for r in batch if r.key in self._unsent]))
                retry_at = time.monotonic() + pause
                pause = min(pause * 2, 30.0)

    def _take(self, backlog: collections.deque[Result]) -> list[Result]:
        batch: list[Result] = []
        size = 0
        while backlog and len(batch) < self.max_batch:
            cost = result_size(backlog[0])
            if batch and size + cost > self.max_bytes:
                break
            batch.append(backlog.popleft())
            size += cost
        return batch

    def _target(self) -> tuple[Client, str]:
        if self.client is None or self.run_id is None:
            raise RuntimeError("the uploader has no run to send to")
        return self.client, self.run_id

    def _done(self, results: list[Result]) -> None:
        with self._lock:
            for r in results:
                self._unsent.pop(r.key, None)

    def _drop_unknown(self, batch: list[Result]) -> list[Result]:
        """Keep back results for cases the project does not have (the service drops them)."""
        cases = self._project_cases
        if cases is None:
            return batch
        unknown = [r for r in batch if r.case_id not in cases]
        if unknown:
            self.stats.unknown.extend(unknown)
            self.journal.rejected([r.key for r in unknown], "test case not in project")
            self._done(unknown)
        return [r for r in batch if r.case_id in cases]

    def _send(self, batch: list[Result]) -> bool:
        """Post one batch; True when nothing of it needs another try."""
        client, run_id = self._target()
        batch = self._drop_unknown(batch)
        self.journal.sync()  # a batch boundary: what is about to be sent is on disk
        try:
            try:
                self._ensure_pairs(batch)
            except errors.BadRequestError as exc:
                if exc.error != "invalid_test_case_id" or self._project_cases is not None:
                    raise
                # a case recorded during the session that the project does not have
                self._project_cases = {
                    c.identifier for c in client.iter_project_test_cases(self.project)
                }
                batch = self._drop_unknown(batch)
                self._ensure_pairs(batch)
            self._post(batch)
        except errors.AmbiguousRequestError:
            self._reconcile(batch)
            return False
        except errors.NotFoundError as exc:
            self.stats.stopped = (
                f"run {run_id} was closed or deleted during the session ({exc.message}); "
                "uploads stopped"
            )
            return False
        except (errors.AuthenticationError, errors.PermissionDeniedError) as exc:
            self.stats.stopped = str(exc)
            return False
        except UploadStopped:
            return False
        except (errors.BstmError, ChangeNotVisibleError) as exc:
            log.debug("upload failed, will retry: %s", exc)
            self._note(str(exc))
            return False
        except Exception as exc:  # the sender thread must never die silently
            self._note(f"unexpected upload failure: {type(exc).__name__}: {exc}")
            return False
        return True

    def _note(self, message: str) -> None:
        if message not in self.stats.errors:
            self.stats.errors.append(message)

    def _ensure_pairs(self, batch: list[Result]) -> None:
        client, run_id = self._target()
        missing = sorted({(r.case_id, r.configuration_id) for r in batch} - self._pairs, key=str)
        if not missing:
            return
        by_config: dict[int | None, list[str]] = {}
        for case_id, cfg in missing:
            by_config.setdefault(cfg, []).append(case_id)
        add = [
            models.CaseSelection(test_case_ids=ids, configuration_ids=None if c is None else [c])
            for c, ids in by_config.items()
        ]
        client.update_test_cases(self.project, run_id, add=add)
        self._pairs = wait_for_pairs(client, self.project, run_id, set(missing))
        self.stats.added_pairs += len(missing)

    def _post(self, batch: list[Result]) -> None:
        client, run_id = self._target()
        if not batch:
            return
        try:
            client.add_results(self.project, run_id, [to_wire(r) for r in batch])
        except errors.BadRequestError as exc:
            if len(batch) == 1:
                self.stats.rejected.append((batch[0], exc.message))
                self.journal.rejected([batch[0].key], exc.message)
                self._done(batch)
                return
            mid = len(batch) // 2
            self._post(batch[:mid])
            self._post(batch[mid:])
            return
        self.journal.sent([r.key for r in batch])
        self._done(batch)
        for r in batch:
            self.stats.sent[r.status] += 1

    def _reconcile(self, batch: list[Result]) -> None:
        """After an answer that never came, find which results of ``batch`` the run holds."""
        client, run_id = self._target()
        wanted = {r.key: r for r in batch if r.key in self._unsent}
        try:
            found = {
                m.group(1)
                for res in client.iter_results(self.project, run_id)
                for m in KEY_RE.finditer(res.description or "")
            }
        except errors.BstmError as exc:
            self._note(f"could not check which results arrived: {exc}")
            return
        arrived = [r for k, r in wanted.items() if k in found]
        self.journal.sent([r.key for r in arrived])
        self._done(arrived)
        for r in arrived:
            self.stats.sent[r.status] += 1

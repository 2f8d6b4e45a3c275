"""Append-only JSON-lines journal: every result is written before it is sent, and marked when sent.

Line types (one JSON object per line, no credentials ever):

- ``{"type": "plan", "url", "plan": {...}, "build_url"}``: the run's intent (a
  :class:`~pytest_bstm.run.plan.RunPlan`), written before the first result, so that
  ``bstm journal upload PATH`` alone can create, clone or join the run, add and assign the
  cases, upload, and close it as the session would have
- ``{"type": "run", "run", "web_url"}``: the run the plan led to, once it is known
- ``{"type": "closed", "run"}``: the run was closed as the plan asked
- ``{"type": "result", "key", "project", "run", "case", "configuration", "status",
  "description", "nodeids", "duration_ms", "issues", "custom_fields"}``
- ``{"type": "sent", "keys": [...]}`` and ``{"type": "rejected", "keys": [...], "error": "..."}``
- ``{"type": "test", "nodeid", "keys": [[case, configuration], ...], "outcome", "status",
  "duration", "message"?, "excerpt"?, "subtests"?, "earlier"?, "evidence"?}``: a finished test
  whose pairs (``keys``) were not settled by its end: other tests of the case were still to run,
  or a test that may record a case (``record_property``) was. Written once per test and bounded
  (:func:`~pytest_bstm.delivery.records.test_record`): the journal grows linearly with the tests.
  ``{"type": "ended"}``: the session decided every such pair (it wrote its result, or the user's
  hook dropped it). A journal without ``ended`` is of a killed session: :func:`read` folds its
  test lines into one result per pair that has no result line, as the session would have (worst
  wins). Journals of earlier releases hold ``{"type": "held", ...}`` lines (a whole result)
  instead; they are read the same way.
- ``{"type": "running", "nodeid", "keys": [[case, configuration], ...], "status"}``: a test of
  a serial session is about to run, covering these pairs (none for an unmapped test, once the
  plan is journaled: the test before it did not crash). In a journal without ``ended``, the
  last such test with no result or test line naming it is the one the process died in
  (``os._exit``, a fatal signal, a kill): :func:`read` gives each of its pairs a ``status``
  (the status map's ``failed``) result saying so, as xdist does for a test that crashed its
  worker.
- ``{"type": "attachment", "id", "key", "case", "configuration", "file", "name", "content_type",
  "size", "nodeid"}``: a file attached (``bstm.attach``) to the result ``key``, after its line;
  ``file``: its copy, relative to the journal's folder (``attachments/...``), or absolute;
  ``{"type": "attaching", "id", "result", "seen"}``: about to be sent to the result of that
  ID, which held ``seen`` files of its name; ``{"type": "attached", "ids"}``: the service has
  them; ``{"type": "attachment_failed", "id", "error"}``: refused for good (the upload step:
  :mod:`pytest_bstm.delivery.attachments`). ``{"type": "evidence", "nodeid", "file", "name",
  "content_type", "size"}``: a file the running test attached (serial sessions): if it is
  the test the process died in, its crash result gets the file.

A killed process leaves a valid journal apart from, at worst, a torn last line, which
:func:`read` ignores.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from pytest_bstm.delivery.journal_state import JournalState, read
from pytest_bstm.delivery.records import line, result_line, running_line

__all__ = ["Claim", "Journal", "JournalState", "read"]


class Journal:
    """Thread-safe appender; ``sync()`` fsyncs (called at batch boundaries).

    Each append is one unbuffered ``write`` of whole lines (no buffer to flush): once it
    returns, the lines are the kernel's and survive the process (a kill, ``os._exit``); the
    fsyncs of :meth:`sync` and of the lines that mark progress keep them across a crash of
    the machine.

    ``own=True`` (a journal named for this session): the file is created by this object and
    never opened if it exists already; :meth:`discard` removes only a file this object made.
    """

    def __init__(self, path: Path, own: bool = False) -> None:
        # absolute now: a late write (after the session restored another working directory)
        # must reach the same file
        self.path = path.absolute()
        self._own = own
        self._made = False  # this object created the file
        self._made_folder = False  # ... and its folder (removed with it, only when empty)
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()  # held by fsync and close, never by a plain write
        self._file: IO[bytes] | None = None
        self._closed = False
        self._must_end = False  # a test or running line was written: the end writes "ended"
        self.failure: str | None = None  # why a write failed (the disk, not the plugin)

    @classmethod
    def scratch(cls) -> Journal:
        """A journal in a private folder, removed with it (:meth:`discard`): a dry run writes
        nothing."""
        journal = cls(Path(tempfile.mkdtemp(prefix="bstm-dry-run-")) / "journal.jsonl", own=True)
        journal._made_folder = True  # mkdtemp made it
        return journal

    def _write(self, records: Iterable[dict[str, Any]], sync: bool = False) -> None:
        """Append ``records``; an OSError (disk full, folder removed) is kept in ``failure``
        for the summary, never raised into the test session."""
        self._lines("".join([line(r) for r in records]), sync)

    def _lines(self, text: str, sync: bool = False) -> None:
        """Append ``text`` (whole lines), as :meth:`_write` does."""
        try:
            self._append(text.encode("utf-8"), sync)
        except OSError as exc:
            self.failure = self.failure or f"{self.path}: {exc.strerror or exc}"

    def _append(self, lines: bytes, sync: bool) -> None:
        with self._lock:
            if self._closed:  # a late write (a sender thread outliving the session)
                with self._open() as late:
                    _write_all(late, lines)
                return
            if self._file is None:
                self._file = self._open()
            _write_all(self._file, lines)
        if sync:
            self._fsync()

    def _fsync(self) -> None:
        """fsync outside the write lock, so that the test thread's next line never waits for
        the disk; the sync lock keeps the file from being closed meanwhile."""
        with self._sync_lock:
            file = self._file
            if file is not None:
                os.fsync(file.fileno())

    def _open(self) -> IO[bytes]:
        for _ in range(3):  # another session may remove an empty .bstm/ in between
            if not self.path.parent.is_dir():
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._made_folder = True
            try:
                return self._open_once()
            except FileNotFoundError:
                continue
        return self._open_once()

    def _open_once(self) -> IO[bytes]:
        if self._made or not self._own:
            return _end_torn_line(self.path)
        # FileExistsError: not ours, untouched; appending, as the sender process appends too
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o666)
        file = os.fdopen(fd, "ab", buffering=0)
        self._made = True
        return file

    def plan(self, url: str, plan: dict[str, Any], build_url: str | None = None) -> None:
        self._write([{"type": "plan", "url": url, "plan": plan, "build_url": build_url}], True)

    def run(self, run_id: str, web_url: str | None) -> None:
        self._write([{"type": "run", "run": run_id, "web_url": web_url}], sync=True)

    def closed(self, run_id: str) -> None:
        self._write([{"type": "closed", "run": run_id}], sync=True)

    def results(self, records: Iterable[dict[str, Any]]) -> None:
        self._lines("".join([result_line(r) for r in records]))

    def test(self, record: dict[str, Any]) -> None:
        """A ``test`` line (:func:`~pytest_bstm.delivery.records.test_record`)."""
        self._must_end = True
        self._write([record])

    def running(self, nodeid: str, keys: Sequence[tuple[str, int | None]], status: str) -> None:
        self._must_end = True
        self._lines(running_line(nodeid, keys, status))

    def ended(self) -> None:
        if self._must_end:
            self._write([{"type": "ended"}], sync=True)

    def sent(self, keys: list[str]) -> None:
        if keys:
            self._write([{"type": "sent", "keys": keys}], sync=True)

    def rejected(self, keys: list[str], error: str) -> None:
        if keys:
            self._write([{"type": "rejected", "keys": keys, "error": error}], sync=True)

    def attachments(self, records: Iterable[dict[str, Any]]) -> None:
        self._write([{"type": "attachment", **r} for r in records], sync=True)

    def attaching(self, attachment_id: str, result: str, seen: int) -> None:
        self._write(
            [{"type": "attaching", "id": attachment_id, "result": result, "seen": seen}], True
        )

    def evidence(self, nodeid: str, record: dict[str, Any]) -> None:
        self._write([{**record, "type": "evidence", "nodeid": nodeid}])

    def attached(self, ids: list[str]) -> None:
        self._write([{"type": "attached", "ids": ids}], sync=True)

    def attachment_failed(self, attachment_id: str, error: str) -> None:
        self._write([{"type": "attachment_failed", "id": attachment_id, "error": error}])

    def sync(self) -> None:
        try:
            self._fsync()
        except OSError as exc:
            self.failure = self.failure or f"{self.path}: {exc.strerror or exc}"

    def discard(self) -> None:
        """Remove the journal (everything in it was sent), if this object made it, and the
        folder of attachment copies when it is empty."""
        self.close()
        if self._made:
            self.path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            (self.path.parent / "attachments").rmdir()  # only when empty
        with contextlib.suppress(OSError):
            if self._made_folder:
                self.path.parent.rmdir()  # only when empty

    def close(self) -> None:
        with self._sync_lock, self._lock:
            self._closed = True
            file, self._file = self._file, None
            if file is not None:
                try:
                    file.close()
                except OSError as exc:
                    self.failure = self.failure or f"{self.path}: {exc.strerror or exc}"


def _end_torn_line(path: Path) -> IO[bytes]:
    """Open ``path`` to append; a torn last line (a killed writer's) is ended first, so that
    the next record is a line of its own."""
    file = path.open("ab", buffering=0)
    with contextlib.suppress(OSError), path.open("rb") as raw:
        raw.seek(-1, os.SEEK_END)  # OSError: the file is empty
        if raw.read(1) != b"\n":
            _write_all(file, b"\n")
    return file


def _write_all(file: IO[bytes], data: bytes) -> None:
    """Write ``data`` to an unbuffered file: one system call, more only after a short write."""
    written = file.write(data)
    if written == len(data):
        return
    if not written:  # a full disk that reports no error (OSError is the usual answer)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    view = memoryview(data)[written:]
    while view:
        written = file.write(view)
        if not written:  # a full disk that reports no error (OSError is the usual answer)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


class Claim:
    """A live session's hold on a named journal: ``<journal>.lock``, locked (POSIX ``flock``)
    from the session's start to its end and removed then, so that two sessions running at once
    never write one journal (the later one's sender would send the earlier one's results into
    its own run). A lock left by a killed session is free again. Where there is no ``flock``
    (Windows) there is no claim (our choice)."""

    def __init__(self, journal: Path) -> None:
        self.path = journal.absolute().with_name(journal.name + ".lock")
        self._file: IO[bytes] | None = None
        self._made_folder = False

    def take(self) -> bool:
        """Hold the journal; False when another live session holds it."""
        try:
            import fcntl  # noqa: PLC0415 - POSIX only
        except ImportError:  # pragma: no cover - Windows
            return True
        if not self.path.parent.is_dir():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._made_folder = True
        for _ in range(3):
            file = self.path.open("ab")
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                file.close()
                return False
            with contextlib.suppress(OSError):  # the lock file this session now holds
                if os.stat(self.path).st_ino == os.fstat(file.fileno()).st_ino:
                    self._file = file
                    return True
            file.close()  # its holder removed it in between: take the new one
        return False

    def release(self) -> None:
        """Remove the lock file while still holding it, then let go."""
        file, self._file = self._file, None
        if file is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        file.close()
        if self._made_folder:
            with contextlib.suppress(OSError):
                self.path.parent.rmdir()  # only when empty

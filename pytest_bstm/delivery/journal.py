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
import json
import os
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pytest_bstm.delivery.attachment_records import crash_records, records_for
from pytest_bstm.delivery.records import (
    from_record,
    journal_record,
    marker,
    outcome_from_test_record,
)
from pytest_bstm.results.aggregate import Tally
from pytest_bstm.results.model import Key, result_key


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
        self._encode = json.JSONEncoder(separators=(",", ":")).encode  # one, not one per line

    @classmethod
    def scratch(cls) -> Journal:
        """A journal in a private folder, removed at the end: a dry run writes nothing."""
        return cls(Path(tempfile.mkdtemp(prefix="bstm-dry-run-")) / "journal.jsonl", own=True)

    def _write(self, records: Iterable[dict[str, Any]], sync: bool = False) -> None:
        """Append ``records``; an OSError (disk full, folder removed) is kept in ``failure``
        for the summary, never raised into the test session."""
        encode = self._encode
        lines = "".join([encode(r) + "\n" for r in records]).encode("utf-8")
        try:
            self._append(lines, sync)
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
        self._write([{"type": "result", **r} for r in records])

    def test(self, record: dict[str, Any]) -> None:
        """A ``test`` line (:func:`~pytest_bstm.delivery.records.test_record`)."""
        self._must_end = True
        self._write([record])

    def running(self, nodeid: str, keys: list[tuple[str, int | None]], status: str) -> None:
        self._must_end = True
        self._write([{"type": "running", "nodeid": nodeid, "keys": keys, "status": status}])

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
    view = memoryview(data)
    while view:
        written = file.write(view)
        if not written:  # a full disk that reports no error (OSError is the usual answer)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


@dataclass
class JournalState:
    """What a journal says: its plan and run, every result by key, which keys were sent."""

    plan: dict[str, Any] | None = None
    url: str | None = None
    run: str | None = None
    closed: bool = False
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent: set[str] = field(default_factory=set)
    rejected: dict[str, str] = field(default_factory=dict)
    attachments: dict[str, dict[str, Any]] = field(default_factory=dict)
    attachments_done: set[str] = field(default_factory=set)  # attached or refused for good
    unreadable: list[int] = field(default_factory=list)  # numbers of lines that are not JSON

    @property
    def unsent(self) -> list[dict[str, Any]]:
        """Results neither sent nor rejected, in journal order."""
        done = self.sent | set(self.rejected)
        return [r for k, r in self.results.items() if k not in done]

    def unattached(self, sent: set[str] | None = None) -> list[dict[str, Any]]:
        """Attachments of sent results (``sent``: the journal's), not yet settled, in order."""
        sent, done = self.sent if sent is None else sent, self.attachments_done
        return [a for i, a in self.attachments.items() if i not in done and a.get("key") in sent]


def read(path: Path) -> JournalState:
    """What the journal at ``path`` says, in one pass (linear in its size); ValueError for a
    hand-edited line that is JSON but not of the shape written."""
    state = JournalState()
    held: dict[str, dict[str, Any]] = {}  # journals of earlier releases
    tallies: dict[Key, Tally] = {}  # what ran of each pair a session left unsettled
    build_url: str | None = None
    running: dict[str, Any] | None = None  # the last test that started and has no result
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:  # a torn last line after a kill, or a hand edit
                if line.strip():
                    state.unreadable.append(number)
                continue
            kind = record.get("type") if isinstance(record, dict) else None
            if kind == "test":
                try:
                    outcome, status, keys = outcome_from_test_record(record)
                except (KeyError, TypeError, ValueError) as exc:
                    raise ValueError(f"malformed test line: {record}") from exc
                for pair in keys:
                    tally = tallies.get(pair)
                    if tally is None:
                        tally = tallies[pair] = Tally()
                    tally.add(outcome, status)
                if running is not None and running["nodeid"] == outcome.nodeid:
                    running = None
            elif kind == "plan" and isinstance(record.get("plan"), dict):
                if state.plan is not None and record["plan"].get("token") != state.plan.get(
                    "token"
                ):
                    # a later session appended to a finished named journal: its own run
                    state.run, state.closed, held, tallies, running = None, False, {}, {}, None
                state.plan, state.url = record["plan"], record.get("url")
                build_url = record.get("build_url")
            elif kind == "run" and record.get("run"):
                state.run = str(record["run"])
            elif kind == "closed":
                state.closed = True
            elif kind in ("result", "held") and "key" in record:
                (state.results if kind == "result" else held)[record["key"]] = record
                if running is not None and running["nodeid"] in record.get("nodeids", ()):
                    running = None
            elif kind == "running":
                running = _running(record)
            elif kind == "ended":
                held, tallies, running = {}, {}, None
            elif kind == "sent":
                state.sent.update(record.get("keys", []))
            elif kind == "attachment" and "id" in record:
                state.attachments[str(record["id"])] = record
            elif kind == "attaching" and str(record.get("id")) in state.attachments:
                state.attachments[str(record["id"])].update(
                    result=record.get("result"), seen=int(record.get("seen") or 0)
                )
            elif kind == "evidence" and running is not None:
                if record.get("nodeid") == running["nodeid"]:
                    running.setdefault("evidence", []).append(record)
            elif kind == "attached":
                state.attachments_done.update(str(i) for i in record.get("ids", []))
            elif kind == "attachment_failed":
                state.attachments_done.add(str(record.get("id")))
            elif kind == "rejected":
                for key in record.get("keys", []):
                    state.rejected[key] = str(record.get("error", ""))
    settled: dict[str, list[tuple[str, list[dict[str, Any]]]]] = {}  # key -> its tests' evidence
    if state.plan is not None:
        folder = path.absolute().parent
        token = str(state.plan["token"])
        _settle(state, tallies, held, token, build_url, folder=folder, settled=settled)
    if running is not None and state.plan is not None:
        _crashed(state, held, running, path.absolute().parent, settled)
    for key, record in held.items():  # a killed session: what it held is all there is
        state.results.setdefault(key, record)
    return state


def _settle(
    state: JournalState,
    tallies: dict[Key, Tally],
    held: dict[str, dict[str, Any]],
    token: str,
    build_url: str | None,
    *,
    folder: Path,
    settled: dict[str, list[tuple[str, list[dict[str, Any]]]]],
) -> None:
    """A killed session's unsettled pairs: each without a result line gets the one result
    its test lines make (into ``held``, where the crashed test's note can join it; the
    evidence of its tests into ``settled``)."""
    for pair, tally in tallies.items():
        key = result_key(token, *pair)
        if key not in state.results:
            result = tally.result(pair, token, build_url)
            held[key] = {"type": "held", **journal_record(result)}
            tests = settled[key] = [(o.nodeid, o.evidence) for o in tally.attaching]
            for line in records_for(result, tests, folder):  # the files its tests attached
                state.attachments.setdefault(line["id"], line)


def _running(record: dict[str, Any]) -> dict[str, Any]:
    """A ``running`` line as written, or ValueError (a hand-edited journal)."""
    keys = record.get("keys")
    if not isinstance(record.get("nodeid"), str) or not isinstance(keys, list):
        raise ValueError(f"malformed running line: {record}")
    for pair in keys:
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)) or not (
            pair[1] is None or isinstance(pair[1], int)
        ):
            raise ValueError(f"malformed running line: {record}")
    return record


def _crashed(
    state: JournalState,
    held: dict[str, dict[str, Any]],
    running: dict[str, Any],
    folder: Path,
    settled: dict[str, list[tuple[str, list[dict[str, Any]]]]],
) -> None:
    """The session died inside the test ``running`` names: each of its pairs without a result
    gets a failed one (merged into what was held for the pair, whose files are then named by
    test)."""
    assert state.plan is not None
    why = (
        f"{running['nodeid']}: crashed: the test process ended while this test ran "
        "(os._exit, a fatal signal or a kill); pytest reported no outcome"
    )
    keys = running.get("keys", [])
    for record in running.get("evidence", []):  # its BrowserStack session named a configuration
        if record.get("kind") == "configuration" and "keys" in record:
            keys = _running({"nodeid": running["nodeid"], "keys": record["keys"]})["keys"]
    for case, configuration in keys:
        key = result_key(str(state.plan["token"]), case, configuration)
        if key in state.results:
            continue
        earlier = held.pop(key, None)
        description = f"{why}\n{earlier['description']}" if earlier else f"{why}\n{marker(key)}"
        state.results[key] = {
            **(earlier or {"key": key, "case": case, "configuration": configuration}),
            "status": running.get("status") or "failed",
            "description": description,
            "nodeids": [*(earlier or {}).get("nodeids", []), running["nodeid"]],
        }
        before = settled.get(key, []) if earlier else []  # the files of the tests held
        crashed = (running["nodeid"], running.get("evidence", []))  # and of the test that died
        for line in crash_records(from_record(state.results[key]), before, crashed, folder):
            state.attachments[line["id"]] = line

"""What a test records for its results: attachments and links (``bstm.attach``, ``bstm.link``;
the fixture itself is :mod:`pytest_bstm.results.fixture`).

One :class:`EvidenceRecorder` per process that runs tests (pytest's process, each xdist
worker), under :data:`EVIDENCE_KEY` in the config's stash. A file is copied into the journal's
folder (``.bstm/attachments/``) when it is attached, so that a test that deletes it afterwards
still gets it uploaded; it is never read again on the test path. A file over 50 MB, one that
cannot be read or no regular file (a device, a pipe: never read) is not copied: it becomes a
note (one summary line), never an error of the test; no read goes past 50 MB and one byte.
Every note is masked by the client's rule (:class:`pytest_bstm.masking.Redactor`): the
access key and the credentials of any URL never reach the summary.

Records are plain JSON objects keyed by node ID: ``{"kind": "attachment", "file", "name",
"content_type", "size"}``, ``{"kind": "link", "url", "label"}``, ``{"kind": "note", "text"}``,
``{"kind": "configuration", "id"}`` (the configuration a BrowserStack session names).
In pytest's process the reporter takes them when the test finishes; an xdist worker appends
them to its file of the xdist channel's folder (``evidence-<worker>.jsonl``, see
:mod:`pytest_bstm.collect.xdist`), which the controller reads when the test finishes.
"""

from __future__ import annotations

import json
import mimetypes
import os
import shutil
import stat
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pytest

from pytest_bstm.results.paths import safe_name
from pytest_bstm.vocabulary import MAX_ATTACHMENT_BYTES

if TYPE_CHECKING:
    from pytest_bstm.collect.configurations import Configurations
    from pytest_bstm.collect.refs import CaseRef

EVIDENCE_KEY: pytest.StashKey[EvidenceRecorder] = pytest.StashKey()
Record = dict[str, Any]
CHUNK = 1024 * 1024  # bytes read at a time
JOURNALED = ("attachment", "configuration")  # what a crash result needs of a running test


class EvidenceRecorder:
    """Holds a process's records until the reporter (or the controller) takes them."""

    def __init__(self, store: Path | None, sink: Path | None, redact: Callable[[str], str]) -> None:
        self.redact = redact  # one masked line: the access key, a URL's credentials
        self.store = store  # where copies go; None: a private folder, removed at the end
        self._own_store = False
        self.sink = sink  # an xdist worker's channel file
        self._records: dict[str, list[Record]] = {}
        self._out: IO[str] | None = None
        self.sessions: dict[str, list[Any]] = {}  # node ID -> BrowserStack drivers or pages
        self.executor_failed = False  # a BrowserStack executor call failed: noted once
        # bstm_configuration_from_session: the session's table (given once it is read)
        self.configurations: Configurations | None = None
        self.unmatched: set[tuple[str, ...]] = set()  # session names that matched nothing
        self.running: pytest.Item | None = None  # the test running now (marking.RunningTest)
        self.on_follow: Callable[[], None] | None = None  # a session is followed (RunningTest)
        # a scoped fixture's sessions: id -> (driver or page, its link, label, fixture name,
        # the configuration its names chose)
        self.shared: dict[int, tuple[Any, str, str, str | None, int | None]] = {}
        # pytest's process: told of each attachment and configuration as it is recorded, for
        # the result of a test the process dies in (session/copies.py)
        self.on_record: Callable[[str, Record], None] | None = None

    def add(self, nodeid: str, record: Record) -> None:
        if self.sink is None:
            self._records.setdefault(nodeid, []).append(record)
            if self.on_record is not None and record.get("kind") in JOURNALED:
                self.on_record(nodeid, record)
            return
        if self._out is None:
            self._out = self.sink.open("a", encoding="utf-8")
        self._out.write(json.dumps({"nodeid": nodeid, **record}) + "\n")
        self._out.flush()  # before the report that ends the test reaches the controller

    def take(self, nodeid: str) -> list[Record]:
        return self._records.pop(nodeid, []) if self._records else []

    def take_all(self) -> list[Record]:
        records = [r for kept in self._records.values() for r in kept]
        self._records.clear()
        return records

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        if self._own_store and self.store is not None:
            shutil.rmtree(self.store, ignore_errors=True)

    def attach(self, nodeid: str, source: Any, name: str | None, content_type: str | None) -> None:
        """Copy ``source`` now (bounded: at most the limit and one byte is ever read) and
        record it; a device, a pipe or a folder is never read, an open one never waited on."""
        try:
            data, path = _content(source)
        except NotRegular:
            shown = self.redact(name or _stream_name(source))
            self.note(nodeid, f"{shown} not attached: not a regular file")
            return
        except Exception as exc:  # a buffer or stream that cannot be read
            shown = self.redact(name or type(source).__name__)
            self.note(nodeid, f"{shown} not attached: cannot read it ({type(exc).__name__}: {exc})")
            return
        if data is None and path is None:
            shown = self.redact(name or type(source).__name__)
            kind = type(source).__name__
            self.note(nodeid, f"{shown} not attached: {kind} is not a path, bytes or a file")
            return
        # masked at the call, as notes are: the access key never names a file
        shown = self.redact(name or (Path(path).name if path is not None else _stream_name(source)))
        name = safe_name(shown)
        content_type = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        limit = _size(MAX_ATTACHMENT_BYTES)
        try:
            if data is not None:
                size, file = len(data), None
                if size <= MAX_ATTACHMENT_BYTES:
                    file = self._keep(name, lambda dst: dst.write(data))
            else:
                size, file = self._copy(str(path), name)
        except NotRegular:
            self.note(nodeid, f"{shown} not attached: not a regular file")
            return
        except (OSError, TypeError, ValueError) as exc:
            why = getattr(exc, "strerror", None) or str(exc)
            self.note(nodeid, f"{shown} not attached: cannot read it ({why})")
            return
        if file is None:  # over the limit: its size when known, else only that it is over
            over = f"{_size(size)}, over" if size > MAX_ATTACHMENT_BYTES + 1 else "over"
            self.note(nodeid, f"{shown} not attached: {over} {limit}")
            return
        record = {"kind": "attachment", "file": file, "name": name, "size": size}
        self.add(nodeid, {**record, "content_type": content_type})

    def _copy(self, path: str, name: str) -> tuple[int, str | None]:
        """A regular file's size and its copy (None: over the limit, then nothing is kept).
        Opened without waiting (a FIFO), checked on the open file, copied at most to the
        limit and one byte (a file that grows meanwhile)."""
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise NotRegular(path)
        with os.fdopen(fd, "rb") as src:
            if info.st_size > MAX_ATTACHMENT_BYTES:
                return info.st_size, None
            file = self._keep(name, lambda dst: _bounded(src.read, dst.write))
            return (info.st_size if file is None else os.path.getsize(file)), file

    def _keep(self, name: str, write: Callable[[IO[bytes]], int]) -> str | None:
        """The copy's absolute path; None (and no copy) when ``write`` went over the limit."""
        if self.store is None:  # a dry run: a private folder, made on first use
            self.store, self._own_store = Path(tempfile.mkdtemp(prefix="bstm-dry-run-")), True
        self.store.mkdir(parents=True, exist_ok=True)
        target = self.store / f"{uuid.uuid4().hex[:12]}-{name}"
        with target.open("wb") as dst:
            written = write(dst)
        if written > MAX_ATTACHMENT_BYTES:
            target.unlink()
            return None
        return str(target)

    def link(self, nodeid: str, url: str, label: str | None) -> None:
        """Masked before it is kept: a URL's credentials, the access key, a secret's value
        in its query (``?access_key=...``) never reach the journal or the description."""
        masked = self.redact(str(url))
        self.add(nodeid, {"kind": "link", "url": masked, "label": self.redact(label or "link")})

    def note(self, nodeid: str, text: str) -> None:
        """One summary line, masked (an exception's text may carry a hub URL with the key)."""
        self.add(nodeid, _note(self.redact(text)))


class NotRegular(Exception):
    """A device, a pipe, a socket or a folder: never read (``/dev/zero`` has no end)."""


def _content(source: Any) -> tuple[bytes | None, str | None]:
    """What to attach: ``(bytes, None)`` for bytes, a bytearray, a memoryview or a file object
    (a ``BytesIO``'s whole buffer, else what ``read()`` gives, at most the limit and one byte;
    text is UTF-8), ``(None, path)`` for a path, ``(None, None)`` for anything else."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), None
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        return None, os.fsdecode(path)
    getvalue = getattr(source, "getvalue", None)
    if callable(getvalue):  # a buffer already in memory
        return _bytes(getvalue()), None
    read = getattr(source, "read", None)
    if not callable(read):
        return None, None
    fileno = getattr(source, "fileno", None)
    try:
        fd = fileno() if callable(fileno) else None
    except (OSError, ValueError):  # io.UnsupportedOperation: no file under it
        fd = None
    if isinstance(fd, int) and not stat.S_ISREG(os.fstat(fd).st_mode):
        raise NotRegular(repr(source))  # /dev/urandom, a pipe: never read, never waited on
    chunks: list[bytes] = []
    _bounded(read, chunks.append)
    return b"".join(chunks), None


def _bounded(read: Callable[[int], Any], write: Callable[[bytes], object]) -> int:
    """Copy what ``read`` gives to ``write`` until its end or the limit and one byte; the
    number of bytes copied (over the limit: stopped there)."""
    total, most = 0, MAX_ATTACHMENT_BYTES + 1
    while total < most:
        chunk = read(min(CHUNK, most - total))
        if not chunk:
            break
        data = _bytes(chunk)[: most - total]  # text: a read's characters may be more bytes
        write(data)
        total += len(data)
    return total


def _bytes(data: Any) -> bytes:
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"it gave a {type(data).__name__}")


def _stream_name(source: Any) -> str:
    """A file object's own name (``open(...)``), else ``attachment.bin``."""
    name = getattr(source, "name", None)
    return Path(name).name if isinstance(name, str) and name else "attachment.bin"


def _note(text: str) -> Record:
    return {"kind": "note", "text": text}


def _size(n: float) -> str:
    """``512 bytes``, ``4.0 KB``, ``61.2 MB``."""
    if n < 1024:
        return "1 byte" if n == 1 else f"{n:.0f} bytes"
    return f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def recorder_of(node: pytest.Item | pytest.FixtureRequest) -> tuple[EvidenceRecorder | None, str]:
    """The process's recorder (None when reporting is off) and the test's node ID: for the
    request of a module, class or session fixture, the test running now (whose setup or
    teardown runs the fixture)."""
    item = node.node if isinstance(node, pytest.FixtureRequest) else node
    recorder = item.config.stash.get(EVIDENCE_KEY, None)
    if isinstance(item, pytest.Item) or recorder is None:
        return recorder, item.nodeid
    running = recorder.running
    return recorder, running.nodeid if running is not None else item.nodeid


def session_refs(refs: list[CaseRef], records: list[Record]) -> list[CaseRef]:
    """``bstm_configuration_from_session``: the configuration the test's BrowserStack session
    named (its last ``configuration`` record) for each ref that names none of its own
    (marker, parameter)."""
    chosen = [int(r["id"]) for r in records if r.get("kind") == "configuration"]
    if not chosen:
        return refs
    return [r if r.configurations else replace(r, configurations=(chosen[-1],)) for r in refs]

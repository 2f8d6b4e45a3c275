"""Following a journal while pytest's process appends to it: the sender process's reading.

Two cursors over the one file. The *scan* reads every line as it arrives: the session's plan,
its attachments, and the key of each result (so that what is pending is counted; nothing more
of a result is kept). The *take* reads the results again, behind the scan, only as fast as
delivery asks for them: the sender holds a bounded number of results, whatever the size of the
suite or however far delivery is behind. A named journal holds earlier sessions too: only the
lines after this session's plan (its token) count.

Memory: a result's key is held once (the scan's string; a result taken carries that same
object, so the sender's set of delivered keys shares it), and the take never decodes a plan
line again (the scan noted where each one starts and whether it is this session's: a plan
line holds every planned case, megabytes for a large suite).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_bstm.run.plan import RunPlan

CHUNK = 1 << 18  # bytes of the journal read at once, at most

Record = dict[str, Any]


class _Cursor:
    """A position in the journal and the incomplete line read before it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.partial = b""

    @property
    def done(self) -> int:
        """Where the last complete line read ends."""
        return self.offset - len(self.partial)

    def lines(self, until: int | None = None) -> tuple[int, list[bytes], bool]:
        """Where the first of them starts, the complete lines of the next chunk (read no
        further than ``until``), and whether the chunk was full (more may follow at once)."""
        start = self.done
        size = CHUNK if until is None else min(CHUNK, until - self.offset)
        if size <= 0 or not self.path.is_file():  # not written (yet), or a device (/dev/full)
            return start, [], False
        try:
            with self.path.open("rb") as fh:
                fh.seek(self.offset)
                chunk = fh.read(size)
        except OSError:
            return start, [], False
        self.offset += len(chunk)
        *lines, self.partial = (self.partial + chunk).split(b"\n")
        return start, lines, len(chunk) == size


def _record(line: bytes) -> tuple[str | None, Record]:
    try:
        record = json.loads(line)
    except ValueError:  # a torn line (the writer's disk was full): the replay says so
        return None, {}
    if not isinstance(record, dict):
        return None, {}
    kind = record.get("type")
    return (kind if isinstance(kind, str) else None), record


class Follower:
    """The session's lines of the journal at ``path``: ``plan`` (the first of this session's
    ``token``), ``attachments`` and ``seen`` (result key -> itself until :meth:`take` handed
    it over, then ``""``: the key's one string object is the dictionary's)."""

    def __init__(self, path: Path, token: str) -> None:
        self.token = token
        self.plan: RunPlan | None = None
        self.attachments: list[Record] = []
        self.seen: dict[str, str] = {}
        self._scan, self._take = _Cursor(path), _Cursor(path)
        self._scan_ours = self._take_ours = False
        self._scanned = 0  # where the last line the scan read ends: the take stays behind it
        self._plans: dict[int, bool] = {}  # where each plan line starts: this session's?

    def scan(self) -> None:
        """Read what was appended since the last scan, one chunk at a time."""
        more = True
        while more:
            start, lines, more = self._scan.lines()
            for line in lines:
                kind, record = _record(line)
                if kind == "plan":
                    plan = RunPlan.from_json(record["plan"])
                    self._scan_ours = self._plans[start] = plan.token == self.token
                    if self._scan_ours and self.plan is None:
                        self.plan = plan
                elif not self._scan_ours:
                    pass
                elif kind == "result" and isinstance(key := record.get("key"), str):
                    self.seen.setdefault(key, key)
                elif kind == "attachment":  # uploaded once its result was delivered
                    self.attachments.append(record)
                start += len(line) + 1
            self._scanned = self._scan.done

    def take(self, wanted: int) -> list[Record]:
        """About ``wanted`` (at most a chunk's) result records the scan saw and nothing took
        yet, in the journal's order."""
        taken: list[Record] = []
        more = True
        while more and len(taken) < wanted:
            start, lines, more = self._take.lines(until=self._scanned)
            for line in lines:
                ours = self._plans.get(start)
                start += len(line) + 1
                if ours is not None:  # a plan line, read by the scan
                    self._take_ours = ours
                    continue
                if not self._take_ours:
                    continue
                kind, record = _record(line)
                if kind == "result" and self.hand(record):
                    taken.append(record)
        return taken

    def hand(self, record: Record) -> bool:
        """Mark the result of ``record`` handed over (its key becomes the scan's string);
        False when it was already."""
        key = record.get("key")
        if not isinstance(key, str):
            return False
        known = self.seen.get(key, key)
        if not known:
            return False
        self.seen[key] = ""  # the dictionary keeps its own key object
        record["key"] = known
        return True

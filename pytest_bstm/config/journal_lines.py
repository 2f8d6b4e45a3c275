"""A journal's lines, read key by key: the one pass over a journal file.

Standard library only and below every layer that writes or sends results, so that the
settings can tell whether a named journal still holds work (:func:`left`) and the delivery's
reader (:mod:`pytest_bstm.delivery.journal_state`) folds the same pass into results. The line
types are described in :mod:`pytest_bstm.delivery.journal`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Key = tuple[str, "int | None"]  # (test case ID, configuration ID or None)


def result_key(token: str, case_id: str, configuration_id: int | None) -> str:
    """16 hex digits, the same for a session's (case, configuration) on every retry."""
    raw = f"{token}|{case_id}|{configuration_id}".encode()
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass
class JournalLines:
    """What a journal's lines say, before any result is built from test lines.

    ``pairs``: the pairs of the ``test`` lines of a session that did not end (no ``ended``
    line after them), in order; ``running``: the last test that started and has no result
    or test line (the one a killed process died in); ``held``: whole results of earlier
    releases' killed sessions. A reader that builds results overrides :meth:`on_test` and
    :meth:`on_reset`."""

    plan: dict[str, Any] | None = None
    url: str | None = None
    build_url: str | None = None
    run: str | None = None
    closed: bool = False
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    held: dict[str, dict[str, Any]] = field(default_factory=dict)
    pairs: dict[Key, None] = field(default_factory=dict)
    running: dict[str, Any] | None = None
    sent: set[str] = field(default_factory=set)
    rejected: dict[str, str] = field(default_factory=dict)
    attachments: dict[str, dict[str, Any]] = field(default_factory=dict)
    attachments_done: set[str] = field(default_factory=set)  # attached or refused for good
    # each attachment's last ``attaching`` mark (result, seen): also of the files a reader
    # names itself (a killed session's held and crash results), applied once they exist
    marks: dict[str, dict[str, Any]] = field(default_factory=dict)
    unreadable: list[int] = field(default_factory=list)  # numbers of lines that are not JSON

    def on_test(self, record: dict[str, Any], keys: list[Key]) -> None:
        """A ``test`` line of a session not (yet) known to have ended."""

    def on_reset(self) -> None:
        """The test lines so far are settled (``ended``) or of another session (a new plan)."""

    def left(self) -> set[str]:
        """The keys of every result the journal holds that is neither sent nor rejected: its
        result lines and, for a killed session, one per pair its test lines or its crashed
        test leave without a result line."""
        keys = set(self.results) | set(self.held)
        if self.plan is not None:
            token = str(self.plan["token"])
            keys.update(result_key(token, *pair) for pair in self.pairs)
            if self.running is not None:
                keys.update(result_key(token, *pair) for pair in self.running["keys"])
        return keys - self.sent - set(self.rejected)

    def read(self, path: Path) -> None:
        """One pass over the journal at ``path`` (linear in its size); ValueError for a
        hand-edited line that is JSON but not of the shape written."""
        with path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:  # a torn last line after a kill, or a hand edit
                    if line.strip():
                        self.unreadable.append(number)
                    continue
                if isinstance(record, dict):
                    self._line(record)

    def _line(self, record: dict[str, Any]) -> None:
        kind = record.get("type")
        running = self.running
        if kind == "test":
            keys = _test_keys(record)
            self.on_test(record, keys)
            self.pairs.update(dict.fromkeys(keys))
            if running is not None and running["nodeid"] == str(record["nodeid"]):
                self.running = None
        elif kind == "plan" and isinstance(record.get("plan"), dict):
            if self.plan is not None and record["plan"].get("token") != self.plan.get("token"):
                # a later session appended to a finished named journal: its own run
                self.run, self.closed, self.held, self.running = None, False, {}, None
                self._reset()
            self.plan, self.url = record["plan"], record.get("url")
            self.build_url = record.get("build_url")
        elif kind == "run" and record.get("run"):
            self.run = str(record["run"])
        elif kind == "closed":
            self.closed = True
        elif kind in ("result", "held") and "key" in record:
            (self.results if kind == "result" else self.held)[record["key"]] = record
            if running is not None and running["nodeid"] in record.get("nodeids", ()):
                self.running = None
        elif kind == "running":
            self.running = checked_running(record)
        elif kind == "ended":
            self.held, self.running = {}, None
            self._reset()
        elif kind == "sent":
            self.sent.update(record.get("keys", []))
        elif kind == "attachment" and "id" in record:
            self.attachments[str(record["id"])] = record
        elif kind == "attaching":
            mark = {"result": record.get("result"), "seen": int(record.get("seen") or 0)}
            self.marks[str(record.get("id"))] = mark
            if str(record.get("id")) in self.attachments:
                self.attachments[str(record["id"])].update(mark)
        elif kind == "evidence" and running is not None:
            if record.get("nodeid") == running["nodeid"]:
                running.setdefault("evidence", []).append(record)
        elif kind == "attached":
            self.attachments_done.update(str(i) for i in record.get("ids", []))
        elif kind == "attachment_failed":
            self.attachments_done.add(str(record.get("id")))
        elif kind == "rejected":
            for key in record.get("keys", []):
                self.rejected[key] = str(record.get("error", ""))

    def _reset(self) -> None:
        self.pairs = {}
        self.on_reset()


def left(path: Path) -> list[str]:
    """What the journal at ``path`` still holds for its last session: results neither sent
    nor rejected, attachments neither attached nor refused, the close of its run; each as
    words ("2 result(s)"), none when it is finished. OSError, UnicodeDecodeError or ValueError
    when it cannot be read as a journal."""
    lines = JournalLines()
    lines.read(path)
    if lines.plan is None and lines.unreadable:  # no plan, and lines that are not JSON
        raise ValueError(f"line {lines.unreadable[0]} is not JSON")
    out = []
    if results := len(lines.left()):
        out.append(f"{results} result(s)")
    if files := len(set(lines.attachments) - lines.attachments_done):
        out.append(f"{files} attachment(s)")
    plan = lines.plan or {}
    if lines.run is not None and plan.get("close", True) and not lines.closed:
        out.append(f"the close of run {lines.run}")
    return out


def _test_keys(record: dict[str, Any]) -> list[Key]:
    """The pairs of a ``test`` line, or ValueError (a hand-edited journal)."""
    try:
        str(record["nodeid"]), str(record["outcome"]), str(record["status"])
        keys: list[Key] = []
        for case, configuration in record["keys"]:
            if not isinstance(case, str) or not isinstance(configuration, int | None):
                raise ValueError(f"malformed test line: {record}")
            keys.append((case, configuration))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"malformed test line: {record}") from exc
    return keys


def checked_running(record: dict[str, Any]) -> dict[str, Any]:
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

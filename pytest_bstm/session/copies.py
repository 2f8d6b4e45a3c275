"""The session's attachment copies (``.bstm/attachments/``): nothing stays that will never be
sent.

A copy is made when a test attaches a file (:mod:`pytest_bstm.results.evidence`); it is sent
and removed by the sender once a journal line names it (:mod:`pytest_bstm.delivery.attachments`).
Every other copy (of an unmapped test, an interrupted one: Ctrl-C, ``-x``, ``pytest.exit``;
of ``--setup-only``; of a result the user's hook dropped) is removed at the session's end,
with the folder when this session made it and it is empty. While a serial session's test
runs, its files are journaled as they are attached (``evidence`` lines), and the configuration
its BrowserStack session names with the pairs it moves the test to, so that the result the
replay gives a test the process died in carries them, under that configuration
(:mod:`pytest_bstm.delivery.journal`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_bstm.collect.refs import CaseRef
from pytest_bstm.collect.xdist import EvidenceInbox
from pytest_bstm.delivery.journal import Journal
from pytest_bstm.results.evidence import session_refs
from pytest_bstm.results.model import Key, TestOutcome

Record = dict[str, Any]


def _files(records: list[Record]) -> set[str]:
    return {str(r["file"]) for r in records if r.get("kind") == "attachment" and "file" in r}


class EvidenceCopies:
    """Which copies the session made and which of them a journal line names."""

    def __init__(self, inbox: EvidenceInbox) -> None:
        self.inbox = inbox
        recorder = inbox.recorder
        self.store = recorder.store if recorder is not None else None
        # the folder the copies' folder is in (.bstm/): removed at the end if made meanwhile
        self.made = self.store is not None and not self.store.parent.exists()
        self.seen: set[str] = set()
        self.journaled: set[str] = set()

    def take(self, nodeid: str) -> list[Record]:
        """A finished test's records (the tracker's source of evidence)."""
        records = self.inbox.take(nodeid)
        if records:
            self.seen |= _files(records)
        return records

    def journal(self, outcomes: list[TestOutcome]) -> None:
        """These tests' copies are named by journal lines: the sender owns them now."""
        for outcome in outcomes:
            self.journaled |= _files(outcome.evidence)

    def follow(
        self,
        journal: Journal,
        nodeid: str,
        refs: list[CaseRef],
        keys: Callable[[list[CaseRef]], list[Key]],
    ) -> None:
        """Serial: journal each file the test ``nodeid`` (mapped to ``refs``) attaches while
        it runs, and the configuration its BrowserStack session names with the pairs its
        result then stands for (``keys``: refs -> pairs)."""
        recorder = self.inbox.recorder
        if recorder is None:
            return

        def recorded(n: str, record: Record) -> None:
            if n != nodeid:
                return
            if record.get("kind") == "configuration":  # the pairs a crash result goes to
                record = {**record, "keys": keys(session_refs(refs, [record]))}
            journal.evidence(n, record)

        recorder.on_record = recorded

    def stop(self) -> None:
        """The session ends: nothing more is journaled (an interrupted test's fixtures are
        torn down after it, their files are not sent)."""
        if self.inbox.recorder is not None:
            self.inbox.recorder.on_record = None

    def discard(self) -> None:
        """After the session (the last teardown too): remove every copy no journal line
        names."""
        self.seen |= _files(self.inbox.rest())
        for file in self.seen - self.journaled:
            with contextlib.suppress(OSError):
                Path(file).unlink()
        if self.store is not None:
            with contextlib.suppress(OSError):
                self.store.rmdir()  # only when empty
            if self.made:
                with contextlib.suppress(OSError):
                    self.store.parent.rmdir()

"""What reporting did in this session: the facts the ``bstm`` section shows
(:mod:`~pytest_bstm.session.section`), heard from the sender's events as the tests run and
filled once from its final report (:mod:`~pytest_bstm.session.accounting`)."""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_bstm.delivery.events import Counted

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pytest_bstm.collect.mapping import CaseRef
    from pytest_bstm.delivery.events import Event
    from pytest_bstm.delivery.failures import Failure
    from pytest_bstm.results.model import Key
    from pytest_bstm.run.info import RunInfo


@dataclass
class Summary:
    """What reporting did in this session; handed to ``pytest_bstm_session_finished``."""

    project: str
    journal: Path
    run: RunInfo | None = None
    added: Counted = field(default_factory=Counted)  # cases and (case, configuration) pairs
    removed: Counted = field(default_factory=Counted)
    assigned: Counted = field(default_factory=Counted)
    closed: bool = False
    mapped: dict[str, list[str]] = field(default_factory=dict)
    unmapped: dict[str, None] = field(default_factory=dict)  # node IDs, in order (a set)
    rendered: bool = False  # the section was written
    deselected: int = 0
    unknown: dict[str, list[str]] = field(default_factory=dict)
    uploaded: collections.Counter[str] = field(default_factory=collections.Counter)
    rejected: list[tuple[str, list[str], str]] = field(default_factory=list)
    dropped: int = 0
    pending: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dry_run_calls: list[str] = field(default_factory=list)
    emulator_view: list[str] = field(default_factory=list)
    not_run: int = 0
    requests: int = 0
    rate_limited: int = 0
    submitted: set[Key] = field(default_factory=set)
    retried: Failure | None = None  # why preparing the run was retried (the latest)
    keep_journal: bool = False
    hints: list[tuple[str, str]] = field(default_factory=list)  # (what it does, command)
    upload_seconds: float | None = None  # how long the session end waited for the upload
    strict_failure: str | None = None  # the problem for which --bstm-strict failed the session
    attached: int = 0  # files uploaded to results (bstm.attach)
    not_attached: list[str] = field(default_factory=list)  # "name: why", one summary line
    attachments_waiting: int = 0  # kept in the journal for `bstm journal upload`
    dry_run: bool = False  # nothing was written: no run, no case added, removed or assigned

    def hear(self, event: Event) -> None:
        """What the sender told: the run is ready or closed, a retry, a note, an error."""
        if event.kind == "ready" and event.ready is not None:
            p = event.ready
            if not self.dry_run:
                self.run = p.run
                self.added, self.removed, self.assigned = p.added, p.removed, p.assigned
            self.unknown.update({c: self.nodeids_of(c) for c in p.unknown})
            if p.note:
                self.notes.append(p.note)
        elif event.kind == "closed" and event.ready is not None and not self.dry_run:
            self.run, self.closed = event.ready.run, True
        elif event.kind in ("retrying", "unreached"):
            self.retried = event.failure
        elif event.kind == "note":
            self.notes.append(event.message)
        elif event.kind == "failed":
            self.error(event.message)

    def noted(self, evidence: list[dict[str, Any]]) -> None:
        """A finished test's evidence: what could not be attached or linked is summarised,
        each line once (xdist workers each note what they saw)."""
        notes = [str(r["text"]) for r in evidence if r.get("kind") == "note"]
        self.not_attached += [n for n in dict.fromkeys(notes) if n not in self.not_attached]

    def map_collected(self, mapping: Mapping[str, list[CaseRef]]) -> None:
        """The tests to run: which are mapped to which cases, which to none."""
        self.unmapped = {n: None for n, refs in mapping.items() if not refs}
        self.mapped = {n: [r.case_id for r in refs] for n, refs in mapping.items() if refs}

    def map_at_run_time(self, nodeid: str, case_ids: list[str]) -> None:
        """A test reached cases at run time (``record_property``): it is mapped after all."""
        if nodeid not in self.mapped:
            self.mapped[nodeid] = case_ids
            self.unmapped.pop(nodeid, None)  # constant time: one per test of a large suite

    def nodeids_of(self, case_id: str) -> list[str]:
        return [n for n, ids in self.mapped.items() if case_id in ids]

    @property
    def failed(self) -> bool:
        """A reporting failure (what ``--bstm-strict`` turns into a failing exit code)."""
        return self.problem is not None

    @property
    def problem(self) -> str | None:
        """The reporting failure, in one line: the first error, refused results, or the wait."""
        if self.errors:
            return self.errors[0]
        if self.rejected:
            return f"the service refused {plural(len(self.rejected), 'result')}"
        if self.pending:
            return f"{plural(self.pending, 'result')} not uploaded"
        return None

    def fail_strictly(self) -> bool:
        """``--bstm-strict`` fails the session when reporting failed; the summary says why."""
        self.strict_failure = self.problem
        return self.strict_failure is not None

    def error(self, message: str) -> None:
        if message not in self.errors:
            self.errors.append(message)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"

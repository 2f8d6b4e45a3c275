"""The ``bstm`` section of the terminal summary."""

from __future__ import annotations

import collections
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_bstm.delivery.events import preparing

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pytest

    from pytest_bstm.collect.mapping import CaseRef
    from pytest_bstm.config.settings import Settings
    from pytest_bstm.delivery.events import DeliveryReport, Event
    from pytest_bstm.delivery.failures import Failure
    from pytest_bstm.delivery.process import SenderProcess
    from pytest_bstm.results.model import Key
    from pytest_bstm.run.info import RunInfo
    from pytest_bstm.run.plan import RunPlan


@dataclass
class Summary:
    """What reporting did in this session; handed to ``pytest_bstm_session_finished``."""

    project: str
    journal: Path
    run: RunInfo | None = None
    added: set[Key] = field(default_factory=set)  # (case, configuration) pairs
    removed: set[Key] = field(default_factory=set)
    assigned: set[Key] = field(default_factory=set)
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

    def hear(self, event: Event) -> None:
        """What the sender told: the run is ready or closed, a retry, a note, an error."""
        if event.kind == "ready" and event.ready is not None:
            p = event.ready
            self.run = p.run
            self.added, self.removed, self.assigned = set(p.added), set(p.removed), set(p.assigned)
            self.unknown.update({c: self.nodeids_of(c) for c in p.unknown})
            if p.note:
                self.notes.append(p.note)
        elif event.kind == "closed" and event.ready is not None:
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
            return f"the service refused {_plural(len(self.rejected), 'result')}"
        if self.pending:
            return f"{_plural(self.pending, 'result')} not uploaded"
        return None

    def fail_strictly(self) -> bool:
        """``--bstm-strict`` fails the session when reporting failed; the summary says why."""
        self.strict_failure = self.problem
        return self.strict_failure is not None

    def error(self, message: str) -> None:
        if message not in self.errors:
            self.errors.append(message)


def account(
    s: Summary,
    report: DeliveryReport | None,
    sender: SenderProcess,
    plan: RunPlan | None,
    settings: Settings,
) -> None:
    """Fill the summary from the sender's report (None: it died, or never started), and the
    commands that finish what the session left."""
    from pytest_bstm.session.hints import advise  # noqa: PLC0415 - hints builds on this module

    if report is None:
        report = _lost(s, sender)
    if settings.dry_run:
        _dry_run(s, report)
        return
    _account(s, report, sender.started, plan, settings)
    advise(s, report, plan, settings)


def _account(
    s: Summary, report: DeliveryReport, started: bool, plan: RunPlan | None, settings: Settings
) -> None:
    s.uploaded.update(report.sent)
    s.added |= report.added
    for case_id, nodeids, message in report.rejected:
        if case_id in report.unknown_cases:
            s.unknown.setdefault(case_id, list(nodeids))
        else:
            s.rejected.append((case_id, list(nodeids), message))
    s.pending = report.pending
    s.attached, s.attachments_waiting = report.attached, report.attachments_waiting
    s.not_attached += report.not_attached
    s.requests, s.rate_limited = report.requests, report.rate_limited
    s.emulator_view.extend(report.emulator_view)
    failure = report.failure  # counted over the session
    if started and s.run is None and report.stopped is None and plan is not None:
        why = failure.told() if failure else "the service did not answer before the session ended"
        if report.never_reached:
            why = f"the service was never reached: {why}"
        s.error(f"could not {preparing(plan)}: {why}")
    elif s.retried and s.run is not None:
        s.notes.append(f"the service failed at session start: {s.retried.told()}")
    if report.journal_failure:
        s.error(f"the journal could not be written: {report.journal_failure}")
    if s.pending and report.interrupted:
        s.error("interrupted (Ctrl-C) while uploading at the session end")
    elif s.pending:
        for err in report.errors[-1:]:  # the latest cause, once
            s.error(f"upload failed: {failure.told() if failure else err}")
        if not report.errors and report.stopped is None and s.run is not None:
            limit = f"the drain timeout ({settings.drain_timeout:g} s; raise --bstm-drain-timeout)"
            if failure:
                s.error(f"upload failed: {failure.told()}; retried until {limit}")
            else:
                s.error(f"uploads did not finish within {limit}")
    if plan is not None and started:  # a plan journaled for a crash, never started
        s.not_run = len({k for k in plan.pairs if k not in s.submitted})
        run = s.run
        s.keep_journal = bool(s.rejected or s.attachments_waiting) or (
            plan.close and run is not None and not s.closed
        )
        resumable = report.remedy in ("retry", "credentials")
        if run is not None and plan.close and not s.closed and s.pending and resumable:
            s.notes.append(
                f"run {run.run_id} left open because results are waiting: the upload below "
                "sends them and closes it"
            )


def _lost(s: Summary, sender: SenderProcess) -> DeliveryReport:
    """No report: the sender died (what the journal holds unsent is pending), or never ran."""
    from pytest_bstm.delivery import journal  # noqa: PLC0415 - only after a lost sender
    from pytest_bstm.delivery.events import DeliveryReport  # noqa: PLC0415

    if sender.died is None:
        return DeliveryReport()
    s.error(sender.died)
    try:
        pending = len(journal.read(sender.journal).unsent)
    except (OSError, ValueError):
        pending = len(s.submitted)
    return DeliveryReport(pending=pending, stopped=sender.died, url=sender.settings.url)


def _dry_run(s: Summary, report: DeliveryReport) -> None:
    """Nothing was written: say what would have been."""
    s.dry_run_calls = list(report.dry_run_calls)
    if report.dry_run_note:
        s.notes.append(report.dry_run_note)
    s.pending = 0
    if report.sent:
        tally = ", ".join(f"{n} {st}" for st, n in sorted(report.sent.items()))
        s.dry_run_calls.append(f"results that would be uploaded: {tally}")
    s.run, s.closed = None, False
    s.added, s.removed, s.assigned = set(), set(), set()


def _cases(pairs: set[Key], done: str) -> str:
    """``14 added``, or ``14 added (27 with configurations)`` when pairs outnumber cases."""
    cases = len({case for case, _ in pairs})
    extra = "" if cases == len(pairs) else f" ({len(pairs)} with configurations)"
    return f"{cases} {done}{extra}"


def _evidence(s: Summary) -> str:
    """``3 files attached, 1 waiting (...); 2 problems: big.log not attached: ...; ...``."""
    parts = [f"{_plural(s.attached, 'file')} attached"]
    if s.attachments_waiting:
        parts.append(f"{s.attachments_waiting} waiting (kept in the journal)")
    text = ", ".join(parts)
    if s.not_attached:
        shown = "; ".join(s.not_attached[:3])
        more = f"; and {len(s.not_attached) - 3} more" if len(s.not_attached) > 3 else ""
        text += f"; {_plural(len(s.not_attached), 'problem')}: {shown}{more}"
    return text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


LISTED = {1: 10, 2: 100}  # lines a listing shows at -v, -vv; every line from -vvv on


def _listed(lines: list[str], verbose: int) -> list[str]:
    """``lines`` as far as the verbosity shows them, with one line that counts the rest."""
    if verbose < 1:
        return []
    limit = LISTED.get(verbose)
    if limit is None or len(lines) <= limit:
        return lines
    more = f"-{'v' * (verbose + 1)}"
    return [*lines[:limit], f"... and {len(lines) - limit} more ({more} lists them)"]


def render(summary: Summary, tr: pytest.TerminalReporter, verbose: int) -> None:
    """The ``bstm`` section, once; none at all when there is nothing to say."""
    if summary.rendered:
        return
    summary.rendered = True
    started: list[bool] = []

    def line(text: str, **markup: bool) -> None:
        if not started:
            started.append(True)
            tr.write_sep("-", "bstm")
        tr.write_line(text, **markup)

    if summary.dry_run_calls:
        line("dry run: these calls would be made (nothing was written):")
        for call in summary.dry_run_calls:
            line(f"  {call}")
    run = summary.run
    if run is not None:
        state = " (closed)" if summary.closed else ""
        line(f"run:        {run.run_id} {run.name or ''}{state}".rstrip())
    counts = {"added": summary.added, "removed": summary.removed, "assigned": summary.assigned}
    cases = [_cases(pairs, done) for done, pairs in counts.items() if pairs]
    if cases:
        line(f"cases:      {', '.join(cases)}")
    total = sum(summary.uploaded.values())
    if total or run is not None:
        detail = ", ".join(f"{n} {s}" for s, n in sorted(summary.uploaded.items()))
        line(f"results:    {total} uploaded" + (f" ({detail})" if detail else ""))
    if summary.dropped:
        line(f"dropped:    {_plural(summary.dropped, 'result')} by pytest_bstm_result")
    if summary.unmapped:
        line(f"unmapped:   {_plural(len(summary.unmapped), 'test')} without a tc marker")
        for text in _listed(list(summary.unmapped), verbose):
            line(f"  {text}")
    if verbose > 1 and summary.mapped:
        line("mapping:")
        mapped = summary.mapped.items()
        for text in _listed([f"{n} -> {', '.join(ids)}" for n, ids in mapped], verbose):
            line(f"  {text}")
    elif verbose > 0 and summary.mapped:
        reached = _plural(len({c for ids in summary.mapped.values() for c in ids}), "case")
        line(f"mapped:     {_plural(len(summary.mapped), 'test')} to {reached} (-vv lists them)")
    if verbose > 0 and summary.requests:
        limited = f" ({summary.rate_limited} answered 429)" if summary.rate_limited else ""
        line(f"requests:   {summary.requests} to the service{limited}")
    if summary.not_run:
        untested = _plural(summary.not_run, "case")
        line(f"not run:    {untested} of the run got no result (their tests did not run)")
    if summary.deselected:
        line(f"deselected: {_plural(summary.deselected, 'test')} whose cases are not in the run")
    if summary.unknown:
        ids = sorted(summary.unknown, key=lambda c: int(c[3:]))
        joined = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
        line(f"unknown:    {joined} not in project {summary.project}: no result sent", red=True)
        where = [f"{c}: {', '.join(summary.unknown[c][:3])}" for c in ids]
        for text in _listed(where, max(verbose, 1)):  # bounded even at the default verbosity
            line(f"  {text}")
    for case_id, nodeids, error in summary.rejected:
        line(f"rejected:   {case_id} ({', '.join(nodeids[:3])}): {error}", red=True)
    if summary.attached or summary.not_attached or summary.attachments_waiting:
        line(f"evidence:   {_evidence(summary)}", yellow=bool(summary.not_attached))
    for note in summary.notes:
        line(f"note:       {note}")
    for error in summary.errors:
        line(f"error:      {error}", red=True)
    if summary.strict_failure is not None:
        line(f"strict:     exit code 1 (--bstm-strict): {summary.strict_failure}", red=True)
    if summary.pending:
        line(
            f"waiting:    {_plural(summary.pending, 'result')} not uploaded, kept in "
            f"{summary.journal}",
            yellow=True,
        )
    for what, command in summary.hints:
        line(f"  {what}: {command}")
    for view in summary.emulator_view:
        line(f"emulator:   {view}")
    if run is not None and run.web_url:
        line(f"link:       {run.web_url}")
    if run is not None and summary.upload_seconds is not None:
        line(closing_line(summary, run.run_id, summary.upload_seconds))


def closing_line(summary: Summary, run_id: str, seconds: float) -> str:
    """``12 results uploaded to TR-41 in 0.4 s`` (the session end's wait)."""
    sent = sum(summary.uploaded.values())
    total = _plural(sent + summary.pending, "result")
    count = f"{sent} of {total}" if summary.pending else total
    return f"{count} uploaded to {run_id} in {seconds:.1f} s"

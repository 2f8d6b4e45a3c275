"""The ``bstm`` section of the terminal summary: one renderer, of the reporter's
:class:`~pytest_bstm.session.summary.Summary` (hints included) or, when reporting is off, of
the lines :mod:`~pytest_bstm.session.notices` kept."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_bstm.session.summary import Summary, plural

if TYPE_CHECKING:
    import pytest

    from pytest_bstm.delivery.events import Counted


def _cases(counted: Counted, done: str) -> str:
    """``14 added``, or ``14 added (27 with configurations)`` when pairs outnumber cases."""
    extra = "" if counted.cases == counted.pairs else f" ({counted.pairs} with configurations)"
    return f"{counted.cases} {done}{extra}"


def _evidence(s: Summary) -> str:
    """``3 files attached, 1 waiting (...); 2 problems: big.log not attached: ...; ...``."""
    parts = [f"{plural(s.attached, 'file')} attached"]
    if s.attachments_waiting:
        parts.append(f"{s.attachments_waiting} waiting (kept in the journal)")
    text = ", ".join(parts)
    if s.not_attached:
        shown = "; ".join(s.not_attached[:3])
        more = f"; and {len(s.not_attached) - 3} more" if len(s.not_attached) > 3 else ""
        text += f"; {plural(len(s.not_attached), 'problem')}: {shown}{more}"
    return text


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


class Section:
    """The section's lines, its separator before the first one: none when nothing is said."""

    def __init__(self, tr: pytest.TerminalReporter) -> None:
        self.tr = tr
        self.started = False

    def line(self, text: str, **markup: bool) -> None:
        if not self.started:
            self.started = True
            self.tr.write_sep("-", "bstm")
        self.tr.write_line(text, **markup)


def notes_alone(tr: pytest.TerminalReporter, lines: list[tuple[str, str]]) -> None:
    """Reporting is off (or no reporter): the section holds the notices' lines alone."""
    section = Section(tr)
    for label, text in lines:
        section.line(f"{label + ':':<12}{text}")


def render(summary: Summary, tr: pytest.TerminalReporter, verbose: int) -> None:
    """The ``bstm`` section, once; none at all when there is nothing to say."""
    if summary.rendered:
        return
    summary.rendered = True
    line = Section(tr).line

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
        line(f"dropped:    {plural(summary.dropped, 'result')} by pytest_bstm_result")
    if summary.unmapped:
        line(f"unmapped:   {plural(len(summary.unmapped), 'test')} without a tc marker")
        for text in _listed(list(summary.unmapped), verbose):
            line(f"  {text}")
    if verbose > 1 and summary.mapped:
        line("mapping:")
        mapped = summary.mapped.items()
        for text in _listed([f"{n} -> {', '.join(ids)}" for n, ids in mapped], verbose):
            line(f"  {text}")
    elif verbose > 0 and summary.mapped:
        reached = plural(len({c for ids in summary.mapped.values() for c in ids}), "case")
        line(f"mapped:     {plural(len(summary.mapped), 'test')} to {reached} (-vv lists them)")
    if verbose > 0 and summary.requests:
        limited = f" ({summary.rate_limited} answered 429)" if summary.rate_limited else ""
        line(f"requests:   {summary.requests} to the service{limited}")
    if summary.not_run:
        untested = plural(summary.not_run, "case")
        line(f"not run:    {untested} of the run got no result (their tests did not run)")
    if summary.deselected:
        line(f"deselected: {plural(summary.deselected, 'test')} whose cases are not in the run")
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
            f"waiting:    {plural(summary.pending, 'result')} not uploaded, kept in "
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
    total = plural(sent + summary.pending, "result")
    count = f"{sent} of {total}" if summary.pending else total
    return f"{count} uploaded to {run_id} in {seconds:.1f} s"

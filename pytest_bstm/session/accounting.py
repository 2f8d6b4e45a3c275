"""The summary's one builder: filled once from the sender's final report (or, when the sender
died, from the journal), with the commands that finish what the session left: commands that
work as printed and finish the job, and only those that can succeed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_bstm.delivery.events import DeliveryReport, preparing
from pytest_bstm.delivery.failures import Remedy, close_command, closes_new_run, remedy_for
from pytest_bstm.session.summary import Summary, plural

if TYPE_CHECKING:
    from pytest_bstm.config.settings import Settings
    from pytest_bstm.delivery.process import SenderProcess
    from pytest_bstm.run.plan import RunPlan


def account(
    s: Summary,
    report: DeliveryReport | None,
    sender: SenderProcess,
    plan: RunPlan | None,
    settings: Settings,
    *,
    unmarked: bool = False,
) -> None:
    """Fill the summary from the sender's report (None: it died, or never started), and the
    commands that finish what the session left; ``unmarked``: tests ran, none with a case."""
    if unmarked:
        s.notes.append("no collected test has a tc marker: no run was created")
    if report is None:
        report = _lost(s, sender)
    if settings.dry_run:
        _dry_run(s, report)
        return
    _account(s, report, sender.started, plan, settings)
    _advise(s, report, plan, settings)


def _account(
    s: Summary, report: DeliveryReport, started: bool, plan: RunPlan | None, settings: Settings
) -> None:
    s.uploaded.update(report.sent)
    if report.added:  # the preparation's and the sending's: what the ready event said, or more
        s.added = report.added
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
    elif s.pending or s.attachments_waiting:
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
        waiting = s.pending or s.attachments_waiting
        if run is not None and plan.close and not s.closed and waiting and resumable:
            files = s.attachments_waiting
            what = "results are" if s.pending else f"{plural(files, 'file')} {_be(files)}"
            s.notes.append(
                f"run {run.run_id} left open because {what} waiting: the upload below "
                "sends them and closes it"
            )


def _lost(s: Summary, sender: SenderProcess) -> DeliveryReport:
    """No report: the sender died (what the journal holds unsent is pending), or never ran."""
    from pytest_bstm.delivery import journal  # noqa: PLC0415 - only after a lost sender

    if sender.died is None:
        return DeliveryReport()
    s.error(sender.died)
    sent: dict[str, int] = {}
    try:
        state = journal.read(sender.journal)
        pending = len(state.unsent)
        for key in state.sent:  # what it delivered before it died (its journaled marks)
            if (record := state.results.get(key)) is not None:
                sent[record["status"]] = sent.get(record["status"], 0) + 1
    except (OSError, ValueError):
        pending = len(s.submitted)
    return DeliveryReport(sent=sent, pending=pending, stopped=sender.died, url=sender.settings.url)


def _dry_run(s: Summary, report: DeliveryReport) -> None:
    """Nothing was written: say what would have been."""
    s.dry_run_calls = list(report.dry_run_calls)
    if report.dry_run_note:
        s.notes.append(report.dry_run_note)
    if report.sent:
        tally = ", ".join(f"{n} {st}" for st, n in sorted(report.sent.items()))
        s.dry_run_calls.append(f"results that would be uploaded: {tally}")


def _advise(
    s: Summary, report: DeliveryReport | None, plan: RunPlan | None, settings: Settings
) -> None:
    """The commands that finish what the session left, and only those that can succeed
    (:mod:`pytest_bstm.delivery.failures`); a close that did not happen is an error."""
    if settings.emulator or settings.dry_run:
        return  # the in-process service is gone with the session: nothing to finish there
    remedy: Remedy = report.remedy if report else "retry"
    stopped = report.stopped if report else None
    failure = report and (report.close_failure or report.failure)
    url = settings.url
    if s.pending or s.attachments_waiting:
        name = str((plan.payload if plan else {}).get("name") or settings.run_name)
        close = closes_new_run(plan)
        hint = remedy_for(remedy, s.journal, url, settings.project, name, close=close)
        if hint is not None:
            s.hints.append(hint)
        return
    run = s.run
    unclosed = plan is not None and plan.close and not s.closed and not stopped
    if unclosed and run is not None:  # every result delivered, the close did not happen
        why = failure.told() if failure else "no answer before the deadline"
        s.error(f"could not close run {run.run_id}: {why}")
        s.hints.append(("close it with", close_command(url, settings.project, run.run_id)))


def _be(n: int) -> str:
    return "is" if n == 1 else "are"

"""What the summary tells the user to run when reporting did not finish: commands that work as
printed and finish the job (:mod:`pytest_bstm.delivery.failures`), and only those that can
succeed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_bstm.delivery.failures import Remedy, close_command, closes_new_run, remedy_for

if TYPE_CHECKING:
    from pytest_bstm.config.settings import Settings
    from pytest_bstm.delivery.events import DeliveryReport
    from pytest_bstm.run.plan import RunPlan
    from pytest_bstm.session.summary import Summary


def advise(
    s: Summary, report: DeliveryReport | None, plan: RunPlan | None, settings: Settings
) -> None:
    """Add the commands that finish what the session left (called after :func:`account`)."""
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

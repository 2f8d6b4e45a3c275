"""What the summary tells the user to run when reporting did not finish: commands that work as
printed (:mod:`pytest_bstm.delivery.remedies`), and only those that can succeed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_bstm.delivery.remedies import Remedy, close_command, remedy_for

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
    errors = report.errors if report else ()
    waited = report.waited if report else None
    url = settings.url
    if s.pending or s.attachments_waiting:
        name = str((plan.payload if plan else {}).get("name") or settings.run_name)
        hint = remedy_for(remedy, s.journal, url, settings.project, name)
        if hint is not None:
            s.hints.append(hint)
        return
    run = s.run
    unclosed = plan is not None and plan.close and not s.closed and not stopped
    if unclosed and run is not None:  # every result delivered, the close did not happen
        closing = [e for e in errors if e.startswith("could not close")]
        why = closing[-1].split(": ", 1)[-1] if closing else waited
        why = why or "no answer before the deadline"
        s.error(f"could not close run {run.run_id}: {why}")
        s.hints.append(("close it with", close_command(url, settings.project, run.run_id)))

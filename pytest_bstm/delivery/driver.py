"""Finishing a journal, exactly once: the one driver ``bstm journal upload`` runs, and the sender
process runs when pytest's process died under it.

It creates or clones the run if the session never could (a run the session made but never heard
of is found by the session token in its description, not made twice), adds and assigns the
cases, sends each unsent result once through the one :class:`Sender` (after reading the run's
results back once: a batch in flight when the session died may have landed), and closes the run
if the session would have. The journal is held exclusively meanwhile (:func:`exclusive`), so
that two deliveries of one journal never run at once.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pytest_bstm.api import Client, errors
from pytest_bstm.delivery import attachments, journal
from pytest_bstm.delivery.events import preparing
from pytest_bstm.delivery.failures import (
    closes_new_run,
    explain,
    kind_of,
    new_run_command,
    remedy_of,
)
from pytest_bstm.delivery.records import from_record
from pytest_bstm.delivery.sender import Sender
from pytest_bstm.results.model import Result
from pytest_bstm.run.cases import ChangeNotVisibleError
from pytest_bstm.run.info import RunInfo
from pytest_bstm.run.lifecycle import Lifecycle
from pytest_bstm.run.plan import RunPlan
from pytest_bstm.run.prepare import NothingToReport, RunPreparer
from pytest_bstm.vocabulary import CREDENTIALS_REFUSED

FAILURES = (errors.BstmError, ChangeNotVisibleError, NothingToReport)
# what the service refused in the journal itself: a later upload as it is fails the same way
HOPELESS = (errors.BadRequestError, errors.NotFoundError, NothingToReport)


class Busy(Exception):
    """Another delivery of the journal holds it (a sender process, or an upload)."""


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the journal, or raise :class:`Busy` (POSIX ``flock``;
    elsewhere no lock)."""
    try:
        import fcntl  # noqa: PLC0415 - POSIX only
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with path.open("a", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise Busy(str(path)) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class Outcome:
    """What one journal's delivery did."""

    path: Path
    run: str | None = None
    sent: Counter[str] = field(default_factory=Counter)
    rejected: list[tuple[Result, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    closed: bool = False
    hopeless: bool = False  # no later upload of the journal as it is can succeed
    attached: int = 0
    not_attached: list[str] = field(default_factory=list)


def results_of(state: journal.JournalState) -> list[Result]:
    """The journal's unsent results (KeyError, TypeError or ValueError: a malformed record)."""
    return [from_record(record) for record in state.unsent]


def deliver(
    client: Client,
    path: Path,
    state: journal.JournalState,
    *,
    url: str | None,
    project: str,
    run: str | None,
    plan: RunPlan | None,
    results: list[Result],
    close: bool,
) -> Outcome:
    """Deliver ``results`` of the journal at ``path`` into ``run`` (or the run ``plan`` makes),
    then its attachments, marking the journal as it goes; close the run when ``close``."""
    outcome = Outcome(path, run)
    writer = journal.Journal(path)
    sender: Sender | None = None
    try:
        if run is None and plan is not None:
            prepared = RunPreparer(client, plan, look_first=True).step()
            run = outcome.run = prepared.run.run_id
            writer.run(run, prepared.run.web_url)
            sender = Sender(client, writer, project, run, pairs=set(prepared.pairs))
        else:
            assert run is not None
            sender = Sender(client, writer, project, run)
            sender.check_open()
            # a killed session may have sent some: read the run's results back once
            sender.unconfirmed = {r.key for r in results}
        sender.send(results)
        ok = (state.sent | sender.done) - {r.key for r, _ in sender.rejected}
        left = state.unattached(set(state.results))  # any that may name the same copy
        files = attachments.upload(client, project, run, writer, state.unattached(ok), others=left)
        outcome.attached, outcome.not_attached = files.uploaded, files.failed
        if close and plan is not None:  # a rejected result is named, and kept: not a reason
            Lifecycle(client, plan).close(RunInfo(project, run, None, plan.mode))
            writer.closed(run)
            outcome.closed = True
    except FAILURES as exc:
        message, remedy = str(exc), remedy_of(kind_of(exc))
        if isinstance(exc, errors.AuthenticationError):
            message = CREDENTIALS_REFUSED  # as the session says it
        if outcome.run is None and plan is not None and isinstance(exc, errors.BstmError):
            failure = explain(exc, plan, client)  # as the session would have told it
            message, remedy = f"could not {preparing(plan)}: {failure.message}", failure.remedy
        if remedy == "new_run":
            # the journal's own run cannot take the results: a new one can
            command = new_run_command(path, url, project, close=closes_new_run(plan))
            message += f"; send the results to a new run with: {command}"
        outcome.hopeless = remedy == "none" and isinstance(exc, HOPELESS)
        outcome.errors.append(message)
    finally:
        if sender is not None:
            outcome.sent, outcome.rejected = sender.sent, sender.rejected
        writer.close()
    if writer.failure:
        outcome.errors.append(f"could not mark the journal: {writer.failure}")
    return outcome


def finish(client: Client, path: Path, url: str | None) -> Outcome | None:
    """Finish the journal at ``path`` as its session would have (the sender process's part
    after pytest's process died); None when it holds nothing to do."""
    state = journal.read(path)
    plan = RunPlan.from_json(state.plan) if state.plan else None
    results = results_of(state)
    close = plan is not None and plan.close and not state.closed
    if plan is None or not (results or (close and state.run is not None)):
        return None
    return deliver(
        client,
        path,
        state,
        url=url,
        project=plan.project,
        run=state.run,
        plan=plan,
        results=results,
        close=close,
    )

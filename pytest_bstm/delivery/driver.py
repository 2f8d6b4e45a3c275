"""The one driver of a journal's delivery: prepare the run, send the results, attach the files,
close the run (:class:`Driver`). The sender process runs it while tests run (its upload thread
feeds it batches as the journal grows), after pytest's process died (:func:`finish`), and
``bstm journal upload`` runs it on a journal (:func:`deliver`).

Each step is one pass: the only retry loop is the client's (:mod:`pytest_bstm.api.retry`), to
the deadline the caller gave the client. A failure that gets past it ends the delivery; what is
left stays in the journal for a later ``bstm journal upload``.

It creates or clones the run if the session never could (a run the session made but never heard
of is found by the session token in its description, not made twice), adds and assigns the
cases, sends each unsent result once through the one :class:`Sender` (after reading the run's
results back once when it takes over a run: a batch in flight when the session died may have
landed), and closes the run if the session would have. The journal is held exclusively
meanwhile (:func:`exclusive`), so that two deliveries of one journal never run at once.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
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
from pytest_bstm.run.prepare import NothingToReport, Prepared, RunPreparer
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


class Driver:
    """The steps of one journal's delivery, in order: :meth:`prepare`, :meth:`send` (once or
    batch by batch), :meth:`attach`, :meth:`close`. Every step raises what the client could not
    retry away; nothing here retries. ``check`` runs before every write (raises to stop: the
    session stopped waiting)."""

    def __init__(
        self,
        client: Client,
        writer: journal.Journal,
        project: str,
        *,
        plan: RunPlan | None,
        run: str | None = None,
        look_first: bool = False,
        check: Callable[[], None] = lambda: None,
    ) -> None:
        self.client, self.writer, self.project, self.plan = client, writer, project, plan
        self.run_id = run
        self.check = check
        self.preparer = (
            None
            if run is not None or plan is None
            else RunPreparer(client, plan, look_first=look_first)
        )
        self.prepared: Prepared | None = None
        self.sender: Sender | None = None
        self.attached = attachments.Attached()

    def prepare(self, *, taken_over: Iterable[str] = ()) -> Prepared | None:
        """Make the run ready for results: the plan's (created, cloned or joined, cases added
        and assigned; returned), or the given run, checked open (None). ``taken_over``: keys
        of results that may be in the given run already (read back before any is sent)."""
        self.check()
        if self.preparer is None:
            assert self.run_id is not None
            self.sender = Sender(
                self.client, self.writer, self.project, self.run_id, before_write=self.check
            )
            self.sender.check_open()
            self.sender.unconfirmed = set(taken_over)
            return None
        prepared = self.prepared = self.preparer.step()
        self.run_id = prepared.run.run_id
        self.writer.run(self.run_id, prepared.run.web_url)
        self.sender = Sender(
            self.client,
            self.writer,
            self.project,
            self.run_id,
            pairs=prepared.pairs,  # not changed in place: replaced when pairs are added
            project_cases=prepared.project_cases,
            before_write=self.check,
        )
        return prepared

    def send(self, results: list[Result]) -> None:
        """Deliver each of ``results`` not yet delivered, once."""
        assert self.sender is not None
        self.sender.send(results)

    def attach(
        self, records: Iterable[attachments.Record], others: Iterable[attachments.Record] = ()
    ) -> attachments.Attached:
        """Upload the files of delivered results, once each (``others``: records that may
        name the same copies later)."""
        assert self.run_id is not None
        return attachments.upload(
            self.client,
            self.project,
            self.run_id,
            self.writer,
            records,
            check=self.check,
            done=self.attached,
            others=others,
        )

    def close(self) -> RunInfo:
        """Close the run, and mark it closed in the journal."""
        assert self.run_id is not None
        assert self.plan is not None
        self.check()
        info = self.prepared.run if self.prepared is not None else None
        info = info or RunInfo(self.project, self.run_id, None, self.plan.mode)
        run = Lifecycle(self.client, self.plan).close(info)
        self.writer.closed(run.run_id)
        return run


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
    driver = Driver(client, writer, project, plan=plan, run=run, look_first=True)
    try:
        # a killed session may have sent some: the run's results are read back once
        driver.prepare(taken_over=[r.key for r in results])
        outcome.run = driver.run_id
        driver.send(results)
        assert driver.sender is not None
        ok = (state.sent | driver.sender.done) - {r.key for r, _ in driver.sender.rejected}
        left = state.unattached(set(state.results))  # any that may name the same copy
        files = driver.attach(state.unattached(ok), others=left)
        outcome.attached, outcome.not_attached = files.uploaded, files.failed
        if close and plan is not None:  # a rejected result is named, and kept: not a reason
            driver.close()
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
        if driver.sender is not None:
            outcome.sent, outcome.rejected = driver.sender.sent, driver.sender.rejected
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

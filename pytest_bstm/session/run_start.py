"""The run's start, on pytest's main thread: the plan (with the user's payload hook),
journaled, the sender process asked to prepare the run, a bounded wait for it, and
``current_run``.

Nothing is written until a test executed (the truth rule): the run is prepared when the first
result is ready (or a test asks for the run with ``current_run``); under xdist, when the
controller knows that workers will run tests, so that workers can learn the run ID."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import pytest

from pytest_bstm.collect.mapping import CaseRef
from pytest_bstm.config.settings import Settings
from pytest_bstm.delivery.events import DeliveryReport, Event
from pytest_bstm.delivery.journal import Claim, Journal
from pytest_bstm.delivery.process import SenderProcess
from pytest_bstm.results import ci
from pytest_bstm.results.model import Key
from pytest_bstm.run import plan as plans
from pytest_bstm.run.info import RunInfo
from pytest_bstm.session.copies import EvidenceCopies
from pytest_bstm.session.progress import wait_for_uploads

START_WAIT = 10.0  # seconds the xdist controller (or current_run) waits for the run at start
SAID = {"ready", "failed", "note", "unreached"}  # the run is ready or cannot be (or never)


class RunStart:
    """``mapping()``: the collection's mapping; ``heard``: what the sender tells while the
    start waits for it; ``workers``: on the xdist controller, tells workers the run ID."""

    def __init__(
        self,
        config: pytest.Config,
        settings: Settings,
        mapping: Callable[[], dict[str, list[CaseRef]]],
        heard: Callable[[Event], None],
    ) -> None:
        self.config = config
        self.settings = settings
        self.mapping = mapping
        self.heard = heard
        self.build_url = ci.build_url(os.environ)
        own = not settings.journal_named  # a default journal is this session's alone
        self.journal = Journal.scratch() if settings.dry_run else Journal(settings.journal, own)
        self.sender = SenderProcess(settings, self.journal.path)
        self.claimed: Claim | None = None
        self.workers: Callable[[str | None], None] | None = None
        self.plan: plans.RunPlan | None = None
        self.run: RunInfo | None = None  # the run the sender prepared (a dry run's too)
        self.started = False
        self.prepared = False  # the sender said the run is ready, or that it cannot be
        self.gave_up = False  # a wait for the run timed out: later calls do not wait again

    def planned(self, extra: list[Key] | None = None) -> bool:
        """Plan the run (hook on the main thread), journal it; False while it has no case."""
        if self.plan is None:
            mapped = {n: refs for n, refs in self.mapping().items() if refs}
            plan = plans.build(self.settings, mapped, self.settings.token)
            plan = plans.with_pairs(plan, extra) if extra else plan
            if not plan.pairs and plan.mode == "create":
                return False
            if plan.payload:
                self.config.hook.pytest_bstm_run_payload(config=self.config, payload=plan.payload)
            self.plan = plan
            self.journal.plan(self.settings.url, plan.to_json(), self.build_url)
        return True

    def start(self, extra: list[Key] | None = None) -> None:
        """A test executed: plan the run, let the sender process prepare it."""
        if not self.planned(extra):
            return
        assert self.plan is not None
        self.started = True
        # the plan is in the journal, unless the disk refused it (then it goes along)
        self.sender.start(self.plan.to_json() if self.journal.failure else None)
        if self.workers is not None:
            self.wait()
            if self.run is None:
                self.workers(None)  # workers' current_run(): do not wait

    def started_with(self, keys: list[Key]) -> bool:
        """The run is planned (with ``keys``, when the plan lacks them) and its start asked."""
        if not self.started or self.plan is None:
            self.start(extra=keys)
        return self.plan is not None

    def current(self, may_start: bool) -> str | None:
        """The run's ID, waiting (bounded) for it; None in a dry run (a rehearsal's run)."""
        if self.settings.dry_run:
            return None
        if not self.started and may_start:
            self.start()
        if self.run is None and self.sender.started:
            self.wait()
        return self.run.run_id if self.run is not None else None

    def wait(self) -> None:
        """Wait (bounded, once) until the sender says the run is ready or cannot be."""
        if not (self.prepared or self.gave_up):
            # a service never reached: no wait
            self.gave_up = not self.sender.wait_for(SAID, START_WAIT, self.heard)

    def deliver(self) -> tuple[DeliveryReport | None, float | None]:
        """The session end: the journal complete on disk, the wait for the sender's report."""
        self.journal.ended()  # every unsettled pair is decided
        self.journal.sync()  # everything is on disk before the sender's last look
        return wait_for_uploads(self.config, self.sender, self.heard)

    def claim(self) -> None:
        """A named journal is this session's alone while it runs; raises ``pytest.UsageError``
        (before anything is written) when another session that runs now holds it."""
        if not self.settings.journal_named or self.settings.dry_run:
            return
        claim = Claim(self.settings.journal)
        if not claim.take():
            raise pytest.UsageError(
                f"--bstm-journal (or bstm_journal) {str(self.settings.journal)!r} is being "
                "written by another pytest session that runs now: name another journal for "
                "this one (a journal is one session's at a time)"
            )
        self.claimed = claim

    def close(self) -> None:
        self.sender.stop()
        if self.settings.dry_run:  # its scratch journal and folder, whatever ended the session
            self.journal.discard()
        else:
            self.journal.close()
        if self.claimed is not None:
            self.claimed.release()
            self.claimed = None

    def hear(self, event: Event) -> None:
        """The run is ready (the user's hook hears it), closed, or will not be."""
        self.prepared = self.prepared or event.kind in SAID
        if event.kind == "ready" and event.ready is not None:
            self.run = event.ready.run
            if self.workers is not None:
                self.workers(self.run.run_id)
            self.config.hook.pytest_bstm_run_ready(config=self.config, run=self.run)
        elif event.kind == "closed" and event.ready is not None:
            self.run = event.ready.run
        elif event.kind in ("failed", "unreached") and self.workers and self.run is None:
            self.workers(None)


class StartMarks:
    """Serial, executing, writing: each test is journaled as it starts (its pairs; none if
    unmapped), so that the replay gives the test a process died in a result (journal.py)."""

    def __init__(
        self,
        run: RunStart,
        *,
        covers: Callable[[str], Sequence[Key]],
        refs: Callable[[str], list[CaseRef]],
        keys: Callable[[list[CaseRef]], list[Key]],
        copies: EvidenceCopies,
        status: str,
    ) -> None:
        self.run = run
        self.covers = covers  # a test's pairs
        self.refs = refs  # a test's mapping
        self.keys = keys  # refs -> pairs
        self.copies = copies
        self.status = status  # a crashed test's

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        if ((keys := self.covers(nodeid)) or self.run.plan) and self.run.planned():
            self.run.journal.running(nodeid, keys, self.status)
            # a crash result gets its files and the configuration its session names
            self.copies.follow(self.run.journal, nodeid, self.refs(nodeid), self.keys)

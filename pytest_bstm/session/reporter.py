"""The reporter, on pytest's main thread of the main process or the xdist controller (never
talking to the API: the sender process reads the journal): reports -> results -> the journal,
the user hooks, the session end. What the session is: :mod:`~pytest_bstm.session.shape`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import pytest

from pytest_bstm import compat
from pytest_bstm.collect import select, xdist, xdist_controller
from pytest_bstm.collect.mapping import CaseRef, map_items, may_record, repeats
from pytest_bstm.config.settings import Settings
from pytest_bstm.delivery.attachment_records import records_for
from pytest_bstm.delivery.events import Event
from pytest_bstm.delivery.records import journal_record, test_record
from pytest_bstm.masking import Redactor
from pytest_bstm.results.aggregate import Aggregator, Tally
from pytest_bstm.results.model import Key, TestOutcome
from pytest_bstm.results.tracker import OutcomeTracker
from pytest_bstm.session.accounting import account
from pytest_bstm.session.copies import EvidenceCopies
from pytest_bstm.session.inputs import Inputs
from pytest_bstm.session.notices import NOTICES_KEY, Notices
from pytest_bstm.session.run_start import RunStart
from pytest_bstm.session.section import render
from pytest_bstm.session.summary import Summary

if TYPE_CHECKING:
    from pytest_bstm.session.shape import Shape

# the exit codes after which pytest itself calls pytest_terminal_summary (terminal.py)
SUMMARY_EXIT_CODES = {0, 1, 2, 4, 5, 6}
Phase = Literal["collecting", "expected", "aborted"]


class Reporter:
    """Result aggregation, the journal, the user hooks and the summary of one session."""

    def __init__(self, config: pytest.Config, settings: Settings, shape: Shape) -> None:
        self.config = config
        self.settings = settings
        self.shape = shape
        self.phase: Phase = "collecting"
        self.summary = Summary(settings.project, settings.journal, dry_run=settings.dry_run)
        self.mapping: dict[str, list[CaseRef]] = {}
        self.copies = EvidenceCopies(xdist.EvidenceInbox(config))  # none left behind
        mask, refs = Redactor(settings.access_key or ""), lambda n: self.mapping.get(n, [])
        self.tracker = OutcomeTracker(refs, config.rootpath, self.copies.take, mask)
        self.agg = Aggregator(settings.status_map, settings.configurations)
        self.notices = config.stash.get(NOTICES_KEY, None) or Notices(config)
        self.notices.own_section = False  # this reporter's section says its lines
        self.run = RunStart(config, settings, lambda: self.mapping, self._on)
        recorder = self.copies.inbox.recorder
        self.inputs = Inputs(settings, self.run.sender, self.notices, self.summary, recorder)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        for notice in self.settings.notices:
            self.notices.tell(notice)
        if self.shape.executes:
            self.inputs.read_configurations()
            if self.shape.controller:
                self.inputs.select()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        try:
            self.mapping = map_items(config, items, self.inputs.configurations)
        except pytest.UsageError:
            self.abort()
            raise
        if self.shape.executes and (cases := self.inputs.select()) is not None:
            self.summary.deselected = select.deselect(config, items, self.mapping, cases)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not self.shape.controller and self.phase != "aborted":
            items = session.items
            mapping = {i.nodeid: self.mapping.get(i.nodeid, []) for i in items}
            self._expect(mapping, {i.nodeid for i in items if may_record(i)}, repeats(items))
            maps = self.summary.mapped or any(may_record(i) for i in items)
            if maps and self._will_run(session, bool(items)):
                self.run.sender.spawn()  # its start overlaps the first test; nothing written

    def collected(
        self, found: xdist_controller.Found, session: pytest.Session | None, tests: bool
    ) -> None:
        """xdist controller: a worker's mapping (workers learn the run ID from their first test)."""
        mapping, recording, self.summary.deselected, again = found
        self._expect(mapping, recording, again)
        if session is not None and self._will_run(session, tests):
            self.run.start()

    def abort(self) -> None:
        """A usage error ends the session: nothing is reported."""
        self.phase = "aborted"

    def _will_run(self, session: pytest.Session, items: bool) -> bool:
        """Tests will execute: pytest stops after a collection error, unless told not to."""
        keeps_on = self.config.getoption("continue_on_collection_errors", False)
        return items and self.shape.executes and (keeps_on or not session.testsfailed)

    def _expect(
        self, mapping: dict[str, list[CaseRef]], recording: set[str], again: dict[str, int]
    ) -> None:
        self.phase, self.mapping = "expected", mapping
        self.agg.expect(mapping, recording, again)
        self.summary.map_collected(mapping)

    def current_run(self) -> str | None:
        """The run's ID, waiting (bounded) for it (:func:`pytest_bstm.plugin.current_run`)."""
        return self.run.current(self.shape.executes and self.phase == "expected")

    def _on(self, event: Event) -> None:
        if event.kind == "progress":
            return
        self.notices.event(event.kind, event.message, self.run.plan)
        self.summary.hear(event)
        self.run.hear(event)

    # -- results -----------------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.shape.executes:
            return  # --setup-only/--setup-plan: reports, but no test executes
        if not self.run.started and self.shape.controller:
            self.run.start()
        elif self.run.sender.spawned:
            for event in self.run.sender.poll():  # never blocks: at most one look per 50 ms
                self._on(event)
        finished = self.tracker.add(report)
        if finished is not None:
            self._finished(finished.nodeid, finished.outcome)

    def _finished(self, nodeid: str, outcome: TestOutcome | None) -> None:
        if outcome is not None and outcome.refs:
            if nodeid not in self.summary.mapped:  # it recorded its cases at run time
                self.summary.map_at_run_time(nodeid, [r.case_id for r in outcome.refs])
            if outcome.evidence:
                self.summary.noted(outcome.evidence)
        ready, unsettled = self.agg.add(nodeid, outcome)
        if unsettled and outcome is not None and self.run.started_with(unsettled):
            # pairs waiting for later tests: journaled once, small, a kill loses none (journal.py)
            self.run.journal.test(test_record(outcome, self.agg.status(outcome), unsettled))
        for key, tally in ready:
            self._submit(key, tally)

    def _submit(self, key: Key, tally: Tally) -> None:
        if not self.run.started_with([key]):
            return
        result = tally.result(key, self.settings.token, self.run.build_url)
        self.summary.submitted.add(key)
        hook = self.config.hook.pytest_bstm_result  # called only when implemented (per result)
        keep = hook(config=self.config, result=result) if hook.get_hookimpls() else None
        if keep and False in keep:
            self.summary.dropped += 1
            return
        record, journal = journal_record(result), self.run.journal
        journal.results([record])  # the sender reads it from there
        if journal.failure:  # a full disk: the sender hears it directly
            self.run.sender.result(record)
        if any(o.evidence for o in tally.attaching):  # the sender uploads them after the result
            tests = [(o.nodeid, o.evidence) for o in tally.attaching]
            journal.attachments(records_for(result, tests, journal.path.parent))
            self.copies.journal(tally.attaching)

    # -- session end -------------------------------------------------------------------------
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.phase == "aborted":
            return
        self.summary.notes.extend(self.notices.finish())
        for finished in self.tracker.unfinished():
            self._finished(finished.nodeid, finished.outcome)
        if self.tracker.not_case_ids:
            self.summary.notes.append(ignored_ids(self.tracker))
        for key, tally in self.agg.drain():
            self._submit(key, tally)
        self.copies.stop()  # from now on no test runs: nothing more to journal
        report, self.summary.upload_seconds = self.run.deliver()
        s, sender = self.summary, self.run.sender
        expected = self.shape.executes and self.phase == "expected" and bool(self.mapping)
        unmarked = expected and not s.mapped and not sender.started  # no run was created
        account(s, report, sender, self.run.plan, self.settings, unmarked=unmarked)
        if s.dry_run or not (s.pending or s.keep_journal or self.settings.journal_named):
            self.run.journal.discard()
        self.config.hook.pytest_bstm_session_finished(config=self.config, run=s.run, summary=s)
        if self.settings.strict and session.exitstatus == 0 and s.fail_strictly():
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None and session.exitstatus not in SUMMARY_EXIT_CODES:
            self.pytest_terminal_summary(tr)  # pytest writes no summary for this exit code

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.phase != "aborted":
            render(self.summary, terminalreporter, compat.verbosity(self.config))

    def shutdown(self) -> None:
        self.run.close()
        self.copies.discard()  # after the last teardown: those no journal line names
        self.copies.inbox.close()


def ignored_ids(tracker: OutcomeTracker) -> str:
    """The summary's line for ``record_property("id", value)`` values that are no case ID."""
    nodeid, value = tracker.not_case_ids[0]
    more = tracker.not_case_id_count - 1
    return (
        f"record_property('id', {value!r}) in {nodeid} is not a test case ID like TC-1: "
        "ignored" + (f" (and {more} more)" if more else "")
    )

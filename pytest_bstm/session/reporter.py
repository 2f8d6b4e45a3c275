"""The controller-side reporter: one object holding the session's reporting state.

Registered only in pytest's main process or the xdist controller, which never talk to the API:
it runs on pytest's main thread, owns the summary, calls every user hook and journals results;
the sender process (:mod:`pytest_bstm.delivery.process`) reads the journal and owns the network.

Nothing is written until a test executed (the truth rule): the run is prepared when the first
result is ready (or a test asks for the run with ``current_run``); under xdist, when the
controller knows that workers will run tests, so that workers can learn the run ID."""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

import pytest

from pytest_bstm import compat
from pytest_bstm.collect import xdist
from pytest_bstm.collect.configurations import Configurations
from pytest_bstm.collect.mapping import CaseRef, map_items, may_record, repeats
from pytest_bstm.config.settings import Settings
from pytest_bstm.delivery.attachment_records import records_for
from pytest_bstm.delivery.events import Event
from pytest_bstm.delivery.journal import Journal
from pytest_bstm.delivery.process import SenderProcess
from pytest_bstm.delivery.records import journal_record, test_record
from pytest_bstm.masking import Redactor
from pytest_bstm.results import ci
from pytest_bstm.results.aggregate import Aggregator, Tally
from pytest_bstm.results.model import Key, TestOutcome
from pytest_bstm.results.tracker import OutcomeTracker
from pytest_bstm.run import plan as plans
from pytest_bstm.session.copies import EvidenceCopies
from pytest_bstm.session.notices import NOTICES_KEY, Notices
from pytest_bstm.session.progress import wait_for_uploads
from pytest_bstm.session.summary import Summary, account, render

# the exit codes after which pytest itself calls pytest_terminal_summary (terminal.py)
SUMMARY_EXIT_CODES = {0, 1, 2, 4, 5, 6}
START_WAIT = 10.0  # seconds the xdist controller (or current_run) waits for the run at start


class Reporter:
    """Run lifecycle, result aggregation, uploads and the summary for one session."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.token = settings.token
        self.summary = Summary(project=settings.project, journal=settings.journal)
        self.mapping: dict[str, list[CaseRef]] = {}
        self.evidence = xdist.EvidenceInbox(config)  # bstm.attach/bstm.link, by test
        self.copies = ev = EvidenceCopies(self.evidence)  # of attached files: none left behind
        self.tracker = OutcomeTracker(
            lambda n: self.mapping.get(n, []),
            config.rootpath,
            ev.take,
            Redactor(settings.access_key or ""),
        )
        self.agg = Aggregator(settings.status_map, settings.configurations)
        self.build_url = ci.build_url(os.environ)
        own = not settings.journal_named  # a default journal is this session's alone
        self.journal = Journal.scratch() if settings.dry_run else Journal(settings.journal, own)
        self.sender = SenderProcess(settings, self.journal.path)
        self.notices = config.stash.get(NOTICES_KEY, None) or Notices(config)
        self.notices.reporter = self
        self.prepared = False  # the sender said the run is ready, or that it cannot be
        self.plan: plans.RunPlan | None = None
        self.run_cases: set[str] | None = None  # --bstm-select: the cases of the run
        self.configurations: Configurations | None = None  # bstm_configuration_param's table
        self.xdist_dir: str | None = None
        self.expected = self.started = self.aborted = False
        self.result_hook = True
        self.session: pytest.Session | None = None
        self.finishing = False  # from the session end on, problems go to the summary only
        self.gave_up = False  # a wait for the run timed out: later calls do not wait again
        self.crash_status: str | None = None  # serial, executing: journal each test's start
        modes = ("collectonly", "setuponly", "setupplan")  # pytest's runner skips the call
        self.executes = not any(getattr(config.option, n, False) for n in modes)

    @property
    def is_xdist_controller(self) -> bool:
        return self.config.pluginmanager.has_plugin("dsession")

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session
        for notice in self.settings.notices:
            self.notices.tell(notice)
        s = self.settings
        if (s.configuration_param or s.configuration_from_session) and self.executes:
            self.configurations = self._configurations()
        if self.is_xdist_controller:
            self.xdist_dir = tempfile.mkdtemp(prefix="pytest-bstm-")
            self.evidence.open(self.xdist_dir)
            if self.settings.select and self.executes:
                self._select()

    def _configurations(self) -> Configurations:
        """The sender reads the account's configurations before any write; when it cannot,
        only ``bstm_configuration_map`` applies and a line says so."""
        s = self.settings
        listing, unread = self.sender.configurations()
        if unread is not None:
            self.notices.tell(
                f"{unread}: unless bstm_configuration_map names every value of "
                f"'{s.configuration_param}', the tests report under the default configurations"
                if s.configuration_param
                else f"{unread}: only bstm_configuration_map names sessions' configurations"
            )
        own = s.configuration_from_session  # then the recorder names them as tests run
        table = Configurations(s.configuration_param, listing, s.configuration_map, unread, own)
        if self.evidence.recorder is not None:
            self.evidence.recorder.configurations = table
        return table

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        xdist.configure_node(self.config, node, self.xdist_dir, self.run_cases, self.configurations)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        try:
            self.mapping = map_items(config, items, self.configurations)
        except pytest.UsageError:
            self.aborted = True
            raise
        if self.settings.select and self.executes and (cases := self._select()) is not None:
            self.summary.deselected = xdist.deselect(config, items, self.mapping, cases)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not self.is_xdist_controller and not self.aborted:
            if self.executes and not self.settings.dry_run:  # a crashed test gets this status
                self.crash_status = self.agg.status_map.get("failed", "failed")
            self._expect(
                {i.nodeid: self.mapping.get(i.nodeid, []) for i in session.items},
                {i.nodeid for i in session.items if may_record(i)},
                repeats(session.items),
            )
            maps = self.summary.mapped or any(may_record(i) for i in session.items)
            if maps and self._will_run(session, bool(session.items)):
                self.sender.spawn()  # its start overlaps the first test; it writes nothing yet

    def _will_run(self, session: pytest.Session, items: bool) -> bool:
        """Tests will execute: pytest stops after a collection error, unless told not to."""
        keeps_on = self.config.getoption("continue_on_collection_errors", False)
        return items and self.executes and (keeps_on or not session.testsfailed)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if self.xdist_dir is None:
            return
        try:  # a worker's usage error ends the session as it ends a serial one
            xdist.raise_usage_error(self.xdist_dir, node.gateway.id)
        except pytest.UsageError:
            self.aborted = True
            raise
        if self.expected:
            return
        found = xdist.read_worker(self.xdist_dir, node.gateway.id)
        if found is None:
            return
        mapping, recording, self.summary.deselected, again = found
        self._expect(mapping, recording, again)
        if self.session is not None and self._will_run(self.session, bool(ids)):
            self._start()  # workers learn the run ID from their first test on

    def _expect(
        self, mapping: dict[str, list[CaseRef]], recording: set[str], again: dict[str, int]
    ) -> None:
        self.expected, self.mapping = True, mapping
        self.agg.expect(mapping, recording, again)
        self.summary.map_collected(mapping)
        self.result_hook = bool(self.config.hook.pytest_bstm_result.get_hookimpls())

    def _select(self) -> set[str] | None:
        """``--bstm-select``: the sender reads the run's cases (None: it could not)."""
        if self.run_cases is None:
            self.run_cases, why = self.sender.select()
            if why:
                self.notices.tell(why)
                self.summary.notes.append(why)
        return self.run_cases

    # -- the run -----------------------------------------------------------------------------
    def _plan(self, extra: list[Key] | None = None) -> bool:
        """Plan the run (hook on the main thread), journal it; False while it has no case."""
        if self.plan is None:
            mapped = {n: refs for n, refs in self.mapping.items() if refs}
            plan = plans.build(self.settings, mapped, self.token)
            plan = plans.with_pairs(plan, extra) if extra else plan
            if not plan.pairs and plan.mode == "create":
                return False
            if plan.payload:
                self.config.hook.pytest_bstm_run_payload(config=self.config, payload=plan.payload)
            self.plan = plan
            self.journal.plan(self.settings.url, plan.to_json(), self.build_url)
        return True

    def _start(self, extra: list[Key] | None = None) -> None:
        """A test executed: plan the run, let the sender process prepare it."""
        if not self._plan(extra):
            return
        assert self.plan is not None
        self.started = True
        # the plan is in the journal, unless the disk refused it (then it goes along)
        self.sender.start(self.plan.to_json() if self.journal.failure else None)
        if self.is_xdist_controller:
            self._wait_ready()
            if self.summary.run is None and self.xdist_dir is not None:
                xdist.write_run(self.xdist_dir, None)  # workers' current_run(): do not wait

    def current_run(self) -> str | None:
        """The run's ID, waiting (bounded) for it; None in a dry run (a rehearsal's run)."""
        if self.settings.dry_run:
            return None
        if not self.started and self.executes and self.expected:
            self._start()
        if self.summary.run is None and self.sender.started:
            self._wait_ready()
        return self.summary.run.run_id if self.summary.run is not None else None

    def _wait_ready(self) -> None:
        """Wait (bounded, once) until the sender says the run is ready or cannot be."""
        if not (self.prepared or self.gave_up):
            kinds = {"ready", "failed", "note", "unreached"}  # a service never reached: no wait
            found = self.sender.wait_for(kinds, START_WAIT, self._on)
            self.gave_up = not found

    def _on(self, event: Event) -> None:
        if event.kind == "progress":
            return
        if not self.finishing:  # the suite may run for a long time yet: tell it now
            self.notices.event(event.kind, event.message, self.plan)
        self.prepared = self.prepared or event.kind in ("ready", "failed", "note", "unreached")
        self.summary.hear(event)
        if event.kind == "ready" and event.ready is not None:
            if self.xdist_dir is not None:
                xdist.write_run(self.xdist_dir, event.ready.run.run_id)
            self.config.hook.pytest_bstm_run_ready(config=self.config, run=event.ready.run)
        elif event.kind in ("failed", "unreached") and self.xdist_dir and self.summary.run is None:
            xdist.write_run(self.xdist_dir, None)

    # -- results -----------------------------------------------------------------------------
    def pytest_runtest_logstart(self, nodeid: str) -> None:
        """Serial: journal each test as it starts (its pairs; none if unmapped) (journal.py)."""
        status = self.crash_status
        if status and ((keys := self.agg.covers(nodeid)) or self.plan) and self._plan():
            self.journal.running(nodeid, keys, status)
            refs = self.mapping.get(nodeid, [])  # a crash result gets its files, configuration
            self.copies.follow(self.journal, nodeid, refs, self.agg.keys)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.executes:
            return  # --setup-only/--setup-plan: reports, but no test executes
        if not self.started and self.is_xdist_controller:
            self._start()
        elif self.sender.spawned:
            for event in self.sender.poll():  # never blocks: at most one look per 50 ms
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
        if unsettled and outcome is not None and self._started(unsettled):
            # pairs waiting for later tests: journaled once, small, a kill loses none (journal.py)
            self.journal.test(test_record(outcome, self.agg.status(outcome), unsettled))
        for key, tally in ready:
            self._submit(key, tally)

    def _started(self, keys: list[Key]) -> bool:
        """The run is planned (with ``keys``, when the plan lacks them) and its start asked."""
        if not self.started or self.plan is None:
            self._start(extra=keys)
        return self.plan is not None

    def _submit(self, key: Key, tally: Tally) -> None:
        if not self._started([key]):
            return
        result = tally.result(key, self.token, self.build_url)
        self.summary.submitted.add(key)
        keep = self.result_hook and self.config.hook.pytest_bstm_result(
            config=self.config, result=result
        )
        if keep and False in keep:
            self.summary.dropped += 1
            return
        record = journal_record(result)
        self.journal.results([record])  # the sender reads it from there
        if self.journal.failure:  # a full disk: the sender hears it directly
            self.sender.result(record)
        if any(o.evidence for o in tally.attaching):  # the sender uploads them after the result
            tests = [(o.nodeid, o.evidence) for o in tally.attaching]
            self.journal.attachments(records_for(result, tests, self.journal.path.parent))
            self.copies.journal(tally.attaching)

    # -- session end -------------------------------------------------------------------------
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.aborted:
            return
        self.finishing = True
        self.summary.notes.extend(text for _, text in self.notices.lines)
        for finished in self.tracker.unfinished():
            self._finished(finished.nodeid, finished.outcome)
        for key, tally in self.agg.drain():
            self._submit(key, tally)
        self.copies.stop()  # from now on no test runs: nothing more to journal
        self.journal.ended()  # every unsettled pair is decided
        self.journal.sync()  # everything is on disk before the sender's last look
        report, self.summary.upload_seconds = wait_for_uploads(self.config, self.sender, self._on)
        unmarked = self.executes and self.expected and self.mapping and not self.summary.mapped
        if unmarked and not self.sender.started:
            self.summary.notes.append("no collected test has a tc marker: no run was created")
        account(self.summary, report, self.sender, self.plan, self.settings)
        if self.settings.dry_run or not (
            self.summary.pending or self.summary.keep_journal or self.settings.journal_named
        ):
            self.journal.discard()
        self.config.hook.pytest_bstm_session_finished(
            config=self.config, run=self.summary.run, summary=self.summary
        )
        if self.settings.strict and session.exitstatus == 0 and self.summary.fail_strictly():
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None and session.exitstatus not in SUMMARY_EXIT_CODES:
            self.pytest_terminal_summary(tr)  # pytest writes no summary for this exit code

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.aborted:
            render(self.summary, terminalreporter, compat.verbosity(self.config))

    def shutdown(self) -> None:
        self.sender.stop()
        self.journal.close()
        self.copies.discard()  # after the last teardown: those no journal line names
        self.evidence.close()
        if self.xdist_dir is not None:
            shutil.rmtree(self.xdist_dir, ignore_errors=True)

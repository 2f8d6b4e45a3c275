"""The controller-side reporter: one object holding the session's reporting state.

Registered only in pytest's main process or the xdist controller; workers never talk to the API.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_bstm.api import Client, RetryPolicy, errors
from pytest_bstm.collect.mapping import CaseRef, map_items, refs_from_properties
from pytest_bstm.config.settings import Settings
from pytest_bstm.delivery.journal import Journal
from pytest_bstm.delivery.uploader import TRANSIENT, Uploader, UploadStopped
from pytest_bstm.results import ci
from pytest_bstm.results.tracker import Aggregator, Key, OutcomeTracker, make_result
from pytest_bstm.run.cases import ChangeNotVisibleError
from pytest_bstm.run.lifecycle import Lifecycle, Plan, RunInfo
from pytest_bstm.run.prepare import RunPreparer
from pytest_bstm.session import dryrun
from pytest_bstm.session.summary import Summary, render

if TYPE_CHECKING:
    from pytest_bstm.emulator import Emulator

__all__ = ["Reporter", "RunInfo"]

START_RETRY = RetryPolicy(attempts=5, backoff=0.25, backoff_max=4.0, deadline=20.0)
UPLOAD_RETRY = RetryPolicy(attempts=4, backoff=0.5, backoff_max=10.0, deadline=30.0)
FAILURES = (errors.BstmError, ChangeNotVisibleError, UploadStopped)


def _hint(exc: BaseException) -> str:
    if isinstance(exc, errors.NotFoundError):
        return " (check the project and run IDs, and --bstm-url for the project's region)"
    return ""


class Reporter:
    """Run lifecycle, result aggregation, uploads and the summary for one session."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.token = uuid.uuid4().hex[:12]
        self.journal = Journal(settings.journal)
        self.journal_named = config.getoption("bstm_journal") or config.getini("bstm_journal")
        self.summary = Summary(project=settings.project, journal=settings.journal)
        self.tracker = OutcomeTracker()
        self.agg = Aggregator(settings.status_map, settings.configurations)
        self.build_url = ci.build_url(os.environ)
        self.emulator: Emulator | None = None
        self.client: Client | None = None
        self.lifecycle: Lifecycle | None = None
        self.uploader = Uploader(None, self.journal, settings.project)
        self.existing: tuple[RunInfo, set[Key]] | None = None
        self.prepared = False
        self.xdist_dir: str | None = None
        self.broken = False
        self.aborted = False
        self.preparer: RunPreparer | None = None
        self.collected: dict[str, list[CaseRef]] = {}
        self.ready_fired = False
        self.dry_results: collections.Counter[str] = collections.Counter()
        self.result_hook = True

    # -- session start -----------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        s = self.settings
        url, user, key = s.url, s.username, s.access_key
        if s.emulator:
            from pytest_bstm.emulator import Emulator  # noqa: PLC0415 - only when asked for
            from pytest_bstm.emulator.errors import ApiError  # noqa: PLC0415

            self.emulator = Emulator().start()
            url, user, key = self.emulator.url, self.emulator.username, self.emulator.access_key
            try:
                self.emulator.add_test_cases(s.project, [])
            except ApiError:
                self.emulator.add_project(s.project)
        if s.dry_run:
            return
        wait = self.uploader.wait
        self.client = Client(
            base_url=url, username=user, access_key=key, retry=START_RETRY, timeout=30.0, sleep=wait
        )
        self.uploader.client = Client(
            base_url=url,
            username=user,
            access_key=key,
            retry=UPLOAD_RETRY,
            timeout=30.0,
            sleep=wait,
        )
        self.uploader.start()
        self.lifecycle = Lifecycle(s, self.client, self.config, self.token)
        if self.is_xdist_controller:
            self.xdist_dir = tempfile.mkdtemp(prefix="pytest-bstm-")
            if s.mode != "create":
                self._resolve_existing()

    @property
    def is_xdist_controller(self) -> bool:
        return self.config.pluginmanager.has_plugin("dsession")

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist: hand workers the run ID and, for ``--bstm-select``, the run's cases."""
        node.workerinput["bstm_dir"] = self.xdist_dir
        if self.existing is not None:
            info, pairs = self.existing
            node.workerinput["bstm_run"] = info.run_id
            if self.settings.select:
                node.workerinput["bstm_run_cases"] = sorted({case for case, _ in pairs})

    def _fail(self, what: str, exc: BaseException) -> None:
        self.broken = True
        self.summary.error(f"{what}: {exc}{_hint(exc)}")

    def _resolve_existing(self) -> None:
        assert self.lifecycle is not None
        try:
            self.existing = self.lifecycle.existing()
        except TRANSIENT as exc:
            self.summary.notes.append(f"the service failed at session start: {exc}")
        except FAILURES as exc:
            self._fail(f"could not {self.settings.mode} run", exc)

    # -- collection --------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        try:
            mapping = self.collected = map_items(config, items)
        except pytest.UsageError:
            self.aborted = True
            raise
        if self.settings.mode != "create" and self.lifecycle is not None:
            self._resolve_existing()
        if self.settings.select and self.existing is not None:
            in_run = {case for case, _ in self.existing[1]}
            keep = [i for i in items if any(r.case_id in in_run for r in mapping[i.nodeid])]
            dropped = [i for i in items if i not in keep]
            if dropped:
                config.hook.pytest_deselected(items=dropped)
                items[:] = keep

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if not self.is_xdist_controller and not self.aborted:
            known = self.collected
            self.prepare(
                {
                    i.nodeid: known[i.nodeid]
                    if i.nodeid in known
                    else refs_from_properties(i.user_properties)
                    for i in session.items
                }
            )

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if self.prepared or self.xdist_dir is None:
            return
        path = Path(self.xdist_dir) / f"{node.gateway.id}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        self.prepare({n: [CaseRef.from_json(r) for r in refs] for n, refs in data.items()})

    def prepare(self, mapping: Mapping[str, list[CaseRef]]) -> None:
        """Bring the run in line with the collected tests, then start the uploader."""
        self.prepared = True
        self.summary.unmapped = [n for n, refs in mapping.items() if not refs]
        self.summary.mapped = {n: [r.case_id for r in refs] for n, refs in mapping.items() if refs}
        self.agg.expect(mapping)
        self.tracker.collected = mapping
        self.result_hook = bool(self.config.hook.pytest_bstm_result.get_hookimpls())
        plan = Plan.build({n: r for n, r in mapping.items() if r}, self.settings)
        if self.settings.dry_run:
            self.summary.dry_run_calls = dryrun.calls(self.settings, plan, self.token)
            return
        if not plan.pairs and self.settings.mode == "create":
            self.summary.notes.append("no collected test has a tc marker: no run was created")
            return
        if self.broken or self.lifecycle is None:
            return
        self.preparer = RunPreparer(
            self.settings,
            lifecycle=self.lifecycle,
            summary=self.summary,
            journal=self.journal,
            plan=plan,
            existing=self.existing,
            token=self.token,
            emulator=self.emulator,
            xdist_dir=self.xdist_dir,
        )
        if self.is_xdist_controller:
            # prepared before any test runs, so workers can read the run ID from the first test
            try:
                target = self.preparer.step()
            except TRANSIENT as exc:
                self.uploader.prepare_retried = str(exc)
            except FAILURES as exc:
                self._fail("could not prepare the run", exc)
                return
            else:
                if target is not None:
                    self.uploader.set_run(*target)
                return
        # tests start at once; the sender thread prepares the run (retrying while the service
        # fails) and only then sends the results queued meanwhile
        self.uploader.prepare_with(self.preparer.step)

    def _fire_ready(self) -> None:
        ready = self.preparer.ready if self.preparer is not None else None
        if ready is not None and not self.ready_fired:
            self.ready_fired = True
            self.config.hook.pytest_bstm_run_ready(config=self.config, run=ready)

    # -- results -----------------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not self.ready_fired:
            self._fire_ready()
        outcome = self.tracker.add(report)
        if outcome is not None and outcome.refs:
            for key, outcomes in self.agg.add(outcome):
                self._submit(key, outcomes)

    def _submit(self, key: Key, outcomes: list[Any]) -> None:
        result = make_result(key, outcomes, self.agg, self.token, self.build_url)
        keep = self.result_hook and self.config.hook.pytest_bstm_result(
            config=self.config, result=result
        )
        if keep and False in keep:
            self.summary.dropped += 1
            return
        if self.settings.dry_run:
            self.dry_results[result.status] += 1
            return
        self.uploader.submit(result)

    # -- session end -------------------------------------------------------------------------
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.aborted:
            return
        for outcome in self.tracker.unfinished():
            if outcome.refs:
                self.agg.add(outcome)
        for key, outcomes in self.agg.drain():
            self._submit(key, outcomes)
        tr = self.config.pluginmanager.get_plugin("terminalreporter")

        shown = [0.0]

        def progress(pending: int, elapsed: float) -> None:
            if tr is not None and time.monotonic() - shown[0] >= 2.0:
                shown[0] = time.monotonic()
                tr.write_line(f"bstm: uploading, {pending} results left ({elapsed:.0f}s)")

        if self.dry_results:
            counts = ", ".join(f"{n} {st}" for st, n in sorted(self.dry_results.items()))
            self.summary.dry_run_calls.append(f"results that would be uploaded: {counts}")
        self.uploader.finish(self.settings.drain_timeout, progress)
        self._fire_ready()
        self._account()
        run = self.summary.run
        if run is not None and self.settings.close:
            if self.summary.pending:
                self.summary.notes.append(
                    f"run {run.run_id} left open because results are waiting; close it after "
                    f"the upload with: bstm runs close {run.run_id}"
                )
            elif self.lifecycle is not None and not self.uploader.stats.stopped:
                try:
                    self.summary.run = self.lifecycle.close(run)
                    self.summary.closed = True
                except FAILURES as exc:
                    self.summary.error(f"could not close run {run.run_id}: {exc}")
        self._emulator_view()
        if not self.summary.pending and not self.journal_named:
            self.journal.discard()
        self.config.hook.pytest_bstm_session_finished(
            config=self.config, run=self.summary.run, summary=self.summary
        )
        if self.settings.strict and self.summary.failed and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _account(self) -> None:
        stats, s = self.uploader.stats, self.summary
        up = self.uploader
        if up.prepare_error:
            self.broken = True
            s.error(f"could not prepare the run: {up.prepare_error}{_hint(up.prepare_error)}")
        elif up.run_id is None and (up.prepare_retried or up.preparing):
            reason = up.prepare_retried or "no answer before the session ended"
            s.error(f"could not prepare the run: {reason}")
        elif up.prepare_retried:
            s.notes.append(f"the service failed at session start: {up.prepare_retried}")
        s.uploaded.update(stats.sent)
        s.pending = len(self.uploader.pending)
        for r in stats.unknown:
            s.unknown.setdefault(r.case_id, r.nodeids)
        s.rejected = [(r.case_id, r.nodeids, err) for r, err in stats.rejected]
        s.added += stats.added_pairs
        if stats.stopped:
            s.error(stats.stopped)
        if s.pending:
            for err in stats.errors[-3:]:
                s.error(f"upload failed: {err}")
            if not stats.errors and not stats.stopped and self.uploader.run_id is not None:
                s.error(
                    f"uploads did not finish within the drain timeout "
                    f"({self.settings.drain_timeout:g}s; raise --bstm-drain-timeout)"
                )

    def _emulator_view(self) -> None:
        emu, run = self.emulator, self.summary.run
        if emu is None or run is None:
            return
        state = emu.run(run.run_id)
        cases = emu.run_cases(run.run_id)
        results = emu.results(run.run_id)
        counts: dict[str, int] = {}
        for case in cases:
            status = str(case.get("latest_status") or "untested").lower()
            counts[status] = counts.get(status, 0) + 1
        detail = ", ".join(f"{n} {st}" for st, n in sorted(counts.items()))
        self.summary.run = dataclasses.replace(run, web_url=None)
        self.summary.emulator_view.append(
            f"{run.run_id} is {state.get('run_state')}: {len(cases)} cases ({detail}), "
            f"{len(results)} results stored"
        )

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.aborted:
            return
        render(self.summary, terminalreporter, self.config.get_verbosity())

    def shutdown(self) -> None:
        self.uploader.stop()
        self.journal.close()
        for client in (self.client, self.uploader.client):
            if client is not None:
                client.close()
        if self.emulator is not None:
            self.emulator.stop()
        if self.xdist_dir is not None:
            shutil.rmtree(self.xdist_dir, ignore_errors=True)

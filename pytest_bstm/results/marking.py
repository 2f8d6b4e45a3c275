"""BrowserStack sessions marked passed or failed from the test's real outcome, and the test
running now (the evidence of a module, class or session fixture goes to it).

:class:`RunningTest` is registered wherever tests run: two plain hooks per test.
:class:`SessionStatus` (a wrapper around each phase) is registered when the first BrowserStack
session is followed (:func:`pytest_bstm.results.automate.follow`), so that a suite that follows
none pays nothing for it.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from pytest_bstm.results.automate import MAX_REASON, SUBTEST_REPORTS, executor, note_once
from pytest_bstm.results.evidence import EvidenceRecorder
from pytest_bstm.results.paths import PathScrubber
from pytest_bstm.results.tracker import short_message


class RunningTest:
    """Registered wherever tests run: which test runs now (the evidence of a module, class or
    session fixture goes to it), in two plain hooks per test. The marking of sessions
    (:class:`SessionStatus`, a wrapper around each phase) is registered when the first
    BrowserStack session is followed, so a suite that follows none pays nothing for it."""

    STATUS = "bstm-session-status"

    def __init__(self, recorder: EvidenceRecorder, config: pytest.Config) -> None:
        self.recorder = recorder
        self.config = config
        recorder.on_follow = self.marking

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        self.recorder.running = item  # each attempt's start (pytest-rerunfailures)

    def pytest_runtest_logfinish(self) -> None:
        self.recorder.running = None

    def marking(self) -> None:
        """Mark each followed session at its test's end, from the test running now on."""
        manager = self.config.pluginmanager
        if manager.get_plugin(self.STATUS) is None:
            manager.register(SessionStatus(self.recorder, self.config.rootpath), self.STATUS)


class SessionStatus:
    """Marks each followed session passed or failed from the test's real outcome.

    The outcome is the worst of the test's reports: a failed setup, the call, a failed
    subtest (``subtests`` fixture; its reports come before the call's) and the teardown. The
    session is marked when the call's report (or a failed setup's) is made, so before fixture
    teardown quits the driver, also under pytest-rerunfailures (which runs an attempt's three
    phases before it logs a report, a failure it repeats logged as ``rerun``): each attempt's
    session gets that attempt's outcome. A teardown that then fails marks it failed again,
    which reaches the session when its driver outlives the test (a scoped driver).

    Registered by :class:`RunningTest` when the first session is followed, inside a test: when
    that is in a test's body, its subtests' reports (made inside the call) mark the session
    too, before the call's report marks it with the test's outcome."""

    def __init__(self, recorder: EvidenceRecorder, rootpath: Path) -> None:
        self.recorder = recorder
        self._failed: dict[str, str] = {}  # node ID -> the reason of its first failed subtest
        self._marked: dict[str, str] = {}  # node ID -> the status sent
        self._worst: dict[int, str] = {}  # a shared session that failed -> the first reason
        self._paths = PathScrubber(rootpath)  # no machine path in the reason
        self._calling = False  # inside a test's call: reports made now are its subtests'

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> None:
        """A scoped fixture's sessions are linked to each test that uses it and marked at
        its end (the fixture's setup links the first); once per test, reruns included."""
        recorder = self.recorder
        if self._worst:
            self._worst = {k: why for k, why in self._worst.items() if k in recorder.shared}
        if not recorder.shared:
            return
        uses = set(getattr(item, "fixturenames", ()))
        for target, url, label, fixture, chosen in list(recorder.shared.values()):
            if fixture not in uses:
                continue  # a test that does not use the scoped fixture (directly or not)
            recorder.link(item.nodeid, url, label)
            if chosen is not None:
                recorder.add(item.nodeid, {"kind": "configuration", "id": chosen})
            recorder.sessions.setdefault(item.nodeid, []).append(target)

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if not self._calling:  # each phase's, as it is made; a subtest's (made inside the
            # call) is taken when it is logged
            self._phase(report)
        return report

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, object, object]:
        self._calling = True
        try:
            return (yield)
        finally:
            self._calling = False

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        nodeid = report.nodeid
        if not self.recorder.sessions or nodeid not in self.recorder.sessions:
            return
        if type(report).__name__ in SUBTEST_REPORTS and report.failed:  # pytest-subtests'
            self._failed.setdefault(nodeid, short_message(report) or "")

    def _phase(self, report: pytest.TestReport) -> None:
        nodeid = report.nodeid
        if not self.recorder.sessions or nodeid not in self.recorder.sessions:
            return
        if report.when == "call" or (report.when == "setup" and report.failed):
            failed = report.failed or nodeid in self._failed
            if failed or not report.skipped:  # a skip leaves it as BrowserStack shows it
                mine = (short_message(report) or "") if report.failed else ""
                self._mark(nodeid, failed, self._failed.get(nodeid) or mine)
        elif report.when == "teardown":
            if report.failed and self._marked.get(nodeid) != "failed":
                self._mark(nodeid, True, short_message(report) or "")
            self.recorder.sessions.pop(nodeid, None)
            self._failed.pop(nodeid, None)
            self._marked.pop(nodeid, None)

    def _mark(self, nodeid: str, failed: bool, reason: str) -> None:
        self._marked[nodeid] = "failed" if failed else "passed"
        for target in self.recorder.sessions.get(nodeid, []):
            key, status, why = id(target), "failed" if failed else "passed", reason
            if key in self.recorder.shared:  # the worst outcome of the tests that used it
                if failed:
                    self._worst.setdefault(key, reason)
                elif key in self._worst:
                    status, why = "failed", self._worst[key]
            why = self._scrub(why)[:MAX_REASON] if status == "failed" else ""
            arguments = {"status": status, "reason": why}
            try:
                executor(target, "setSessionStatus", arguments)
            except Exception as exc:
                note_once(self.recorder, nodeid, f"BrowserStack session not marked {status}", exc)

    def _scrub(self, reason: str) -> str:
        """The reason as the description carries it: no machine path (rootdir-relative) and
        no access key or URL credentials; BrowserStack shows it on the session's page."""
        return self.recorder.redact(self._paths(reason) or "")

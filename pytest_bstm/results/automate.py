"""BrowserStack Automate and App Automate sessions: the session's public link in the result's
description, and the session marked passed or failed from the test's real outcome.

A Selenium or Appium driver (``execute_script``) or a Playwright page (``evaluate``) that runs on
BrowserStack answers the documented executor commands: ``getSessionDetails`` (a JSON text with
``public_url``, ``browser``, ``os``, ``device``...) and ``setSessionStatus`` with ``status`` and
``reason``. Anything else is left alone: a local driver answers ``None``, or fails with a
JavaScript error (the command is no valid script), and nothing is said. Any other failure of an
executor call is one short note for the whole session (the first; never a stack), never an
error of the test.

The status is set by :class:`SessionStatus` from the worst of the test's reports (failed
subtests included) right after the report of the test's call (or of a setup that failed), so
before fixture teardown quits the driver; a teardown that fails marks it failed again.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import Any

import pytest

from pytest_bstm.results.evidence import EvidenceRecorder
from pytest_bstm.results.paths import PathScrubber
from pytest_bstm.results.tracker import short_message

MAX_REASON = 255
MAX_SHOWN = 60  # characters of a detail's value in the description and the notes
MAX_URL = 2048  # a public link longer than that is no link
_SUBTEST_REPORTS = ("SubtestReport", "SubTestReport")


def executor(target: Any, action: str, arguments: dict[str, Any] | None = None) -> Any:
    """Send one ``browserstack_executor`` command to a driver or a page; its answer."""
    command = {"action": action, **({"arguments": arguments} if arguments else {})}
    text = "browserstack_executor: " + json.dumps(command)
    if hasattr(target, "execute_script"):  # Selenium, Appium
        return target.execute_script(text)
    if hasattr(target, "evaluate"):  # Playwright
        answer = target.evaluate("_ => {}", text)
        if inspect.isawaitable(answer):  # the async API: never awaited, so closed, not left
            if inspect.iscoroutine(answer):
                answer.close()
            raise TypeError("an async Playwright page is not followed (use the sync API)")
        return answer
    raise TypeError(f"{type(target).__name__} is neither a WebDriver nor a Playwright page")


def session_details(target: Any) -> dict[str, Any] | None:
    """The session's details, or None off BrowserStack (the answer is no JSON object with a
    ``public_url``). The answer is read as a JSON text or as an object (a driver may decode it),
    and the REST API's wrapping (``{"automation_session": {...}}``) is opened."""
    answer = executor(target, "getSessionDetails")
    if isinstance(answer, (bytes, bytearray)):
        answer = bytes(answer).decode("utf-8", "replace")
    if isinstance(answer, str):
        try:
            answer = json.loads(answer)  # linear in the answer's length
        except ValueError:
            return None
    if isinstance(answer, Mapping) and isinstance(answer.get("automation_session"), Mapping):
        answer = answer["automation_session"]
    if not isinstance(answer, Mapping) or not answer.get("public_url"):
        return None
    return {str(k): v for k, v in answer.items()}


def shown(value: Any) -> str:
    """A detail's value as a reader expects it: text on one line, ``120``, ``11.0``, ``true``,
    JSON for a list or an object (``["a", "b"]``); empty (so left out) for null, ``""``, ``[]``
    and ``{}``."""
    if value is None or (isinstance(value, (str, list, tuple, dict)) and not value):
        return ""
    if isinstance(value, str):
        return " ".join(value.split())
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):  # a circular list, a NaN the encoder refuses
        text = str(value)
    return " ".join(text.split())


def excerpt(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` when short, else its start and ``...``: what the description and notes show."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _public_url(details: Mapping[str, Any]) -> str | None:
    """The session's public link when it is an http(s) URL of a sane length."""
    url = details.get("public_url")
    if isinstance(url, str) and len(url) <= MAX_URL and url.startswith(("https://", "http://")):
        return url.strip()
    return None


def follow(
    recorder: EvidenceRecorder,
    nodeid: str,
    target: Any,
    scoped: pytest.FixtureRequest | None = None,
) -> dict[str, Any] | None:
    """Link the session to the test's results and mark it at the test's end; a session of a
    module, class or session fixture (``scoped``) is linked to and marked at each test that
    runs until the fixture ends (:class:`SessionStatus`)."""
    try:
        details = session_details(target)
    except Exception as exc:
        if not _off_browserstack(exc):
            _note_once(recorder, nodeid, "BrowserStack session not linked", exc)
        return None
    if details is None:
        return None  # not on BrowserStack: nothing happens
    url = _public_url(details)
    if url is None:
        found = excerpt(shown(details.get("public_url")))
        recorder.note(nodeid, f"BrowserStack session not linked: its public_url is {found}")
        return None
    what = [
        excerpt(v)
        for k in ("device", "browser", "browser_version", "os")
        if (v := shown(details.get(k)))
    ]
    attempt = _attempt(recorder.running)  # pytest-rerunfailures
    label = f"BrowserStack session{attempt}" + (f" ({', '.join(what)})" if what else "")
    recorder.link(nodeid, url, label)
    recorder.sessions.setdefault(nodeid, []).append(target)
    if recorder.on_follow is not None:  # the marking at each test's end, from now on
        recorder.on_follow()
    chosen = _configuration(recorder, nodeid, details)
    if scoped is not None:
        key = id(target)
        recorder.shared[key] = (target, url, label, scoped.fixturename, chosen)
        scoped.addfinalizer(lambda: recorder.shared.pop(key, None))
    return details


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
        if type(report).__name__ in _SUBTEST_REPORTS and report.failed:  # pytest-subtests'
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
                _note_once(self.recorder, nodeid, f"BrowserStack session not marked {status}", exc)

    def _scrub(self, reason: str) -> str:
        """The reason as the description carries it: no machine path (rootdir-relative) and
        no access key or URL credentials; BrowserStack shows it on the session's page."""
        return self.recorder.redact(self._paths(reason) or "")


def _configuration(recorder: EvidenceRecorder, nodeid: str, details: dict[str, Any]) -> int | None:
    """``bstm_configuration_from_session``: record the configuration the session's names
    choose; names that choose none are one note (once per process and names), and the test
    keeps the configuration it had."""
    table = recorder.configurations
    if table is None or not table.from_session:
        return None
    names = {k: shown(details.get(k)) for k in ("os", "os_version", "browser", "device")}
    chosen, tried = table.for_session(names)
    if chosen is not None:
        recorder.add(nodeid, {"kind": "configuration", "id": chosen})
    elif tried and tuple(tried) not in recorder.unmatched:
        recorder.unmatched.add(tuple(tried))
        listed = ", ".join(repr(excerpt(n)) for n in tried)
        known = "unread" if table.listing is None else table.known()
        recorder.note(
            nodeid,
            f"BrowserStack session names no TM configuration ({listed}; the account's: "
            f"{known}): the results keep their configuration",
        )
    return chosen


def _attempt(item: pytest.Item | None) -> str:
    """``, attempt 2`` of a test pytest-rerunfailures may run again (``--reruns``, a ``flaky``
    marker); "" for any other test."""
    if item is None:
        return ""
    manager = item.config.pluginmanager
    plugin = manager.get_plugin("rerunfailures") or manager.get_plugin("pytest_rerunfailures")
    count = getattr(plugin, "get_reruns_count", None)  # it ran first: its marker is sound
    if not (callable(count) and count(item)):
        return ""
    return f", attempt {getattr(item, 'execution_count', 1)}"


def _off_browserstack(exc: BaseException) -> bool:
    """A local browser ran the command as JavaScript and failed (Selenium's
    ``JavascriptException``, a ``SyntaxError``): the driver is not on BrowserStack."""
    names = {kind.__name__ for kind in type(exc).__mro__}
    text = str(exc).lower()
    return "JavascriptException" in names or "syntaxerror" in text or "javascript error" in text


def _note_once(recorder: EvidenceRecorder, nodeid: str, what: str, exc: BaseException) -> None:
    """The first failure of an executor call in the process, as one short line; later ones
    are not repeated (the same cause, mostly: one grid, one driver fixture)."""
    if recorder.executor_failed:
        return
    recorder.executor_failed = True
    lines = str(exc).strip().splitlines()
    first = lines[0] if lines else ""
    recorder.note(nodeid, f"{what}: {type(exc).__name__}: {first}"[:200])

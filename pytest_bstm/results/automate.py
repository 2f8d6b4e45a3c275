"""BrowserStack Automate and App Automate sessions: the session's public link in the result's
description, and the session marked passed or failed from the test's real outcome.

A Selenium or Appium driver (``execute_script``) or a Playwright page (``evaluate``) that runs on
BrowserStack answers the documented executor commands: ``getSessionDetails`` (a JSON text with
``public_url``, ``browser``, ``os``, ``device``...) and ``setSessionStatus`` with ``status`` and
``reason``. Anything else is left alone: a local driver answers ``None``, or fails with a
JavaScript error (the command is no valid script), and nothing is said. Any other failure of an
executor call is one short note for the whole session (the first; never a stack), never an
error of the test.

The status is set by :class:`~pytest_bstm.results.marking.SessionStatus` from the worst of the
test's reports (failed subtests included) right after the report of the test's call (or of a
setup that failed), so before fixture teardown quits the driver; a teardown that fails marks it
failed again.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from typing import Any

import pytest

from pytest_bstm.results.evidence import EvidenceRecorder

MAX_REASON = 255
MAX_SHOWN = 60  # characters of a detail's value in the description and the notes
MAX_URL = 2048  # a public link longer than that is no link
SUBTEST_REPORTS = ("SubtestReport", "SubTestReport")


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
    runs until the fixture ends (:mod:`pytest_bstm.results.marking`)."""
    try:
        details = session_details(target)
    except Exception as exc:
        if not _off_browserstack(exc):
            note_once(recorder, nodeid, "BrowserStack session not linked", exc)
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


def note_once(recorder: EvidenceRecorder, nodeid: str, what: str, exc: BaseException) -> None:
    """The first failure of an executor call in the process, as one short line; later ones
    are not repeated (the same cause, mostly: one grid, one driver fixture)."""
    if recorder.executor_failed:
        return
    recorder.executor_failed = True
    lines = str(exc).strip().splitlines()
    first = lines[0] if lines else ""
    recorder.note(nodeid, f"{what}: {type(exc).__name__}: {first}"[:200])

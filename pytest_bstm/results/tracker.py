"""Reports -> one outcome per test -> one result per (case, configuration), worst outcome wins."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_bstm.collect.mapping import RECORD_PROPERTY, CaseRef, refs_from_properties

RANK = {"failed": 6, "blocked": 4, "retest": 3, "skipped": 2, "passed": 1}
CUSTOM_RANK = 5  # a custom status ranks below failed and above blocked
MAX_DESCRIPTION = 6000
MAX_EXCERPT_LINES = 12
MAX_EXCERPT_CHARS = 1200
MAX_LISTED_TESTS = 40

Key = tuple[str, "int | None"]


@dataclass
class TestOutcome:
    """The final outcome of one test (the last attempt of a rerun)."""

    nodeid: str
    outcome: str
    duration: float
    refs: list[CaseRef]
    message: str | None = None
    excerpt: str | None = None
    earlier_attempts: list[str] = field(default_factory=list)


@dataclass
class Result:
    """One result to upload; ``pytest_bstm_result`` may edit it."""

    case_id: str
    configuration_id: int | None
    status: str
    description: str
    nodeids: list[str]
    duration_ms: int = 0
    issues: list[str] | None = None
    custom_fields: dict[str, Any] | None = None
    key: str = ""


def rank(status: str) -> int:
    return RANK.get(status, CUSTOM_RANK)


def result_key(token: str, case_id: str, configuration_id: int | None) -> str:
    raw = f"{token}|{case_id}|{configuration_id}".encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def _short_message(report: pytest.TestReport) -> str | None:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    crash = getattr(longrepr, "reprcrash", None)
    message = getattr(crash, "message", None)
    if isinstance(message, str):
        return message.strip().splitlines()[0] if message.strip() else None
    text = report.longreprtext.strip()
    return text.splitlines()[-1] if text else None


def _excerpt(report: pytest.TestReport) -> str | None:
    if not report.failed:
        return None
    lines = report.longreprtext.strip().splitlines()[-MAX_EXCERPT_LINES:]
    text = "\n".join(lines)
    return text[-MAX_EXCERPT_CHARS:] if text else None


class _TestState:
    def __init__(self) -> None:
        self.phases: dict[str, pytest.TestReport] = {}
        self.properties: list[tuple[str, object]] = []
        self.earlier: list[str] = []
        self.rerun_pending = False


class OutcomeTracker:
    """Follows the reports of each test and yields its outcome when its last attempt ends."""

    def __init__(self) -> None:
        self._tests: dict[str, _TestState] = {}
        self.collected: Mapping[str, list[CaseRef]] = {}

    def _refs(self, nodeid: str, state: _TestState) -> list[CaseRef]:
        """The collection's mapping, unless the test recorded an ID with record_property."""
        refs = self.collected.get(nodeid)
        if refs is None or any(name == RECORD_PROPERTY for name, _ in state.properties):
            refs = refs_from_properties(state.properties)
        return refs

    def add(self, report: pytest.TestReport) -> TestOutcome | None:
        state = self._tests.get(report.nodeid)
        if state is None:
            state = self._tests[report.nodeid] = _TestState()
        state.properties = report.user_properties  # parsed once, when the test ends
        if str(report.outcome) == "rerun":  # pytest-rerunfailures
            state.rerun_pending = True
            message = _short_message(report) or report.when
            state.earlier.append(
                f"attempt {len(state.earlier) + 1} failed in {report.when}: {message}"
            )
        elif not state.rerun_pending:
            state.phases[report.when] = report
        if report.when != "teardown":
            return None
        if state.rerun_pending:
            state.phases.clear()
            state.rerun_pending = False
            return None
        del self._tests[report.nodeid]
        return _finish(report.nodeid, state, self._refs(report.nodeid, state))

    def unfinished(self) -> list[TestOutcome]:
        """Outcomes of tests whose teardown never arrived (crashed worker, interrupted session)."""
        out = [
            _finish(nodeid, state, self._refs(nodeid, state))
            for nodeid, state in self._tests.items()
            if state.phases
        ]
        self._tests.clear()
        return out


def _finish(nodeid: str, state: _TestState, refs: list[CaseRef]) -> TestOutcome:
    setup, call, teardown = (state.phases.get(w) for w in ("setup", "call", "teardown"))
    culprit: pytest.TestReport | None = None
    outcome = "passed"
    if setup is not None and setup.failed:
        outcome, culprit = "setup_error", setup
    elif setup is not None and setup.skipped:
        outcome, culprit = ("xfailed" if hasattr(setup, "wasxfail") else "skipped"), setup
    elif call is not None:
        if call.failed:
            outcome, culprit = "failed", call
        elif call.skipped:
            outcome, culprit = ("xfailed" if hasattr(call, "wasxfail") else "skipped"), call
        elif hasattr(call, "wasxfail"):
            outcome = "xpassed"
    if teardown is not None and teardown.failed and outcome != "failed":
        outcome, culprit = "teardown_error", teardown
    duration = sum(r.duration for r in state.phases.values())
    message = _short_message(culprit) if culprit is not None else None
    if culprit is not None and hasattr(culprit, "wasxfail") and not message:
        message = f"xfail: {culprit.wasxfail}"
    return TestOutcome(
        nodeid=nodeid,
        outcome=outcome,
        duration=duration,
        refs=refs,
        message=message,
        excerpt=_excerpt(culprit) if culprit is not None else None,
        earlier_attempts=state.earlier,
    )


def keys_for(refs: Iterable[CaseRef], default_configurations: tuple[int, ...]) -> list[Key]:
    """The (case, configuration) pairs a test's references stand for."""
    keys: list[Key] = []
    for ref in refs:
        configurations = ref.configurations or default_configurations
        if configurations:
            keys.extend((ref.case_id, c) for c in configurations)
        else:
            keys.append((ref.case_id, None))
    return list(dict.fromkeys(keys))


class Aggregator:
    """Collects test outcomes per (case, configuration) until every covering test has ended."""

    def __init__(self, status_map: Mapping[str, str], default_configurations: tuple[int, ...]):
        self.status_map = status_map
        self.default_configurations = default_configurations
        self._expected: dict[Key, int] = {}
        self._got: dict[Key, list[TestOutcome]] = {}

    def expect(self, mapping: Mapping[str, list[CaseRef]]) -> None:
        for refs in mapping.values():
            for key in keys_for(refs, self.default_configurations):
                self._expected[key] = self._expected.get(key, 0) + 1

    def add(self, outcome: TestOutcome) -> list[tuple[Key, list[TestOutcome]]]:
        """Record ``outcome``; return the keys whose every covering test has now ended."""
        ready = []
        for key in keys_for(outcome.refs, self.default_configurations):
            got = self._got.setdefault(key, [])
            got.append(outcome)
            if len(got) >= self._expected.get(key, 0) > 0:
                ready.append((key, self._got.pop(key)))
                self._expected.pop(key, None)
        return ready

    def drain(self) -> list[tuple[Key, list[TestOutcome]]]:
        """Everything still waiting (some covering tests did not run): settle with what ran."""
        out = list(self._got.items())
        self._got.clear()
        return out

    def status(self, outcome: TestOutcome) -> str:
        return self.status_map.get(outcome.outcome, outcome.outcome)


def describe(outcomes: list[TestOutcome], statuses: list[str], build_url: str | None) -> str:
    """A bounded, readable description: each contributing test with its outcome."""
    order = sorted(range(len(outcomes)), key=lambda i: -rank(statuses[i]))
    lines: list[str] = []
    for i in order[:MAX_LISTED_TESTS]:
        o = outcomes[i]
        label = o.outcome.replace("_", " ").upper()
        lines.append(f"{label} {o.nodeid} ({o.duration:.2f}s)")
        if o.message:
            lines.append(f"  {o.message[:300]}")
        if o.excerpt:
            lines.extend("  | " + line for line in o.excerpt.splitlines())
        lines.extend(f"  rerun: {a[:200]}" for a in o.earlier_attempts)
    hidden = len(order) - MAX_LISTED_TESTS
    if hidden > 0:
        lines.append(f"... and {hidden} more tests")
    if build_url:
        lines.append(f"Build: {build_url}")
    text = "\n".join(lines)
    if len(text) > MAX_DESCRIPTION:
        text = text[: MAX_DESCRIPTION - 20] + "\n... (truncated)"
    return text


def make_result(
    key: Key, outcomes: list[TestOutcome], agg: Aggregator, token: str, build_url: str | None
) -> Result:
    statuses = [agg.status(o) for o in outcomes]
    worst = max(statuses, key=rank)
    case_id, configuration_id = key
    rkey = result_key(token, case_id, configuration_id)
    description = describe(outcomes, statuses, build_url) + f"\n[pytest-bstm {rkey}]"
    return Result(
        case_id=case_id,
        configuration_id=configuration_id,
        status=worst,
        description=description,
        nodeids=[o.nodeid for o in outcomes],
        duration_ms=int(sum(o.duration for o in outcomes) * 1000),
        key=rkey,
    )

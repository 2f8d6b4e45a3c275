"""Reports -> one outcome per test that executed.

The truth rule (DESIGN.md, Results): a test has an outcome only if a phase of it actually
executed: its call phase ran, or its setup failed or skipped it. A test whose setup passed and
whose call never came (``--setup-only``, ``--setup-plan``, an interrupt, ``pytest.exit()``) has
no outcome. Every report counts: subtest reports (a failed subtest fails the test), the report
xdist makes for a test that crashed its worker (``when == "???"``), the final attempt of a
rerun (earlier attempts are listed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_bstm.collect import bdd
from pytest_bstm.collect.mapping import RECORD_PROPERTY, CaseRef, refs_from_properties
from pytest_bstm.results.evidence import session_refs
from pytest_bstm.results.model import TestOutcome
from pytest_bstm.results.paths import PathScrubber
from pytest_bstm.results.reports import excerpt as _excerpt
from pytest_bstm.results.reports import short_message
from pytest_bstm.results.reports import subtest_label as _subtest_label
from pytest_bstm.vocabulary import CASE_ID_RE

__all__ = ["Finished", "OutcomeTracker", "short_message"]

PHASES = ("setup", "call", "teardown")


def _worker(report: pytest.TestReport) -> str:
    """The xdist worker that sent ``report`` (xdist sets ``report.node``); "" when serial."""
    gateway = getattr(getattr(report, "node", None), "gateway", None)
    return str(getattr(gateway, "id", ""))


class _TestState:
    """The reports of one test so far (one per test that is running: kept small, so the
    lists are made only when a test has something to put in them)."""

    __slots__ = (
        "earlier",
        "phases",
        "properties",
        "rerun_pending",
        "subtests_failed",
        "subtests_skipped",
    )

    def __init__(self) -> None:
        self.phases: dict[str, pytest.TestReport] = {}
        self.properties: Sequence[tuple[str, object]] = ()
        self.earlier: Sequence[str] = ()
        self.subtests_failed: Sequence[tuple[str, pytest.TestReport]] = ()
        self.subtests_skipped: Sequence[str] = ()
        self.rerun_pending = False

    @property
    def plain(self) -> bool:
        """Nothing but its phases: no subtest, no earlier attempt, no recorded property."""
        return not (
            self.earlier or self.subtests_failed or self.subtests_skipped or self.properties
        )


@dataclass(frozen=True)
class Finished:
    """A test reached its end; ``outcome`` is None when no phase of it executed."""

    nodeid: str
    outcome: TestOutcome | None


class OutcomeTracker:
    """Follows the reports of each test; ``add`` says when a test has finished."""

    def __init__(
        self,
        refs_of: Callable[[str], list[CaseRef]],
        rootpath: Path | None = None,
        evidence_of: Callable[[str], list[dict[str, Any]]] = lambda nodeid: [],
        mask: Callable[[str], str] = str,
    ) -> None:
        self._refs_of = refs_of
        self._evidence_of = evidence_of  # what bstm.attach/bstm.link recorded (evidence.py)
        # no machine path in what is sent: paths relative to the rootdir
        self._paths = PathScrubber(rootpath or Path.cwd())
        self._mask = mask  # the access key, should a test print it (masking.Redactor)
        # (xdist worker, node ID): under --dist each, workers run the same test at once
        self._tests: dict[tuple[str, str], _TestState] = {}
        # record_property("id", value) with a value that is no case ID: (node ID, value), the
        # first few, and how many in all (the summary says they were ignored)
        self.not_case_ids: list[tuple[str, object]] = []
        self.not_case_id_count = 0

    def add(self, report: pytest.TestReport) -> Finished | None:
        at = (_worker(report), report.nodeid)
        state = self._tests.get(at)
        if state is None:
            state = self._tests[at] = _TestState()
        if report.user_properties:
            state.properties = list(report.user_properties)
        # pytest-rerunfailures ends an attempt it repeats with a "rerun" report. Releases from
        # 16.6.1 on then log that attempt's teardown; earlier ones start the next attempt at
        # once. So a teardown right after a rerun report belongs to the repeated attempt.
        if state.rerun_pending:
            state.rerun_pending = False
            if report.when == "teardown":
                return None
        label = _subtest_label(report)
        if label is not None:
            if report.failed:
                state.subtests_failed = [*state.subtests_failed, (label, report)]
            elif report.skipped:
                state.subtests_skipped = [*state.subtests_skipped, label]
            return None
        when = report.when
        if str(report.outcome) == "rerun":  # pytest-rerunfailures: an earlier attempt
            message = short_message(report) or when
            attempt = f"attempt {len(state.earlier) + 1} failed in {when}: {message}"
            state.earlier = [*state.earlier, attempt]
            state.phases.clear()
            state.subtests_failed = state.subtests_skipped = ()
            state.rerun_pending = when != "teardown"
            return None
        state.phases[when] = report
        if when in ("setup", "call"):
            return None
        # teardown, or the report xdist makes for a test that crashed its worker
        del self._tests[at]
        return Finished(report.nodeid, self._finish(report.nodeid, state))

    def _scrub(self, text: str | None) -> str | None:
        """No machine path and no access key in what is sent."""
        return self._mask(self._paths(text) or "") if text else text

    def unfinished(self) -> list[Finished]:
        """Tests whose end never came (interrupted session, killed worker without a report)."""
        out = [
            Finished(nodeid, self._finish(nodeid, state))
            for (_, nodeid), state in self._tests.items()
        ]
        self._tests.clear()
        return out

    def _refs(self, nodeid: str, state: _TestState) -> list[CaseRef]:
        """The collection's mapping plus any ID the test recorded with record_property."""
        refs = list(self._refs_of(nodeid))
        if not state.properties:
            return refs
        for name, value in state.properties:
            if name == RECORD_PROPERTY and not (
                isinstance(value, str) and CASE_ID_RE.fullmatch(value)
            ):
                self.not_case_id_count += 1
                if len(self.not_case_ids) < 3:
                    self.not_case_ids.append((nodeid, value))
        known = {r.case_id for r in refs}
        refs += [r for r in refs_from_properties(state.properties) if r.case_id not in known]
        return refs

    def _finish(self, nodeid: str, state: _TestState) -> TestOutcome | None:
        evidence = self._evidence_of(nodeid)
        if not evidence and state.plain and (duration := _passed(state.phases)) is not None:
            # the usual test: passed in every phase, nothing recorded: nothing to scrub
            steps = bdd.steps(state.phases["call"], None)  # a pytest-bdd scenario's
            return TestOutcome(
                nodeid=nodeid,
                outcome="passed",
                duration=duration,
                refs=self._refs_of(nodeid),
                steps=[self._scrub(s) or "" for s in steps] if steps else [],
            )
        outcome, culprit = _judge(state.phases)
        if outcome is None:
            return None
        subtests = (
            [
                f"SUBFAILED {label}: {short_message(r) or 'failed'}"
                for label, r in state.subtests_failed
            ]
            + [f"SUBSKIPPED {label}" for label in state.subtests_skipped]
            if state.subtests_failed or state.subtests_skipped
            else []
        )
        if state.subtests_failed and outcome in ("passed", "xpassed"):
            outcome, culprit = "failed", state.subtests_failed[0][1]
        duration = sum(r.duration for r in state.phases.values())
        message = short_message(culprit) if culprit is not None else None
        if culprit is not None and hasattr(culprit, "wasxfail"):
            reason = f"xfail: {culprit.wasxfail}".rstrip(": ")
            message = f"{reason} ({message})" if message else reason
        if state.subtests_failed:
            message = f"{len(state.subtests_failed)} failed subtest(s): " + ", ".join(
                label for label, _ in state.subtests_failed
            )
        # a failure in another phase (setup error, then teardown error) is named too
        others = [r for r in state.phases.values() if r.failed and r is not culprit]
        if others:
            message = f"{message or outcome}; " + "; ".join(
                f"{r.when}: {short_message(r) or 'failed'}" for r in others
            )
        if outcome == "passed" and state.earlier:
            outcome = "rerun_passed"  # its own line of the status map (default: passed)
        scrub = self._scrub
        return TestOutcome(
            nodeid=nodeid,
            outcome=outcome,
            duration=duration,
            refs=session_refs(self._refs(nodeid, state), evidence),
            message=scrub(message),
            excerpt=scrub(_excerpt(culprit)) if culprit is not None else None,
            earlier_attempts=[scrub(a) or "" for a in state.earlier],
            subtests=[scrub(s) or "" for s in subtests],
            evidence=evidence,
            steps=[scrub(s) or "" for s in bdd.steps(state.phases.get("call"), message)],
        )


def _passed(phases: dict[str, pytest.TestReport]) -> float | None:
    """The duration of a test that passed its setup, call and teardown (not an xpass);
    None for any other."""
    if len(phases) != 3:
        return None
    setup, call, teardown = phases.get("setup"), phases.get("call"), phases.get("teardown")
    if setup is None or call is None or teardown is None:
        return None
    if setup.outcome != "passed" or call.outcome != "passed" or teardown.outcome != "passed":
        return None
    if hasattr(call, "wasxfail"):
        return None
    return setup.duration + call.duration + teardown.duration


def _judge(
    phases: dict[str, pytest.TestReport],
) -> tuple[str | None, pytest.TestReport | None]:
    """(outcome, the report that decided it); outcome None when nothing executed."""
    setup, call, teardown = phases.get("setup"), phases.get("call"), phases.get("teardown")
    crashed = None
    if len(phases) > (setup is not None) + (call is not None) + (teardown is not None):
        crashed = next((r for w, r in phases.items() if w not in PHASES and r.failed), None)
    if setup is not None and setup.failed:
        outcome, culprit = "setup_error", setup
    elif setup is not None and setup.skipped:
        outcome, culprit = ("xfailed" if hasattr(setup, "wasxfail") else "skipped"), setup
    elif crashed is not None:
        return "failed", crashed
    elif call is None:
        return None, None  # setup passed and the call never ran: the test did not execute
    elif call.failed:
        outcome, culprit = "failed", call
    elif call.skipped:
        outcome, culprit = ("xfailed" if hasattr(call, "wasxfail") else "skipped"), call
    else:
        outcome, culprit = ("xpassed" if hasattr(call, "wasxfail") else "passed"), None
    if teardown is not None and teardown.failed and outcome != "failed":
        outcome, culprit = "teardown_error", teardown
    return outcome, culprit

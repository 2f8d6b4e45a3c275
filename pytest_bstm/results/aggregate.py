"""Test outcomes -> one result per (case, configuration): worst wins, status map, description.

A key's result is released once every test that covers it has finished. Tests that request the
``record_property`` fixture may add a case at run time (``record_property("id", "TC-3")``), so
while any of them is still to finish, released results are held back: that is how one case
reached both by a marker and by ``record_property`` still gets exactly one result (our choice;
the alternative, a second result, would break "one result per case per session").
"""

from __future__ import annotations

from collections.abc import Mapping

from pytest_bstm.collect.mapping import CaseRef
from pytest_bstm.results.model import Key, Result, TestOutcome, keys_for, rank, result_key

MAX_DESCRIPTION = 6000
MAX_LISTED_TESTS = 40

Ready = list[tuple[Key, list[TestOutcome]]]


class Aggregator:
    """Collects outcomes per key until every covering test has ended."""

    def __init__(self, status_map: Mapping[str, str], default_configurations: tuple[int, ...]):
        self.status_map = status_map
        self.default_configurations = default_configurations
        self._keys_of: dict[str, list[Key]] = {}
        self._left: dict[str, int] = {}  # node ID -> how many of its executions are to finish
        self._waiting: dict[Key, int] = {}  # key -> how many covering tests are to finish
        self._got: dict[Key, list[TestOutcome]] = {}
        self._recording: set[str] = set()

    def expect(
        self,
        mapping: Mapping[str, list[CaseRef]],
        recording: set[str],
        repeats: Mapping[str, int] | None = None,
    ) -> None:
        """``mapping``: every test to run -> its refs; ``recording``: tests that may add a
        case at run time; ``repeats``: node IDs that run more than once (``--keep-duplicates``,
        xdist's ``--dist each``) -> how often. Adds to what earlier calls expected."""
        waiting = self._waiting
        for nodeid, refs in mapping.items():
            times = repeats.get(nodeid, 1) if repeats else 1
            keys = self._keys_of[nodeid] = self.keys(refs)
            self._left[nodeid] = self._left.get(nodeid, 0) + times
            for key in keys:
                waiting[key] = waiting.get(key, 0) + times
        self._recording |= recording

    def covers(self, nodeid: str) -> list[Key]:
        """The pairs ``nodeid``'s mapping stands for (empty once it finished, or unmapped)."""
        return self._keys_of.get(nodeid, [])

    def keys(self, refs: list[CaseRef]) -> list[Key]:
        return keys_for(refs, self.default_configurations)

    def add(self, nodeid: str, outcome: TestOutcome | None) -> tuple[Ready, Ready]:
        """Record that ``nodeid`` finished (``outcome`` None: it did not execute); return the
        keys whose every covering test has now ended, and those held back: released ones while
        a test that may record a case is still to run, and what ran so far of the keys ``nodeid``
        covers that still wait for other tests (the journal keeps these meanwhile)."""
        left = self._left.pop(nodeid, 0) - 1
        if left > 0:  # the same node ID runs again
            self._left[nodeid] = left
            touched = list(self._keys_of.get(nodeid, []))
        else:
            touched = self._keys_of.pop(nodeid, [])
        for key in touched:
            if self._waiting.get(key):
                self._waiting[key] -= 1
        if outcome is not None:
            for key in self.keys(outcome.refs):
                self._got.setdefault(key, []).append(outcome)
                touched.append(key)
        recording = bool(self._recording)
        if left <= 0:
            self._recording.discard(nodeid)
        candidates = list(self._got) if recording and not self._recording else touched
        done = [k for k in dict.fromkeys(candidates) if k in self._got and not self._waiting.get(k)]
        # what ran of a key still waiting: journaled too, a crash before the rest must not lose it
        partial = [k for k in dict.fromkeys(touched) if k in self._got and self._waiting.get(k)]
        if self._recording:
            return [], [(key, list(self._got[key])) for key in [*done, *partial]]
        for key in done:
            self._waiting.pop(key, None)
        return [(key, self._got.pop(key)) for key in done], [
            (k, list(self._got[k])) for k in partial
        ]

    def drain(self) -> Ready:
        """Everything still waiting (some covering tests did not run): settle with what ran."""
        out = list(self._got.items())
        self._got.clear()
        return out

    def status(self, outcome: TestOutcome) -> str:
        return self.status_map.get(outcome.outcome, outcome.outcome)


def describe(outcomes: list[TestOutcome], statuses: list[str], build_url: str | None) -> str:
    """A bounded, readable description: each contributing test with its outcome."""
    if len(outcomes) == 1:
        order = [0]
    else:
        order = sorted(range(len(outcomes)), key=lambda i: -rank(statuses[i]))
    lines: list[str] = []
    for i in order[:MAX_LISTED_TESTS]:
        o = outcomes[i]
        label = o.outcome.replace("_", " ").upper()
        lines.append(f"{label} {o.nodeid} ({o.duration:.2f}s)")
        if o.message:
            lines.append(f"  {o.message[:300]}")
        lines.extend(f"  {s[:300]}" for s in o.subtests[:20])
        lines.extend(f"  {s[:400]}" for s in o.steps)
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
    """The one result of ``key``: the worst status of its outcomes, every test described."""
    statuses = [agg.status(o) for o in outcomes]
    worst = statuses[0] if len(statuses) == 1 else max(statuses, key=rank)
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

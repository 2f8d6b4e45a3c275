"""Test outcomes -> one result per (case, configuration): worst wins, status map, description.

Each test's outcome is folded into the running :class:`Tally` of every pair it covers, once:
the worst status, the count of tests by outcome, their node IDs and total duration, and a
bounded list of the tests worth naming (the worst first). The work and memory per test are
bounded by a constant however many tests cover one case (our choice: a description names at
most :data:`MAX_LISTED_TESTS` tests, so only those are kept).

A key's result is released once every test that covers it has finished. Tests that request the
``record_property`` fixture may add a case at run time (``record_property("id", "TC-3")``), so
while any of them is still to finish, released results are held back: that is how one case
reached both by a marker and by ``record_property`` still gets exactly one result (our choice;
the alternative, a second result, would break "one result per case per session").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from pytest_bstm.collect.refs import CaseRef
from pytest_bstm.results.model import (
    MAX_ATTEMPTS,
    Key,
    Result,
    TestOutcome,
    keys_for,
    rank,
    result_key,
)

MAX_DESCRIPTION = 6000
MAX_LISTED_TESTS = 40


class Tally:
    """The running aggregate of one (case, configuration): ``add`` costs the same for the
    first test and the fifty-thousandth."""

    __slots__ = ("attaching", "counts", "duration", "named", "nodeids", "rank", "status")

    def __init__(self) -> None:
        self.status = ""
        self.rank = 0
        self.nodeids: list[str] = []
        self.duration = 0.0  # seconds
        self.counts: dict[str, int] = {}  # outcome -> tests
        # rank -> the tests named at that rank, in the order they finished; at most
        # MAX_LISTED_TESTS in all: the first ones of a stable sort by rank, worst first
        self.named: dict[int, list[tuple[TestOutcome, str]]] = {}
        self.attaching: list[TestOutcome] = []  # every test that recorded evidence (bstm fixture)

    def add(self, outcome: TestOutcome, status: str) -> None:
        r = rank(status)
        if r > self.rank:  # the worst wins; among equals, the first
            self.status, self.rank = status, r
        self.nodeids.append(outcome.nodeid)
        self.duration += outcome.duration
        counts = self.counts
        counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
        if outcome.evidence:
            self.attaching.append(outcome)
        if len(self.nodeids) <= MAX_LISTED_TESTS:
            named = self.named.get(r)
            if named is None:
                self.named[r] = [(outcome, status)]
            else:
                named.append((outcome, status))
            return
        lowest = min(self.named)
        if r > lowest:  # a worse test displaces the last-named of the mildest rank
            bucket = self.named[lowest]
            bucket.pop()
            if not bucket:
                del self.named[lowest]
            self.named.setdefault(r, []).append((outcome, status))

    def listed(self) -> list[TestOutcome]:
        """The tests the description names, worst first."""
        return [o for r in sorted(self.named, reverse=True) for o, _ in self.named[r]]

    def describe(self, build_url: str | None) -> str:
        """A bounded, readable description: each named test with its outcome."""
        if len(self.nodeids) == 1 and (alone := self._alone()) is not None:
            return self._fit(alone, [f"Build: {build_url[:500]}"]) if build_url else alone
        lines: list[str] = []
        listed = self.listed()
        for o in listed:
            label = o.outcome.replace("_", " ").upper()
            lines.append(f"{label} {o.nodeid} ({o.duration:.2f}s)")
            if o.message:
                lines.append(f"  {o.message[:300]}")
            lines.extend(f"  {s[:300]}" for s in o.subtests[:20])
            lines.extend(f"  {s[:400]}" for s in o.steps)
            if o.excerpt:
                lines.extend("  | " + line for line in o.excerpt.splitlines())
            lines.extend(f"  rerun: {a[:200]}" for a in o.earlier_attempts[-MAX_ATTEMPTS:])
            if o.evidence:
                lines.extend(f"  {line[:500]}" for line in describe_links(o.evidence))
        tail: list[str] = []  # kept whole when the named tests are cut short
        hidden = len(self.nodeids) - len(listed)
        if hidden > 0:
            left = Counter(self.counts) - Counter(o.outcome for o in listed)
            by_outcome = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(left.items()))
            tail.append(f"... and {hidden} more tests ({by_outcome})")
        if build_url:
            tail.append(f"Build: {build_url[:500]}")
        return self._fit("\n".join(lines), tail)

    def _alone(self) -> str | None:
        """The usual description, one test with nothing to say but its line (or None)."""
        (o, _), *more = next(iter(self.named.values()))
        if more or o.message or o.subtests or o.steps or o.excerpt or o.earlier_attempts:
            return None
        if o.evidence:
            return None
        return f"{o.outcome.replace('_', ' ').upper()} {o.nodeid} ({o.duration:.2f}s)"

    @staticmethod
    def _fit(text: str, tail: list[str]) -> str:
        """``text`` cut to leave room for ``tail``, kept whole, within MAX_DESCRIPTION."""
        room = MAX_DESCRIPTION - sum(len(t) + 1 for t in tail)
        if len(text) > room:
            text = text[: room - 16] + "\n... (truncated)"
        return "\n".join([text, *tail]) if tail else text

    def result(self, key: Key, token: str, build_url: str | None) -> Result:
        """The one result of ``key``: the worst status, the named tests described."""
        case_id, configuration_id = key
        rkey = result_key(token, case_id, configuration_id)
        return Result(
            case_id=case_id,
            configuration_id=configuration_id,
            status=self.status,
            description=self.describe(build_url) + f"\n[pytest-bstm {rkey}]",
            nodeids=list(self.nodeids),
            duration_ms=int(self.duration * 1000),
            key=rkey,
        )


Ready = list[tuple[Key, Tally]]


class Aggregator:
    """Folds outcomes per key until every covering test has ended."""

    def __init__(self, status_map: Mapping[str, str], default_configurations: tuple[int, ...]):
        self.status_map = status_map
        self.default_configurations = default_configurations
        # tuples: a tuple of untracked pairs leaves the garbage collector's view, a list would
        # stay in every full collection for the whole session
        self._keys_of: dict[str, tuple[Key, ...]] = {}
        self._refs_of: dict[str, list[CaseRef]] = {}  # the refs those keys stand for
        self._left: dict[str, int] = {}  # node ID -> how many of its executions are to finish
        self._waiting: dict[Key, int] = {}  # key -> how many covering tests are to finish
        self._got: dict[Key, Tally] = {}
        self._recording: set[str] = set()
        # every key a test was expected to cover: a key that only appears in an outcome (a
        # BrowserStack session named its configuration) may get more tests at any time, so it
        # is settled at the end (drain), never released after its first test
        self._expected: set[Key] = set()

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
            keys = self._keys_of[nodeid] = tuple(self.keys(refs))
            self._refs_of[nodeid] = refs
            self._left[nodeid] = self._left.get(nodeid, 0) + times
            for key in keys:
                waiting[key] = waiting.get(key, 0) + times
            self._expected.update(keys)
        self._recording |= recording

    def covers(self, nodeid: str) -> tuple[Key, ...]:
        """The pairs ``nodeid``'s mapping stands for (empty once it finished, or unmapped)."""
        return self._keys_of.get(nodeid, ())

    def keys(self, refs: list[CaseRef]) -> list[Key]:
        return keys_for(refs, self.default_configurations)

    def add(self, nodeid: str, outcome: TestOutcome | None) -> tuple[Ready, list[Key]]:
        """Record that ``nodeid`` finished (``outcome`` None: it did not execute). Returns the
        keys whose every covering test has now ended (released), and the keys ``outcome`` was
        folded into that are not released yet: what ran of them must be journaled meanwhile,
        a crash before the rest must not lose it. While a test that may record a case is still
        to run, nothing is released."""
        left = self._left.pop(nodeid, 0) - 1
        if left > 0:  # the same node ID runs again
            self._left[nodeid] = left
            covered = self._keys_of.get(nodeid, ())
            expected = self._refs_of.get(nodeid)
        else:
            covered = self._keys_of.pop(nodeid, ())
            expected = self._refs_of.pop(nodeid, None)
        waiting = self._waiting
        for key in covered:
            if waiting.get(key):
                waiting[key] -= 1
        folded: list[Key] = []
        if outcome is not None:
            status = self.status_map.get(outcome.outcome, outcome.outcome)
            refs = outcome.refs
            # the usual case: the test covers what its collection said (keys computed then)
            same = refs is expected or (expected is not None and refs == expected)
            for key in covered if same else self.keys(refs):
                tally = self._got.get(key)
                if tally is None:
                    tally = self._got[key] = Tally()
                tally.add(outcome, status)
                folded.append(key)
        recorded_before = bool(self._recording)
        if left <= 0:
            self._recording.discard(nodeid)
        if self._recording:
            return [], folded
        # the last test that may record a case ended: everything that waits for no test goes
        candidates = list(self._got) if recorded_before else [*covered, *folded]
        got = self._got
        ready = [
            (key, got.pop(key))
            for key in dict.fromkeys(candidates)
            if key in got and not waiting.get(key) and (recorded_before or key in self._expected)
        ]
        for key, _ in ready:
            waiting.pop(key, None)
        return ready, [key for key in folded if key in got]

    def drain(self) -> Ready:
        """Everything still waiting (some covering tests did not run): settle with what ran."""
        out = list(self._got.items())
        self._got.clear()
        return out

    def status(self, outcome: TestOutcome) -> str:
        return self.status_map.get(outcome.outcome, outcome.outcome)


def describe_links(records: list[dict[str, Any]]) -> list[str]:
    """The lines a description carries for a test's links: ``label: url``."""
    return [f"{r['label']}: {r['url']}" for r in records if r.get("kind") == "link"]

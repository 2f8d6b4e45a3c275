"""What a journal says (:func:`read`): its plan and run, one result per key, what was sent.

The lines are read by :class:`~pytest_bstm.config.journal_lines.JournalLines`; this reader
folds the test lines of a killed session into one result per pair that has no result line, as
the session would have (worst wins), and gives the test the process died in a failed result
(the line types: :mod:`pytest_bstm.delivery.journal`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_bstm.config.journal_lines import JournalLines, checked_running
from pytest_bstm.delivery.attachment_records import crash_records, records_for
from pytest_bstm.delivery.records import (
    from_record,
    journal_record,
    marker,
    outcome_from_test_record,
)
from pytest_bstm.results.aggregate import Tally
from pytest_bstm.results.model import Key, result_key

Tests = list[tuple[str, list[dict[str, Any]]]]  # (node ID, the evidence it recorded), per test


@dataclass
class JournalState(JournalLines):
    """What a journal says: its plan and run, every result by key, which keys were sent."""

    tallies: dict[Key, Tally] = field(default_factory=dict)  # what ran of each unsettled pair

    def on_test(self, record: dict[str, Any], keys: list[Key]) -> None:
        try:
            outcome, status, _ = outcome_from_test_record(record)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed test line: {record}") from exc
        tallies = self.tallies
        for pair in keys:
            tally = tallies.get(pair)
            if tally is None:
                tally = tallies[pair] = Tally()
            tally.add(outcome, status)

    def on_reset(self) -> None:
        self.tallies = {}

    @property
    def unsent(self) -> list[dict[str, Any]]:
        """Results neither sent nor rejected, in journal order."""
        done = self.sent | set(self.rejected)
        return [r for k, r in self.results.items() if k not in done]

    def unattached(self, sent: set[str] | None = None) -> list[dict[str, Any]]:
        """Attachments of sent results (``sent``: the journal's), not yet settled, in order."""
        sent, done = self.sent if sent is None else sent, self.attachments_done
        return [a for i, a in self.attachments.items() if i not in done and a.get("key") in sent]


def read(path: Path) -> JournalState:
    """What the journal at ``path`` says, in one pass (linear in its size); ValueError for a
    hand-edited line that is JSON but not of the shape written."""
    state = JournalState()
    state.read(path)
    folder = path.absolute().parent
    settled: dict[str, Tests] = {}  # a held pair's key -> its tests' evidence
    if state.plan is not None:
        _settle(state, str(state.plan["token"]), folder=folder, settled=settled)
        if state.running is not None:
            _crashed(state, state.running, folder, settled)
    for key, record in state.held.items():  # a killed session: what it held is all there is
        state.results.setdefault(key, record)
    for attachment_id, mark in state.marks.items():  # files named here were marked too
        if attachment_id in state.attachments:
            state.attachments[attachment_id].update(mark)
    state.held, state.tallies, state.pairs, state.running = {}, {}, {}, None
    return state


def _settle(state: JournalState, token: str, *, folder: Path, settled: dict[str, Tests]) -> None:
    """A killed session's unsettled pairs: each without a result line gets the one result
    its test lines make (into ``held``, where the crashed test's note can join it; the
    evidence of its tests into ``settled``)."""
    for pair, tally in state.tallies.items():
        key = result_key(token, *pair)
        if key not in state.results:
            result = tally.result(pair, token, state.build_url)
            state.held[key] = {"type": "held", **journal_record(result)}
            tests = settled[key] = [(o.nodeid, o.evidence) for o in tally.attaching]
            for line in records_for(result, tests, folder):  # the files its tests attached
                state.attachments.setdefault(line["id"], line)


def _crashed(
    state: JournalState, running: dict[str, Any], folder: Path, settled: dict[str, Tests]
) -> None:
    """The session died inside the test ``running`` names: each of its pairs without a result
    gets a failed one (merged into what was held for the pair, whose files are then named by
    test)."""
    assert state.plan is not None
    why = (
        f"{running['nodeid']}: crashed: the test process ended while this test ran "
        "(os._exit, a fatal signal or a kill); pytest reported no outcome"
    )
    held = state.held
    keys = running.get("keys", [])
    for record in running.get("evidence", []):  # its BrowserStack session named a configuration
        if record.get("kind") == "configuration" and "keys" in record:
            keys = checked_running({"nodeid": running["nodeid"], "keys": record["keys"]})["keys"]
    for case, configuration in keys:
        key = result_key(str(state.plan["token"]), case, configuration)
        if key in state.results:
            continue
        earlier = held.pop(key, None)
        description = f"{why}\n{earlier['description']}" if earlier else f"{why}\n{marker(key)}"
        state.results[key] = {
            **(earlier or {"key": key, "case": case, "configuration": configuration}),
            "status": running.get("status") or "failed",
            "description": description,
            "nodeids": [*(earlier or {}).get("nodeids", []), running["nodeid"]],
        }
        before = settled.get(key, []) if earlier else []  # the files of the tests held
        crashed = (running["nodeid"], running.get("evidence", []))  # and of the test that died
        for line in crash_records(from_record(state.results[key]), before, crashed, folder):
            state.attachments[line["id"]] = line

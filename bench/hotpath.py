"""The per-test path of pytest-bstm on pytest's main thread, in isolation: microseconds per test.

``python bench/hotpath.py`` feeds the three reports of passing, mapped tests through the same
steps the reporter takes (outcome tracker, aggregator, result, and the test's two journal
lines: its start and its result) and prints the CPU cost of each step (so that other work on
the machine counts less) as the best of several repeats (garbage collector off, so that only
the step's own work counts; the whole-process figures are ``bench/overhead.py``'s). A quick
check of a hot-path change; it reports and never asserts.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from pathlib import Path

import pytest

from pytest_bstm.collect.mapping import CaseRef
from pytest_bstm.delivery.journal import Journal
from pytest_bstm.delivery.records import journal_record
from pytest_bstm.results.aggregate import Aggregator
from pytest_bstm.results.model import Result
from pytest_bstm.results.tracker import OutcomeTracker

STEPS = ("reports", "tracker", "aggregate", "result", "journal")


def reports(i: int) -> list[pytest.TestReport]:
    nodeid = f"test_mod{i % 20:02d}.py::test_{i}"
    location = (f"test_mod{i % 20:02d}.py", i, f"test_{i}")
    keywords = {f"test_{i}": 1, "tc": 1}
    return [
        pytest.TestReport(nodeid, location, keywords, "passed", None, when, [], 0.0001)
        for when in ("setup", "call", "teardown")
    ]


def one_pass(size: int, last: str, folder: Path) -> float:
    """Seconds per test for the steps up to ``last``."""
    depth = STEPS.index(last)
    mapping = {f"test_mod{i % 20:02d}.py::test_{i}": [CaseRef(f"TC-{i}")] for i in range(size)}
    tracker = OutcomeTracker(lambda nodeid: mapping.get(nodeid, []))
    agg = Aggregator({}, ())
    agg.expect(mapping, set())
    journal = Journal(folder / f"journal-{last}.jsonl")
    kept: list[Result] = []
    started = time.process_time()
    for i in range(size):
        if depth >= 4:  # a serial session journals each test as it starts (a crash keeps it)
            nodeid = f"test_mod{i % 20:02d}.py::test_{i}"
            journal.running(nodeid, agg.covers(nodeid), "failed")
        for report in reports(i):
            if depth < 1:
                continue
            finished = tracker.add(report)
            if finished is None or depth < 2:
                continue
            ready, _ = agg.add(finished.nodeid, finished.outcome)
            for key, tally in ready:
                if depth < 3:
                    continue
                result = tally.result(key, "0123456789ab", None)
                kept.append(result)
                if depth >= 4:
                    journal.results([journal_record(result)])
    spent = time.process_time() - started
    journal.discard()
    return spent / size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5000, help="tests per pass")
    parser.add_argument("--repeat", type=int, default=7, help="passes per step (best counts)")
    args = parser.parse_args()
    gc.disable()
    with tempfile.TemporaryDirectory(prefix="bstm-hotpath-") as tmp:
        folder = Path(tmp)
        totals = dict.fromkeys(STEPS, float("inf"))
        for _ in range(args.repeat):  # steps interleaved: a change of load hits each alike
            for step in STEPS:
                totals[step] = min(totals[step], one_pass(args.size, step, folder))
    gc.enable()
    previous = 0.0
    print(f"{'step':<10} {'us/test':>8} {'cumulative':>10}")
    for step, total in totals.items():
        print(f"{step:<10} {(total - previous) * 1e6:8.2f} {total * 1e6:10.2f}")
        previous = total
    ours = (totals["journal"] - totals["reports"]) * 1e6
    print(f"pytest-bstm per test (tracker to journal): {ours:.2f} us")


if __name__ == "__main__":
    main()

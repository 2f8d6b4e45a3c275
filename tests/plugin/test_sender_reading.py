"""The sender process's reading of a growing journal: every result counted, results taken a
batch ahead of delivery (never all at once), each once, and only the session's own."""

from __future__ import annotations

from pathlib import Path

from pytest_bstm.delivery import journal
from pytest_bstm.delivery.follow import CHUNK, Follower
from pytest_bstm.delivery.records import journal_record
from pytest_bstm.results.model import Result
from pytest_bstm.run.plan import RunPlan


def result(n: int, session: str) -> Result:
    key = f"{session}-{n:08x}"
    return Result(
        case_id=f"TC-{n}",
        configuration_id=None,
        status="passed",
        description=f"test_{n} passed\n\n[pytest-bstm {key}]",
        nodeids=[f"tests/test_app.py::test_{n}"],
        key=key,
    )


def session(writer: journal.Journal, token: str, results: range) -> None:
    writer.plan("http://127.0.0.1:1", RunPlan(project="PR-1", mode="create", token=token).to_json())
    writer.results([journal_record(result(n, token)) for n in results])


def test_results_are_counted_at_once_and_taken_a_batch_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    writer = journal.Journal(path)
    session(writer, "earlier", range(1, 6))  # a named journal keeps an earlier session's lines
    session(writer, "ours", range(1, 3001))
    writer.results([journal_record(result(7, "ours"))])  # the same result twice: taken once
    writer.sync()
    follower = Follower(path, "ours")
    follower.scan()
    assert follower.plan is not None
    assert follower.plan.token == "ours"
    assert len(follower.seen) == 3000  # counted (pending) before any is taken
    first = follower.take(300)
    per_chunk = CHUNK // min(len(line) for line in path.read_bytes().splitlines())
    assert 300 <= len(first) <= 300 + per_chunk < 3000  # a batch ahead, not the journal
    taken = first
    while batch := follower.take(300):
        taken += batch
    assert [r["key"] for r in taken] == [result(n, "ours").key for n in range(1, 3001)]
    writer.results([journal_record(result(3001, "ours"))])  # appended later: scanned, taken
    writer.close()
    assert follower.take(300) == []  # not scanned yet: the take stays behind the scan
    follower.scan()
    assert [r["key"] for r in follower.take(300)] == [result(3001, "ours").key]


def test_a_result_key_and_a_case_id_are_held_once(tmp_path: Path) -> None:
    """Memory: a taken result's key is the scan's string (the sender's set of delivered keys
    shares it), and the plan's pairs share the create's strings of their case IDs."""
    path = tmp_path / "j.jsonl"
    writer = journal.Journal(path)
    cases = {f"TC-{n}": {None} for n in range(1, 4)}
    plan = RunPlan(
        project="PR-1",
        mode="create",
        token="ours",
        payload={"test_cases": sorted(cases, key=lambda c: int(c[3:]))},
        pairs=tuple((c, None) for c in cases),
    )
    writer.plan("http://127.0.0.1:1", plan.to_json())
    writer.results([journal_record(result(n, "ours")) for n in range(1, 4)])
    writer.close()
    follower = Follower(path, "ours")
    follower.scan()
    assert follower.plan is not None
    listed = follower.plan.payload["test_cases"]
    assert [c for c, _ in follower.plan.pairs] == listed
    assert all(c is s for (c, _), s in zip(follower.plan.pairs, listed, strict=True))
    taken = follower.take(300)
    assert len(taken) == 3
    held = {id(key) for key in follower.seen}
    assert all(id(record["key"]) in held for record in taken)

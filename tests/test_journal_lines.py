"""The journal's prebuilt lines say what the JSON encoder would, and the settings' count of
what a journal still holds is the reader's: real journals written by the writer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_bstm.config import journal_lines
from pytest_bstm.delivery import records
from pytest_bstm.delivery.journal import Journal, read
from pytest_bstm.delivery.records import journal_record, result_line, running_line
from pytest_bstm.results.model import Result, TestOutcome, result_key

TOKEN = "t0k3n"


def result(case: str, configuration: int | None = None, **extra: object) -> Result:
    key = result_key(TOKEN, case, configuration)
    fields: dict[str, object] = {
        "status": "passed",
        "description": f'PASSED a.py::t ("quoted", \\ é ✓)\n[pytest-bstm {key}]',
        "nodeids": ['a.py::t[é-"x"]', "b.py::u"],
        "duration_ms": 12,
        **extra,
    }
    return Result(case, configuration, key=key, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "one",
    [
        result("TC-1"),
        result("TC-2", 101),
        result("TC-3", issues=["JIRA-1"]),
        result("TC-4", custom_fields={"env": "ci"}),
        result("TC-5", nodeids=[]),
    ],
    ids=["usual", "configuration", "issues", "custom fields", "no node ID"],
)
def test_a_result_line_is_the_json_of_its_record(one: Result) -> None:
    record = journal_record(one)
    text = result_line(record)
    assert text.endswith("\n")
    assert text.count("\n") == 1
    assert json.loads(text) == {"type": "result", **record}
    assert text.isascii()  # as json.dumps writes it: non-ASCII escaped


def test_a_running_line_is_the_json_of_its_test() -> None:
    text = running_line('a.py::t["é"]', [("TC-1", None), ("TC-2", 7)], "failed")
    assert json.loads(text) == {
        "type": "running",
        "nodeid": 'a.py::t["é"]',
        "keys": [["TC-1", None], ["TC-2", 7]],
        "status": "failed",
    }


def killed_journal(path: Path) -> Journal:
    """A session killed inside its third test: one result written, one test line of a pair
    still waiting for a later test, the test it died in."""
    writer = Journal(path)
    writer.plan("http://127.0.0.1:1", {"token": TOKEN, "project": "PR-1", "mode": "create"})
    writer.running("a.py::t1", [("TC-1", None)], "failed")
    writer.results([journal_record(result("TC-1"))])
    writer.running("a.py::t2", [("TC-2", None)], "failed")
    outcome = TestOutcome(nodeid="a.py::t2", outcome="passed", duration=0.1, refs=[])
    writer.test(records.test_record(outcome, "passed", [("TC-2", None)]))
    writer.running("a.py::t3", [("TC-3", 5), ("TC-2", None)], "failed")
    return writer


def test_the_count_of_what_a_journal_holds_is_the_readers(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    writer = killed_journal(path)
    writer.close()
    state = read(path)
    assert sorted(r["case"] for r in state.unsent) == ["TC-1", "TC-2", "TC-3"]
    assert journal_lines.left(path) == [f"{len(state.unsent)} result(s)"] == ["3 result(s)"]
    crashed = next(r for r in state.unsent if r["case"] == "TC-2")
    assert crashed["status"] == "failed"
    assert crashed["nodeids"] == ["a.py::t2", "a.py::t3"]

    writer = Journal(path)
    writer.sent([result_key(TOKEN, "TC-1", None)])
    writer.close()
    assert journal_lines.left(path) == [f"{len(read(path).unsent)} result(s)"] == ["2 result(s)"]


def test_an_ended_session_holds_only_what_it_wrote(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    writer = killed_journal(path)
    writer.ended()
    writer.close()
    assert journal_lines.left(path) == [f"{len(read(path).unsent)} result(s)"] == ["1 result(s)"]


def test_a_hand_edited_test_line_is_not_a_journal(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text('{"type": "test", "nodeid": "a.py::t", "keys": [[1, null]]}\n')
    with pytest.raises(ValueError, match="malformed test line"):
        journal_lines.left(path)
    with pytest.raises(ValueError, match="malformed test line"):
        read(path)


def test_attachments_and_a_close_left_are_work_left(tmp_path: Path) -> None:
    """Every result sent, but a file not attached and the run not closed as planned: the
    journal is not finished (a later session naming it would strand them)."""
    path = tmp_path / "j.jsonl"
    writer = Journal(path)
    writer.plan("http://127.0.0.1:1", {"token": TOKEN, "project": "PR-1", "mode": "create"})
    writer.run("TR-1", None)
    writer.results([journal_record(result("TC-1"))])
    writer.sent([result_key(TOKEN, "TC-1", None)])
    writer.attachments([{"id": "a1", "key": result_key(TOKEN, "TC-1", None), "case": "TC-1"}])
    writer.close()
    assert journal_lines.left(path) == ["1 attachment(s)", "the close of run TR-1"]
    writer = Journal(path)
    writer.attached(["a1"])
    writer.closed("TR-1")
    writer.close()
    assert journal_lines.left(path) == []


def test_a_file_that_is_not_a_journal_is_not_taken_for_one(tmp_path: Path) -> None:
    """A named journal that is some other file (notes, a report) is refused, not appended to."""
    path = tmp_path / "notes.md"
    path.write_text("# Notes\n\nnothing here is JSON\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 1 is not JSON"):
        journal_lines.left(path)

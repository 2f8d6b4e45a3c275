"""``bstm cases sync`` keeps TM's automation coverage true: mapped cases become ``automated``,
mapped cases the project no longer has are listed."""

from __future__ import annotations

from pathlib import Path

from bstm_helpers import Bstm, Inner

from pytest_bstm.emulator import Emulator

MAPPED = """\
import pytest


@pytest.mark.tc("TC-2", "TC-3")
def test_two():
    pass


@pytest.mark.tc("TC-3")
def test_three_again():
    pass


@pytest.mark.tc("TC-9999")
def test_deleted():
    pass
"""


def _statuses(emulator: Emulator) -> dict[str, str]:
    return {c["identifier"]: c["automation_status"] for c in emulator.test_cases("PR-1")[:5]}


def test_dry_run_shows_what_it_would_mark_and_what_is_missing(
    inner: Inner, sync: Bstm, emulator: Emulator
) -> None:
    emulator.add_test_cases("PR-1", [{"identifier": "TC-3", "automation_status": "automated"}])
    Path(inner.pytester.path / "test_mapped.py").write_text(MAPPED)
    code, out, err = sync("--dry-run")
    assert code == 0
    lines = out.splitlines()
    assert "would mark  TC-2  automated (was not_automated)" in lines
    assert "missing  TC-9999  mapped by test_mapped.py::test_deleted: not in PR-1" in lines
    assert not any("TC-3" in line for line in lines)
    assert "automation: would mark 1 mapped case automated, 1 missing" in lines
    assert (
        err
        == "bstm: note: 1 mapped case not in PR-1 (TC-9999): fix or remove those markers or tags\n"
    )
    assert {r["method"] for r in emulator.requests} == {"GET"}
    assert _statuses(emulator)["TC-2"] == "not_automated"


def test_sync_marks_mapped_cases_automated_once(
    inner: Inner, sync: Bstm, emulator: Emulator
) -> None:
    Path(inner.pytester.path / "test_mapped.py").write_text(MAPPED)
    code, out, _ = sync()
    assert code == 0
    assert "marked  TC-2  automated (was not_automated)" in out.splitlines()
    assert "marked  TC-3  automated (was not_automated)" in out.splitlines()
    assert _statuses(emulator) == {
        "TC-1": "not_automated",
        "TC-2": "automated",
        "TC-3": "automated",
        "TC-4": "not_automated",
        "TC-5": "not_automated",
    }
    patches = [r["path"] for r in emulator.requests if r["method"] == "PATCH"]
    assert patches == [
        "/api/v2/projects/PR-1/test-cases/TC-2",
        "/api/v2/projects/PR-1/test-cases/TC-3",
    ]

    start = len(emulator.requests)
    code, out, _ = sync()
    assert code == 0
    assert "automation: marked 0 mapped cases automated, 1 missing" in out.splitlines()
    assert [r["method"] for r in emulator.requests[start:]] == ["GET"]

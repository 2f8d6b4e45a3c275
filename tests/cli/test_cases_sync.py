"""``bstm cases sync``: onboarding a suite against the emulator, then reporting it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bstm_helpers import Bstm, Inner
from sync_suite import LOGIN_AFTER, SUITE, USERS_AFTER, Files, write_files

from pytest_bstm.emulator import Emulator

CASE_LINES = [
    "[1/4] TC-1006  tests/api/v1/test_users.py::test_list_users  (created)",
    "[2/4] TC-1007  tests/test_login.py::test_user_can_log_in  (created)",
    "[3/4] TC-1008  tests/test_login.py::test_many  (created)",
    "[4/4] TC-1009  tests/test_login.py::TestSession::test_expires  (created)",
]


def methods(emulator: Emulator) -> list[str]:
    return [r["method"] for r in emulator.requests]


def test_sync_writes_markers_then_a_session_reports_every_test(
    suite: Path, sync: Bstm, inner: Inner, emulator: Emulator, files: Callable[[Path], Files]
) -> None:
    code, out, err = sync("--write-markers")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "7 test functions: 3 mapped, 4 without a case"
    assert [line for line in lines if line.startswith("[")] == CASE_LINES
    assert "folder  pytest/tests/test_login.py/TestSession  (created, id 10)" in lines
    assert 'added  tests/api/v1/test_users.py:4  @pytest.mark.tc("TC-1006")' in lines
    assert lines[-1] == "created 4 cases in 3 folders, wrote 4 markers in 2 files"
    assert (suite / "tests/api/v1/test_users.py").read_text() == USERS_AFTER
    assert (suite / "tests/test_login.py").read_text() == LOGIN_AFTER
    assert (suite / "tests/conftest.py").read_text() == SUITE["tests/conftest.py"]

    folders = [(f["id"], f["name"], f["parent_id"]) for f in emulator.folders("PR-1")[3:]]
    assert folders == [
        (4, "pytest", None),
        (5, "tests", 4),
        (6, "api", 5),
        (7, "v1", 6),
        (8, "test_users.py", 7),
        (9, "test_login.py", 5),
        (10, "TestSession", 9),
    ]
    cases = {c["identifier"]: c for c in emulator.test_cases("PR-1")[60:]}
    assert {k: (c["title"], c["folder_id"]) for k, c in cases.items()} == {
        "TC-1006": ("List users", 8),
        "TC-1007": ("User logs in with a valid password.", 9),
        "TC-1008": ("Many", 9),
        "TC-1009": ("Expires", 10),
    }
    assert cases["TC-1007"]["description"] == (
        "pytest: tests/test_login.py::test_user_can_log_in\n\n"
        "User logs in with a valid password.\n\nUses the demo account."
    )
    assert cases["TC-1008"]["description"] == "pytest: tests/test_login.py::test_many"
    assert all(c["tags"] == ["pytest"] for c in cases.values())
    assert all(c["automation_status"] == "automated" for c in cases.values())
    assert cases["TC-1009"]["steps"] == [
        {
            "step": "Run: pytest tests/test_login.py::TestSession::test_expires",
            "result": "The test passes",
        }
    ]
    # one listing of the top level, then one request per folder and per case; then one
    # listing of the mapped cases and one update per mapped case not yet automated
    assert methods(emulator) == ["GET"] + ["POST"] * 11 + ["GET", "PATCH", "PATCH"]
    assert "automation: marked 2 mapped cases automated" in lines

    result = inner.run()
    result.assert_outcomes(passed=9)
    run_id = inner.only_run()["identifier"]
    assert set(inner.statuses(run_id).items()) == {
        ((case, None), "passed")
        for case in ("TC-1", "TC-2", "TC-3", "TC-1006", "TC-1007", "TC-1008", "TC-1009")
    }
    assert "results:    7 uploaded (7 passed)" in result.stdout.str()

    before, requests = files(suite), len(emulator.requests)
    code, out, err = sync("--write-markers")
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "7 test functions: 7 mapped, 0 without a case",
        "created 0 cases in 0 folders, wrote 0 markers in 0 files",
    ]
    assert files(suite) == before
    # nothing to create: one listing of the mapped cases, every one automated by now
    assert methods(emulator)[requests:] == ["GET"]


def test_without_markers_a_second_run_finds_the_cases_by_node_id(
    suite: Path, sync: Bstm, emulator: Emulator, files: Callable[[Path], Files]
) -> None:
    before = files(suite)
    code, out, err = sync()
    assert (code, err) == (0, "")
    assert [line for line in out.splitlines() if line.startswith("[")] == CASE_LINES
    assert "add the markers with --write-markers" in out
    assert out.splitlines()[-1] == "created 4 cases in 3 folders, wrote 0 markers in 0 files"
    assert files(suite) == before

    start = len(emulator.requests)
    code, out, err = sync()
    assert (code, err) == (0, "")
    found = [line for line in out.splitlines() if line.startswith("[")]
    assert found == [line.replace("(created)", "(found)") for line in CASE_LINES]
    assert out.splitlines()[-1] == "created 0 cases in 0 folders, wrote 0 markers in 0 files"
    second = emulator.requests[start:]
    assert {r["method"] for r in second} == {"GET"}
    assert len(second) <= 1 + 7 + 3  # top level, each folder's sub-folders, each target's cases
    assert len(emulator.test_cases("PR-1")) == 64

    code, out, err = sync("--write-markers")  # the markers, without new cases
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "created 0 cases in 0 folders, wrote 4 markers in 2 files"
    assert (suite / "tests/test_login.py").read_text() == LOGIN_AFTER
    assert len(emulator.test_cases("PR-1")) == 64


def test_dry_run_writes_nothing(emulator: Emulator, tmp_path: Path) -> None:
    """The real command in a subprocess, plugins loaded the usual way (entry points)."""
    write_files(tmp_path, SUITE)
    env = {
        **os.environ,
        "BSTM_URL": emulator.url,
        "BROWSERSTACK_USERNAME": emulator.username,
        "BROWSERSTACK_ACCESS_KEY": emulator.access_key,
    }
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    env.pop("PYTEST_ADDOPTS", None)
    script = Path(sys.executable).with_name("bstm")
    command = [str(script), "cases", "sync", "tests", "--project", "PR-1", "--write-markers"]
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    texts = {p: p.read_bytes() for p in tmp_path.rglob("*.py")}
    done = subprocess.run(
        [*command, "--dry-run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    lines = done.stdout.splitlines()
    assert "folder  pytest/tests/api/v1/test_users.py  (would be created)" in lines
    assert (
        "[2/4] TC-?  tests/test_login.py::test_user_can_log_in  "
        "(would be created in pytest/tests/test_login.py)"
    ) in lines
    assert "would add  tests/api/v1/test_users.py:2  import pytest" in lines
    assert 'would add  tests/test_login.py:24  @pytest.mark.tc("TC-?")' in lines
    assert lines[-1] == (
        "dry run: would create 4 cases in 3 folders, would write 4 markers in 2 files"
    )
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert {p: p.read_bytes() for p in tmp_path.rglob("*.py")} == texts
    assert set(methods(emulator)) == {"GET"}
    assert len(emulator.folders("PR-1")) == 3
    assert len(emulator.test_cases("PR-1")) == 60

    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout.splitlines()[-1] == "created 4 cases in 3 folders, wrote 4 markers in 2 files"
    )
    assert (tmp_path / "tests/test_login.py").read_text() == LOGIN_AFTER
    done = subprocess.run(
        [*command, "--dry-run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout.splitlines()[-1] == (
        "dry run: would create 0 cases in 0 folders, would write 0 markers in 0 files"
    )


def test_a_file_keeps_every_byte_but_the_new_lines(
    inner: Inner, sync: Bstm, emulator: Emulator
) -> None:
    original = (
        b"# -*- coding: latin-1 -*-\r\n"
        b'"""Caf\xe9 tests."""\r\n'
        b"from __future__ import annotations\r\n"
        b"\r\n"
        b"import os  # keep\r\n"
        b"\r\n"
        b"class TestTabs:\r\n"
        b"\t@staticmethod\r\n"
        b"\tdef test_tab():\r\n"
        b"\t\tassert os.sep\r\n"
        b"\r\n"
        b"async def helper(): pass\r\n"
        b"\r\n"
        b"def test_last(): assert 'd\xe9j\xe0'"
    )
    path = inner.pytester.path / "test_bytes.py"
    path.write_bytes(original)
    code, _, err = sync("--write-markers")
    assert (code, err) == (0, "")
    assert path.read_bytes() == (
        b"# -*- coding: latin-1 -*-\r\n"
        b'"""Caf\xe9 tests."""\r\n'
        b"from __future__ import annotations\r\n"
        b"\r\n"
        b"import os  # keep\r\n"
        b"import pytest\r\n"
        b"\r\n"
        b"class TestTabs:\r\n"
        b'\t@pytest.mark.tc("TC-1006")\r\n'
        b"\t@staticmethod\r\n"
        b"\tdef test_tab():\r\n"
        b"\t\tassert os.sep\r\n"
        b"\r\n"
        b"async def helper(): pass\r\n"
        b"\r\n"
        b'@pytest.mark.tc("TC-1007")\r\n'
        b"def test_last(): assert 'd\xe9j\xe0'"
    )
    titles = [c["title"] for c in emulator.test_cases("PR-1")[60:]]
    assert titles == ["Tab", "Last"]

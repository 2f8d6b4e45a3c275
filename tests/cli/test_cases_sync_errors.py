"""``bstm cases sync`` on bad input: one clear line each, and no partial damage."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from bstm_helpers import Bstm, shell
from sync_suite import LOGIN_AFTER, SUITE, USERS_AFTER, Files, write_files

from pytest_bstm.emulator import Emulator


def posts(emulator: Emulator) -> list[str]:
    return [r["path"] for r in emulator.requests if r["method"] == "POST"]


@contextmanager
def unwritable(path: Path) -> Iterator[None]:
    """``path`` cannot be written, even by root (immutable), until the block ends."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)], check=False).returncode:
        pytest.skip("running as root without chattr +i: no way to make a file unwritable")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)


@pytest.mark.usefixtures("suite")
@pytest.mark.parametrize(("project", "fault"), [("PR-9", None), ("PR-1", 403)])
def test_unknown_project_or_no_permission(
    sync: Bstm, emulator: Emulator, files: Callable[[Path], Files], project: str, fault: int | None
) -> None:
    before = files(Path.cwd())
    if fault is not None:
        emulator.faults.fail(status=fault, times=1)
    code, out, err = sync("--write-markers", "--project", project)
    assert code == 1
    assert len(err.splitlines()) == 1
    if fault is None:  # the projects the credentials see, as the plugin says it
        assert err.startswith("bstm: error: project PR-9 not found (HTTP 404 ")
        assert "; these credentials see PR-1, PR-2): check --project" in err
    else:
        assert err.startswith(f"bstm: error: GET /api/v2/projects/{project}/folders -> HTTP 403")
    assert out.splitlines()[-1] == "created 0 cases in 0 folders, wrote 0 markers in 0 files"
    assert files(Path.cwd()) == before
    assert posts(emulator) == []
    assert emulator.access_key not in out + err


def test_refused_midway_keeps_what_was_made_and_a_second_run_finishes(
    suite: Path, sync: Bstm, emulator: Emulator
) -> None:
    # folder 9 is pytest/tests/test_login.py, the second file's folder
    emulator.faults.fail(status=403, times=1, path_contains="/folders/9/test-cases")
    code, out, err = sync("--write-markers")
    assert code == 1
    assert "[1/4] TC-1006  tests/api/v1/test_users.py::test_list_users  (created)" in out
    assert out.splitlines()[-1] == "created 1 case in 1 folder, wrote 1 marker in 1 file"
    assert err.splitlines() == [
        err.splitlines()[0],
        "bstm: cases created before the error: "
        "TC-1006 tests/api/v1/test_users.py::test_list_users; a second run finds them",
    ]
    assert err.startswith(
        "bstm: error: POST /api/v2/projects/PR-1/folders/9/test-cases -> HTTP 403"
    )
    assert (suite / "tests/api/v1/test_users.py").read_text() == USERS_AFTER
    assert (suite / "tests/test_login.py").read_text() == SUITE["tests/test_login.py"]

    code, out, err = sync("--write-markers")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "created 3 cases in 2 folders, wrote 3 markers in 1 file"
    assert (suite / "tests/test_login.py").read_text() == LOGIN_AFTER
    assert [c["identifier"] for c in emulator.test_cases("PR-1")[60:]] == [
        "TC-1006",
        "TC-1007",
        "TC-1008",
        "TC-1009",
    ]
    assert [f["name"] for f in emulator.folders("PR-1")].count("test_login.py") == 1


def test_a_lost_answer_is_found_by_the_next_run_not_created_twice(
    suite: Path, sync: Bstm, emulator: Emulator
) -> None:
    emulator.faults.drop(times=1, after_processing=True, path_contains="/test-cases")
    code, out, err = sync()
    assert code == 1
    assert "may have reached the service" in err
    assert out.splitlines()[-1] == "created 0 cases in 0 folders, wrote 0 markers in 0 files"
    assert len(emulator.test_cases("PR-1")) == 61  # the first case was made, its answer lost
    code, out, err = sync()
    assert (code, err) == (0, "")
    assert "[1/4] TC-1006  tests/api/v1/test_users.py::test_list_users  (found)" in out
    assert out.splitlines()[-1] == "created 3 cases in 2 folders, wrote 0 markers in 0 files"
    assert len(emulator.test_cases("PR-1")) == 64


def test_rate_limits_are_waited_out(suite: Path, sync: Bstm, emulator: Emulator) -> None:
    emulator.faults.fail(status=429, times=3, methods="POST", retry_after=0)
    code, out, err = sync("--folder", "Onboarding")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "created 4 cases in 3 folders, wrote 0 markers in 0 files"
    statuses = [r["status"] for r in emulator.requests if r["method"] == "POST"]
    assert statuses.count(429) == 3
    assert len(statuses) == 11 + 3
    assert [f["name"] for f in emulator.folders("PR-1")][3:5] == ["Onboarding", "tests"]
    assert len(emulator.test_cases("PR-1")) == 64


def test_a_file_with_a_syntax_error_is_skipped(suite: Path, sync: Bstm, emulator: Emulator) -> None:
    broken = "def test_broken(:\n    pass\n"
    write_files(suite, {"tests/test_broken.py": broken})
    code, out, err = sync("--write-markers")
    assert code == 1
    assert err.startswith("bstm: skipped tests/test_broken.py: SyntaxError: ")
    assert err.endswith(" (line 1); fix it and run again\n")
    assert len(err.splitlines()) == 1
    assert out.splitlines()[-1] == "created 4 cases in 3 folders, wrote 4 markers in 2 files"
    assert (suite / "tests/test_broken.py").read_text() == broken


def test_a_function_defined_twice_gets_no_case(suite: Path, sync: Bstm, emulator: Emulator) -> None:
    twice = "def test_twice():\n    pass\n\n\ndef test_twice():\n    assert True\n"
    write_files(suite, {"tests/test_twice.py": twice})
    code, out, err = sync("--write-markers")
    assert code == 1
    assert err == (
        "bstm: skipped tests/test_twice.py::test_twice: defined 2 times (lines 1, 5) and pytest "
        "runs only the last; rename or remove the others, then run again\n"
    )
    assert (
        out.splitlines()[0]
        == "8 test functions: 3 mapped, 4 without a case, 1 left as they are (see above)"
    )
    assert out.splitlines()[-1] == "created 4 cases in 3 folders, wrote 4 markers in 2 files"
    assert (suite / "tests/test_twice.py").read_text() == twice
    assert "test_twice" not in str(emulator.test_cases("PR-1"))


def test_an_unwritable_file_names_its_cases_and_a_second_run_writes_it(
    suite: Path, sync: Bstm, emulator: Emulator
) -> None:
    login = suite / "tests/test_login.py"
    with unwritable(login):
        code, out, err = sync("--write-markers")
    assert code == 1
    start, _, rest = err.partition("); ")  # between the parentheses: the system's words
    assert start.startswith("bstm: error: cannot write tests/test_login.py (")
    assert rest == (
        "its cases exist: TC-1007 tests/test_login.py::test_user_can_log_in, "
        "TC-1008 tests/test_login.py::test_many, TC-1009 tests/test_login.py::TestSession::"
        "test_expires; run the command again to write their markers\n"
    )
    assert out.splitlines()[-1] == "created 4 cases in 3 folders, wrote 1 marker in 1 file"
    assert login.read_text() == SUITE["tests/test_login.py"]
    assert (suite / "tests/api/v1/test_users.py").read_text() == USERS_AFTER

    code, out, err = sync("--write-markers")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "created 0 cases in 0 folders, wrote 3 markers in 1 file"
    assert login.read_text() == LOGIN_AFTER
    assert len(emulator.test_cases("PR-1")) == 64


def test_usage_problems_stop_before_any_request(
    suite: Path, sync: Bstm, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = sync("nowhere")
    assert code == 2
    assert err == (
        "bstm: error: pytest could not collect the tests: "
        "ERROR: file or directory not found: nowhere\n"
    )
    code, _, err = sync("--folder", " ")
    assert code == 2
    assert "the folder name must not be blank" in err
    write_files(
        suite,
        {"tests/test_bad.py": 'import pytest\n\n@pytest.mark.tc("TC-x")\ndef test_x(): pass\n'},
    )
    code, _, err = sync()
    assert code == 2
    assert err.startswith(
        "bstm: error: pytest-bstm: invalid test case mapping (fix the tc markers or the "
        "pytest_bstm_case_ids hook):"
    )
    assert "tests/test_bad.py::test_x: 'TC-x' is not a test case ID like 'TC-1'" in err
    monkeypatch.delenv("BROWSERSTACK_ACCESS_KEY")
    code, _, err = sync()
    assert code == 2
    assert "credentials missing" in err
    assert emulator.requests == []


def test_functions_it_cannot_mark_are_left_as_they_are(
    suite: Path, sync: Bstm, emulator: Emulator, files: Callable[[Path], Files]
) -> None:
    write_files(
        suite,
        {
            "tests/base_cases.py": "class BaseCases:\n    def test_inherited(self): pass\n",
            "tests/test_more.py": (
                "import pytest\n"
                "from base_cases import BaseCases\n\n\n"
                "class TestChild(BaseCases):\n    pass\n\n\n"
                '@pytest.mark.parametrize("n", [1, pytest.param(2, marks=pytest.mark.tc("TC-4"))])'
                "\n"
                "def test_partly(n):\n    pass\n"
            ),
        },
    )
    before = files(suite)["tests/test_more.py"]
    code, out, err = sync("--write-markers")
    assert code == 0
    assert err.splitlines() == [
        "bstm: note: tests/test_more.py::TestChild::test_inherited is not defined in its module "
        "(inherited or generated): map it by hand",
        "bstm: note: tests/test_more.py::test_partly: 1 of 2 parameter sets are mapped; map the "
        "others with pytest.param(..., marks=pytest.mark.tc(...))",
    ]
    assert out.splitlines()[0] == (
        "9 test functions: 3 mapped, 4 without a case, 2 left as they are (see above)"
    )
    assert out.splitlines()[-1] == "created 4 cases in 3 folders, wrote 4 markers in 2 files"
    assert files(suite)["tests/test_more.py"] == before


def test_a_strict_suite_with_warnings_as_errors_is_synced(
    suite: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `filterwarnings = error` (a common strict setting) must not turn pytest's note that it
    # cannot rewrite the plugin (imported by `bstm` before pytest starts) into a crash. The
    # note comes only with plugins loaded from their entry points, as a user's `bstm` does:
    # so the real command, in a process of its own, with autoload on.
    write_files(suite, {"pytest.ini": "[pytest]\nfilterwarnings =\n    error\n"})
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    done = shell(f"bstm cases sync --url {emulator.url} --project PR-1 --write-markers", suite)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines()[-1] == (
        "created 4 cases in 3 folders, wrote 4 markers in 2 files"
    )
    assert (suite / "tests/api/v1/test_users.py").read_text() == USERS_AFTER


CACHE_CONFTEST = """\
def pytest_collection_modifyitems(config, items):
    seen = config.cache.get("suite/seen", 0)  # a suite that needs pytest's cache
    config.cache.set("suite/seen", seen + len(items))
"""


def test_a_suite_that_uses_pytests_cache_is_synced_without_touching_it(
    suite: Path, sync: Bstm
) -> None:
    # --lf/--ff in addopts, a cache_dir of its own and a conftest reading config.cache all
    # need pytest's cacheprovider: sync collects with one, in a throwaway cache_dir
    ini = "[pytest]\naddopts = --ff --lf\ncache_dir = .suite_cache\n"
    write_files(suite, {"pytest.ini": ini, "conftest.py": CACHE_CONFTEST})
    code, out, err = sync("--write-markers")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "created 4 cases in 3 folders, wrote 4 markers in 2 files"
    assert (suite / "tests/api/v1/test_users.py").read_text() == USERS_AFTER
    assert not (suite / ".suite_cache").exists()  # the user's cache is left as it was
    assert not (suite / ".pytest_cache").exists()


def test_refused_credentials_are_the_plugins_advice(
    suite: Path, sync: Bstm, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_bstm.vocabulary import CREDENTIALS_REFUSED

    monkeypatch.setenv("BROWSERSTACK_ACCESS_KEY", "wrong-key")
    code, _, err = sync()
    assert code == 1
    assert f"bstm: error: {CREDENTIALS_REFUSED}\n" in err

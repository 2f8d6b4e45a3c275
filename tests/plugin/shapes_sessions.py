"""Session-shapes rows: sessions that run no test, stop early, select, or use the cache."""

from __future__ import annotations

import re
from pathlib import Path

from shapes_row import Row, one

TWO = one(
    """
import pytest

@pytest.fixture
def resource():
    return 1

@pytest.mark.tc("TC-1")
def test_ok(resource):
    pass

@pytest.mark.tc("TC-2")
def test_bad(resource):
    assert 1 == 2, "numbers differ"
"""
)

_MARKED_SKIPS = """
import pytest

@pytest.fixture
def broken():
    raise RuntimeError("fixture fails")

@pytest.mark.tc("TC-1")
@pytest.mark.skip(reason="not now")
def test_skipped():
    pass

@pytest.mark.tc("TC-2")
@pytest.mark.xfail(run=False, reason="never")
def test_not_run():
    pass

@pytest.mark.tc("TC-3")
def test_fixture_fails(broken):
    pass
"""

NO_TEST_RUNS = [
    Row(f"no-run-{args[0].lstrip('-')}", TWO, args=args, expect_run=False)
    for args in (
        ("--collect-only",),
        ("--co", "-q"),
        ("--setup-plan",),
        ("--setup-only",),
        ("--fixtures",),
        ("--fixtures-per-test",),
        ("--markers",),
        ("--help",),
    )
] + [
    Row(
        # an IDE discovering tests with the project in the ini file makes no run
        "no-run-collect-only-project-from-ini",
        {**TWO, "pytest.ini": "[pytest]\nbstm_project = PR-1\n"},
        args=("--collect-only",),
        project=None,
        expect_run=False,
    ),
    Row(
        # joining needs no request before a test runs, and cloning is a write
        "no-run-collect-only-joined-run",
        TWO,
        args=("--collect-only",),
        bstm=("--bstm-run", "{run}"),
        join=("TC-1", "TC-2"),
        expect_run=False,
    ),
    Row(
        "no-run-collect-only-cloned-run",
        TWO,
        args=("--collect-only",),
        bstm=("--bstm-clone", "{run}"),
        join=("TC-1", "TC-2"),
        expect_run=False,
    ),
    Row("no-run-nothing-collected", one("def helper():\n    pass\n"), expect_run=False),
    Row(
        "no-mapped-test-makes-no-request",
        one("def test_plain():\n    pass\n"),
        expect_run=False,
        summary=("unmapped:*1 test without a tc marker",),
    ),
    Row("no-run-k-deselects-all", TWO, args=("-k", "nothing_matches"), expect_run=False),
    Row(
        # skip marks and xfail(run=False) are evaluated in setup: still no test executes
        "no-run-setup-plan-with-skips-and-failing-fixture",
        {**TWO, **one(_MARKED_SKIPS)},
        args=("--setup-plan",),
        expect_run=False,
    ),
    Row(
        "no-run-setup-only-with-skips-and-failing-fixture",
        one(_MARKED_SKIPS),
        args=("--setup-only",),
        expect_run=False,
    ),
    Row(
        "no-run-collect-only-select",
        TWO,
        args=("--collect-only",),
        bstm=("--bstm-run", "{run}", "--bstm-select"),
        join=("TC-1",),
        expect_run=False,
    ),
    Row(
        # the only test ends the session before any result: no run, not even a create
        "no-run-pytest-exit-in-first-test",
        one('import pytest\n\n@pytest.mark.tc("TC-1")\ndef test_1():\n    pytest.exit("no")\n'),
        expect_run=False,
    ),
]

_IMPORT_ERROR = {
    "test_broken.py": "import not_a_module_anywhere\n",
    "test_good.py": 'import pytest\n\n@pytest.mark.tc("TC-1")\ndef test_ok():\n    pass\n',
}

COLLECTION = [
    Row("import-error-stops-session", _IMPORT_ERROR, expect_run=False),
    Row(
        "import-error-continue-on-collection-errors",
        _IMPORT_ERROR,
        args=("--continue-on-collection-errors",),
        results={"TC-1": "passed"},
        run_cases=("TC-1",),
    ),
    Row(
        # deselected tests are not part of the session: their cases stay out of the run
        "k-deselects-some",
        TWO,
        args=("-k", "test_ok"),
        results={"TC-1": "passed"},
        run_cases=("TC-1",),
    ),
]

_FOUR = """
import pytest

@pytest.mark.tc("TC-1")
def test_1():
    {one}

@pytest.mark.tc("TC-2")
def test_2():
    {two}

@pytest.mark.tc("TC-3")
def test_3():
    {three}

@pytest.mark.tc("TC-4")
def test_4():
    pass
"""

STOPS = [
    Row(
        "exitfirst",
        one(_FOUR.format(one="pass", two="assert False", three="pass")),
        args=("-x",),
        results={"TC-1": "passed", "TC-2": "failed"},
        run_cases=("TC-1", "TC-2", "TC-3", "TC-4"),
        not_run=2,
    ),
    Row(
        "maxfail-2",
        one(_FOUR.format(one="assert False", two="pass", three="assert False")),
        args=("--maxfail=2",),
        results={"TC-1": "failed", "TC-2": "passed", "TC-3": "failed"},
        run_cases=("TC-1", "TC-2", "TC-3", "TC-4"),
        not_run=1,
    ),
    Row(
        # the interrupted test never finished: no result, counted as not run
        "keyboard-interrupt-in-test",
        one(_FOUR.format(one="pass", two="raise KeyboardInterrupt", three="pass")),
        results={"TC-1": "passed"},
        not_run=3,
        closed=None,
    ),
    Row(
        "pytest-exit-in-test",
        one(_FOUR.format(one="pass", two='pytest.exit("enough")', three="pass")),
        results={"TC-1": "passed"},
        not_run=3,
        closed=None,
    ),
]

# test_2 fails while a file "broken" exists: the first session (``before``) fails it
_CACHED = """
import os
import pytest

@pytest.mark.tc("TC-1")
def test_1():
    pass

@pytest.mark.tc("TC-2")
def test_2():
    assert not os.path.exists("broken")

@pytest.mark.tc("TC-3")
def test_3():
    pass
"""

CACHE = [
    Row(
        "last-failed-second-session",
        one(_CACHED),
        args=("--lf",),
        cache=True,
        before=(),
        results={"TC-2": "passed"},
        run_cases=("TC-2",),
    ),
    Row(
        "stepwise-second-session",
        one(_CACHED),
        args=("--sw",),
        cache=True,
        before=("--sw",),
        results={"TC-2": "passed", "TC-3": "passed"},
        run_cases=("TC-2", "TC-3"),
    ),
]


def _junit_has_users_properties_only(folder: Path, run_id: str | None) -> None:
    xml = (folder / "report.xml").read_text(encoding="utf-8")
    assert '<property name="owner" value="qa-team"' in xml
    assert '<property name="id" value="TC-2"' in xml  # the user's own record_property
    ours = re.findall(r"<[^<>]*bstm[^<>]*>", xml)
    assert not ours, f"the plugin's own data in the JUnit XML: {ours}"


def _first_test_saw_the_run(folder: Path, run_id: str | None) -> None:
    assert run_id is not None
    seen = (folder / "run_id.txt").read_text(encoding="utf-8")
    assert seen == run_id, f"current_run() in the first test returned {seen}, not {run_id}"


REPORTS = [
    Row(
        "junitxml-next-to-the-plugin",
        one(
            """
import pytest

@pytest.mark.tc("TC-1")
def test_marked(record_property):
    record_property("owner", "qa-team")

def test_recorded(record_property):
    record_property("id", "TC-2")
"""
        ),
        args=("--junitxml=report.xml", "-o", "junit_family=xunit1"),
        results={"TC-1": "passed", "TC-2": "passed"},
        check=_junit_has_users_properties_only,
    ),
    Row(
        "select-joined-run-deselects",
        one(
            """
import pytest

@pytest.mark.tc("TC-1")
def test_1():
    pass

@pytest.mark.tc("TC-2")
def test_2():
    assert False

@pytest.mark.tc("TC-3")
def test_3():
    pass
"""
        ),
        bstm=("--bstm-run", "{run}", "--bstm-select"),
        join=("TC-1", "TC-2"),
        results={"TC-1": "passed", "TC-2": "failed"},
        run_cases=("TC-1", "TC-2"),
        summary=("deselected:*1 test whose cases are not in the run",),
        closed=False,
    ),
    Row(
        "current-run-in-first-test",
        one(
            """
import pathlib
import pytest
from pytest_bstm.plugin import current_run

@pytest.mark.tc("TC-1")
def test_first(request):
    pathlib.Path("run_id.txt").write_text(str(current_run(request.config)))
"""
        ),
        results={"TC-1": "passed"},
        check=_first_test_saw_the_run,
    ),
]

ROWS = NO_TEST_RUNS + COLLECTION + STOPS + CACHE + REPORTS

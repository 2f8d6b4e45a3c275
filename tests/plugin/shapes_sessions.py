"""Session-shapes rows: sessions that run no test, stop early, select, rerun, or go to xdist."""

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
    Row("no-run-nothing-collected", one("def helper():\n    pass\n"), expect_run=False),
    Row(
        "no-mapped-test-makes-no-request",
        one("def test_plain():\n    pass\n"),
        expect_run=False,
        summary=("unmapped:*1 test without a tc marker",),
    ),
    Row("no-run-k-deselects-all", TWO, args=("-k", "nothing_matches"), expect_run=False),
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

_RERUNS = """
import pytest

attempts = {"flaky": 0}

@pytest.mark.tc("TC-1")
def test_flaky():
    attempts["flaky"] += 1
    assert attempts["flaky"] >= 2, "first attempt fails"

@pytest.mark.tc("TC-2")
def test_always_fails():
    assert False, "always"
"""

_TIMEOUT = """
import time
import pytest

@pytest.mark.tc("TC-1")
def test_hangs():
    time.sleep(30)

@pytest.mark.tc("TC-2")
def test_ok():
    pass
"""

PLUGINS = [
    Row(
        "rerunfailures-final-attempt-counts",
        one(_RERUNS),
        args=("--reruns", "2"),
        plugins=("pytest_rerunfailures",),
        results={"TC-1": "passed", "TC-2": "failed"},
        descriptions={
            "TC-1": ("attempt 1", "first attempt fails"),
            "TC-2": ("attempt 1", "attempt 2", "always"),
        },
    ),
    Row(
        "timeout-signal-ends-hanging-test",
        one(_TIMEOUT),
        args=("--timeout", "1", "--timeout-method", "signal"),
        plugins=("pytest_timeout",),
        subprocess=True,
        results={"TC-1": "failed", "TC-2": "passed"},
        descriptions={"TC-1": ("Timeout",)},
    ),
]

_CRASH = """
import os
import pytest

@pytest.mark.tc("TC-1")
def test_crash():
    os._exit(1)

@pytest.mark.tc("TC-2")
def test_ok():
    pass
"""

_GROUPS = """
import pytest

@pytest.fixture
def broken():
    raise RuntimeError("no setup")

@pytest.mark.xdist_group("a")
@pytest.mark.tc("TC-1")
def test_a_pass():
    pass

@pytest.mark.xdist_group("b")
@pytest.mark.tc("TC-1")
def test_b_fail():
    assert False, "group b fails"

@pytest.mark.xdist_group("b")
@pytest.mark.tc("TC-2")
def test_b_blocked(broken):
    pass
"""

_SCOPES = """
import pytest

class TestA:
    @pytest.mark.tc("TC-1")
    def test_pass(self):
        pass

    @pytest.mark.tc("TC-2")
    def test_fail(self):
        assert False, "a fails"

class TestB:
    @pytest.mark.tc("TC-3")
    def test_skip(self):
        pytest.skip("b skips")

    @pytest.mark.tc("TC-3")
    def test_pass(self):
        pass
"""

# one xdist group: one worker runs the tests in order; --maxfail=1 stops it after test_1, and
# test_2, already running then, finishes and counts (pytest-xdist >= 3.6 lets it finish)
_GROUP_STOP = """
import time
import pytest

pytestmark = pytest.mark.xdist_group("one")

@pytest.mark.tc("TC-1")
def test_1():
    assert False, "first fails"

@pytest.mark.tc("TC-2")
def test_2():
    time.sleep(0.5)

@pytest.mark.tc("TC-3")
def test_3():
    pass
"""

XDIST = [
    Row(
        "xdist-worker-crash",
        one(_CRASH),
        args=("-n", "2"),
        plugins=("xdist.plugin",),
        subprocess=True,
        results={"TC-1": "failed", "TC-2": "passed"},
        descriptions={"TC-1": ("crashed",)},
    ),
    Row(
        "xdist-loadscope",
        one(_SCOPES),
        args=("-n", "2", "--dist", "loadscope"),
        plugins=("xdist.plugin",),
        subprocess=True,
        results={"TC-1": "passed", "TC-2": "failed", "TC-3": "skipped"},
        descriptions={"TC-2": ("a fails",), "TC-3": ("TestB::test_skip", "TestB::test_pass")},
    ),
    Row(
        "xdist-loadgroup",
        one(_GROUPS),
        args=("-n", "2", "--dist", "loadgroup"),
        plugins=("xdist.plugin",),
        subprocess=True,
        results={"TC-1": "failed", "TC-2": "blocked"},
        descriptions={"TC-1": ("test_a_pass", "test_b_fail", "group b fails")},
    ),
    Row(
        "xdist-maxfail",
        one(_GROUP_STOP),
        args=("-n", "2", "--dist", "loadgroup", "--maxfail=1"),
        plugins=("xdist.plugin",),
        subprocess=True,
        results={"TC-1": "failed", "TC-2": "passed"},
        descriptions={"TC-1": ("first fails",)},
        run_cases=("TC-1", "TC-2", "TC-3"),
        not_run=1,
    ),
    Row(
        # the thread method ends the worker process: xdist reports the test as crashed
        "xdist-timeout-thread-kills-worker",
        one(_TIMEOUT),
        args=("-n", "2", "--timeout", "1", "--timeout-method", "thread"),
        plugins=("xdist.plugin", "pytest_timeout"),
        subprocess=True,
        results={"TC-1": "failed", "TC-2": "passed"},
        descriptions={"TC-1": ("crashed",)},
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

ROWS = NO_TEST_RUNS + COLLECTION + STOPS + CACHE + PLUGINS + XDIST + REPORTS

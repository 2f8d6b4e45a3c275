"""Session-shapes rows: pytest-rerunfailures, pytest-timeout, pytest-xdist."""

from __future__ import annotations

from shapes_row import Row, one

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

# whether xdist starts these before the stop is its own timing: they report nothing
def test_2():
    time.sleep(1.0)

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
        results={"TC-1": "failed"},
        descriptions={"TC-1": ("first fails",)},
        run_cases=("TC-1",),
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

ROWS = PLUGINS + XDIST

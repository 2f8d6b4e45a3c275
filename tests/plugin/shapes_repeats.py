"""Session-shapes rows: one node ID that runs more than once in a session.

Every execution counts: the case's one result waits for all of them, and worst wins (a
failure in the second execution must not be lost behind the first one's pass).
"""

from __future__ import annotations

from shapes_row import Row, one

_SECOND_FAILS = """
import pytest

RUNS = []

@pytest.mark.tc("TC-1")
def test_twice():
    RUNS.append(1)
    assert len(RUNS) == 1, "the second execution fails"

@pytest.mark.tc("TC-2")
def test_ok():
    pass
"""

_FAILS_ON_GW1 = """
import os

import pytest

@pytest.mark.tc("TC-1")
def test_everywhere():
    assert os.environ.get("PYTEST_XDIST_WORKER") != "gw1", "fails on gw1"

@pytest.mark.tc("TC-2")
def test_ok():
    pass
"""

ROWS = [
    Row(
        "keep-duplicates-second-execution-fails",
        one(_SECOND_FAILS),
        args=("--keep-duplicates", "test_shape.py", "test_shape.py"),
        results={"TC-1": "failed", "TC-2": "passed"},
        descriptions={"TC-1": ("the second execution fails", "PASSED test_shape.py::test_twice")},
    ),
    Row(
        # every worker runs every test; both executions of a test end in one result
        "xdist-dist-each-one-worker-fails",
        one(_FAILS_ON_GW1),
        args=("-n", "2", "--dist", "each"),
        plugins=("xdist.plugin",),
        subprocess=True,
        results={"TC-1": "failed", "TC-2": "passed"},
        descriptions={"TC-1": ("fails on gw1", "PASSED test_shape.py::test_everywhere")},
    ),
]

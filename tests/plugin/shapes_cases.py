"""Session-shapes rows: subtests, unittest, doctest, and several tests into one case."""

from __future__ import annotations

from shapes_row import Row, one

_SUBTESTS = """
import pytest

@pytest.mark.tc("TC-1")
def test_subtests(subtests):
    for i in range(3):
        with subtests.test(msg="even", i=i):
            assert {check}, "odd number"
"""

_SUBTEST_SKIP = """
import pytest

@pytest.mark.tc("TC-1")
def test_subtests(subtests):
    with subtests.test(msg="skipped one"):
        pytest.skip("not here")
    with subtests.test(msg="fine one"):
        pass
"""

_SUBTEST_UNITTEST = """
import unittest
import pytest

class TestNumbers(unittest.TestCase):
    @pytest.mark.tc("TC-1")
    def test_subtests(self):
        for i in range(3):
            with self.subTest("even", i=i):
                self.assertTrue({check}, "odd number")
"""

_SUBTEST_UNITTEST_SKIP = """
import unittest
import pytest

class TestNumbers(unittest.TestCase):
    @pytest.mark.tc("TC-1")
    def test_subtests(self):
        with self.subTest("skipped one"):
            self.skipTest("not here")
        with self.subTest("fine one"):
            pass
"""

SUBTESTS = [
    Row(
        "subtests-fixture-all-pass",
        one(_SUBTESTS.format(check="i >= 0")),
        results={"TC-1": "passed"},
    ),
    Row(
        "subtests-fixture-one-fails",
        one(_SUBTESTS.format(check="i != 1")),
        results={"TC-1": "failed"},
        descriptions={"TC-1": ("[even]", "i=1", "odd number")},
    ),
    Row(
        "subtests-fixture-all-fail",
        one(_SUBTESTS.format(check="i < 0")),
        results={"TC-1": "failed"},
        descriptions={"TC-1": ("[even]", "i=0", "i=1", "i=2")},
    ),
    Row(
        # a skipped subtest does not change a test whose other subtests passed
        "subtests-fixture-skip-inside",
        one(_SUBTEST_SKIP),
        results={"TC-1": "passed"},
    ),
    Row(
        "unittest-subtest-all-pass",
        one(_SUBTEST_UNITTEST.format(check="i >= 0")),
        results={"TC-1": "passed"},
    ),
    Row(
        "unittest-subtest-one-fails",
        one(_SUBTEST_UNITTEST.format(check="i != 1")),
        results={"TC-1": "failed"},
        descriptions={"TC-1": ("[even]", "i=1", "odd number")},
    ),
    Row(
        "unittest-subtest-all-fail",
        one(_SUBTEST_UNITTEST.format(check="i < 0")),
        results={"TC-1": "failed"},
        descriptions={"TC-1": ("[even]", "i=0", "i=1", "i=2")},
    ),
    Row(
        "unittest-subtest-skip-inside",
        one(_SUBTEST_UNITTEST_SKIP),
        results={"TC-1": "passed"},
    ),
    # under xdist each report is serialized; pytest-bdd installed (its registry of reports is
    # keyed by report, and a subtest's report cannot be a key) must not fail the test
    Row(
        "subtests-fixture-xdist-with-pytest-bdd",
        one(_SUBTESTS.format(check="i != 1")),
        args=("-n", "2"),
        plugins=("xdist.plugin", "pytest_bdd.plugin"),
        subprocess=True,
        results={"TC-1": "failed"},
        # (the worker sends the subtest's parameters as their repr: i='1')
        descriptions={"TC-1": ("[even]", "1 failed subtest(s)", "odd number")},
    ),
    Row(
        "unittest-subtest-xdist-with-pytest-bdd",
        one(_SUBTEST_UNITTEST.format(check="i >= 0")),
        args=("-n", "2"),
        plugins=("xdist.plugin", "pytest_bdd.plugin"),
        subprocess=True,
        results={"TC-1": "passed"},
    ),
]

UNITTEST_AND_DOCTEST = [
    Row(
        "unittest-testcase-markers",
        one(
            """
import unittest
import pytest

class TestCases(unittest.TestCase):
    @pytest.mark.tc("TC-1")
    def test_ok(self):
        pass

    @pytest.mark.tc("TC-2")
    def test_bad(self):
        self.assertEqual(1, 2, "numbers differ")

    @pytest.mark.tc("TC-3")
    @unittest.skip("later")
    def test_skipped(self):
        pass

    @pytest.mark.tc("TC-4")
    @unittest.expectedFailure
    def test_known_bug(self):
        self.assertEqual(1, 2)

@pytest.mark.tc("TC-5")
class TestWholeClass(unittest.TestCase):
    def test_a(self):
        pass

    def test_b(self):
        pass

@pytest.mark.tc("TC-6")
class TestNoSetup(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise RuntimeError("no fixture data")

    def test_a(self):
        pass
"""
        ),
        results={
            "TC-1": "passed",
            "TC-2": "failed",
            "TC-3": "skipped",
            "TC-4": "skipped",
            "TC-5": "passed",
            "TC-6": "blocked",
        },
        descriptions={
            "TC-2": ("numbers differ",),
            "TC-3": ("later",),
            "TC-5": ("TestWholeClass::test_a", "TestWholeClass::test_b"),
            "TC-6": ("no fixture data",),
        },
    ),
    Row(
        # doctest items take no marker: unmapped, unless the conftest hook maps them
        "doctest-modules-next-to-marked-tests",
        {
            "test_shape.py": (
                'import pytest\n\n@pytest.mark.tc("TC-1")\ndef test_ok():\n    pass\n'
            ),
            "calc.py": '''
def add(a, b):
    """
    >>> add(1, 2)
    3
    """
    return a + b


def sub(a, b):
    """
    >>> sub(3, 1)
    1
    """
    return a - b
''',
            "conftest.py": """
def pytest_bstm_case_ids(item):
    if item.name == "calc.add":
        return ["TC-2"]
    return None
""",
        },
        args=("--doctest-modules",),
        results={"TC-1": "passed", "TC-2": "passed"},
        descriptions={"TC-2": ("calc.py::calc.add",)},
        summary=("unmapped:*1 test without a tc marker",),
    ),
]

_THREE_WAYS_CONFTEST = """
def pytest_bstm_case_ids(item):
    if item.name == "test_by_hook":
        return ["TC-1"]
    return None
"""

AGGREGATION = [
    Row(
        "parametrized-test-into-one-case",
        one(
            """
import pytest

@pytest.mark.tc("TC-1")
@pytest.mark.parametrize("n", [1, 2, 3])
def test_param(n):
    assert n != 2, "two is bad"
"""
        ),
        results={"TC-1": "failed"},
        descriptions={"TC-1": ("test_param[1]", "test_param[2]", "test_param[3]", "two is bad")},
    ),
    Row(
        "parametrized-fixture-into-one-case",
        one(
            """
import pytest

@pytest.fixture(params=["sqlite", "postgres"])
def backend(request):
    return request.param

@pytest.mark.tc("TC-1")
def test_backend(backend):
    pass
"""
        ),
        results={"TC-1": "passed"},
        descriptions={"TC-1": ("test_backend[sqlite]", "test_backend[postgres]")},
    ),
    Row(
        "marker-record-property-hook-into-one-case",
        one(
            """
import pytest

@pytest.mark.tc("TC-1")
def test_by_marker():
    pass

def test_by_property(record_property):
    record_property("id", "TC-1")

def test_by_hook():
    assert 1 == 2, "hooked test fails"
""",
            conftest=_THREE_WAYS_CONFTEST,
        ),
        results={"TC-1": "failed"},
        descriptions={
            "TC-1": ("test_by_marker", "test_by_property", "test_by_hook", "hooked test fails")
        },
    ),
    Row(
        # issue 9 point 5: one case reached two ways must not stall the upload
        "marker-pass-and-record-property-fail-one-case",
        one(
            """
import pytest

@pytest.mark.tc("TC-1")
def test_a():
    pass

def test_b(record_property):
    record_property("id", "TC-1")
    assert 1 == 2, "b fails"
"""
        ),
        results={"TC-1": "failed"},
        descriptions={"TC-1": ("test_a", "test_b", "b fails")},
    ),
    Row(
        "worst-wins-with-custom-status",
        {
            "test_shape.py": """
import pytest

@pytest.fixture
def broken():
    raise RuntimeError("no setup")

@pytest.mark.tc("TC-1")
def test_1_pass():
    pass

@pytest.mark.tc("TC-1", "TC-2", "TC-3")
def test_1_skip():
    pytest.skip("skipped")

@pytest.mark.tc("TC-1", "TC-4")
def test_1_blocked(broken):
    pass

@pytest.mark.tc("TC-2", "TC-4")
@pytest.mark.xfail(reason="known")
def test_2_xfail():
    assert False

@pytest.mark.tc("TC-3")
def test_3_fail():
    assert False
""",
            "pytest.ini": "[pytest]\nbstm_status_map =\n    xfailed = flaky\n",
        },
        results={"TC-1": "blocked", "TC-2": "flaky", "TC-3": "failed", "TC-4": "flaky"},
        descriptions={"TC-1": ("test_1_pass", "test_1_skip", "test_1_blocked")},
    ),
]


ROWS = SUBTESTS + UNITTEST_AND_DOCTEST + AGGREGATION

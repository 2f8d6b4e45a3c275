"""Session-shapes rows: what each kind of test outcome becomes in TM (one session each)."""

from __future__ import annotations

from shapes_row import Row, one

OUTCOMES = [
    Row(
        "pass",
        one('import pytest\n\n@pytest.mark.tc("TC-1")\ndef test_ok():\n    pass\n'),
        results={"TC-1": "passed"},
        descriptions={"TC-1": ("PASSED test_shape.py::test_ok",)},
    ),
    Row(
        "fail",
        one(
            'import pytest\n\n@pytest.mark.tc("TC-1")\ndef test_bad():\n'
            '    assert 1 == 2, "numbers differ"\n'
        ),
        results={"TC-1": "failed"},
        descriptions={"TC-1": ("test_shape.py::test_bad", "numbers differ")},
    ),
    Row(
        "skip-call-and-marker",
        one(
            """
import pytest

@pytest.mark.tc("TC-1")
def test_skip_call():
    pytest.skip("not today")

@pytest.mark.tc("TC-2")
@pytest.mark.skip(reason="later")
def test_skip_marker():
    pass
"""
        ),
        results={"TC-1": "skipped", "TC-2": "skipped"},
        descriptions={"TC-1": ("not today",), "TC-2": ("later",)},
    ),
    Row(
        "xfail",
        one(
            """
import pytest

@pytest.mark.tc("TC-1")
@pytest.mark.xfail(reason="bug 7")
def test_marker():
    assert False

@pytest.mark.tc("TC-2")
def test_imperative():
    pytest.xfail("bug 8")
"""
        ),
        results={"TC-1": "skipped", "TC-2": "skipped"},
        descriptions={"TC-1": ("bug 7",), "TC-2": ("bug 8",)},
    ),
    Row(
        "xpass",
        one(
            'import pytest\n\n@pytest.mark.tc("TC-1")\n@pytest.mark.xfail(reason="bug 7")\n'
            "def test_xpass():\n    pass\n"
        ),
        results={"TC-1": "passed"},
    ),
    Row(
        "xpass-strict",
        one(
            'import pytest\n\n@pytest.mark.tc("TC-1")\n'
            '@pytest.mark.xfail(reason="bug 7", strict=True)\ndef test_xpass():\n    pass\n'
        ),
        results={"TC-1": "failed"},
        descriptions={"TC-1": ("XPASS(strict)", "bug 7")},
    ),
    Row(
        "xfail-run-false",
        one(
            'import pytest\n\n@pytest.mark.tc("TC-1")\n'
            '@pytest.mark.xfail(reason="hangs", run=False)\ndef test_never():\n    pass\n'
        ),
        results={"TC-1": "skipped"},
        descriptions={"TC-1": ("hangs",)},
    ),
    Row(
        "setup-error-function-fixture",
        one(
            """
import pytest

@pytest.fixture
def db():
    raise RuntimeError("db down")

@pytest.mark.tc("TC-1")
def test_uses_db(db):
    pass
"""
        ),
        results={"TC-1": "blocked"},
        descriptions={"TC-1": ("db down",)},
    ),
    Row(
        "teardown-error-function-fixture",
        one(
            """
import pytest

@pytest.fixture
def db():
    yield
    raise RuntimeError("cleanup broke")

@pytest.mark.tc("TC-1")
def test_passes(db):
    pass

@pytest.mark.tc("TC-2")
def test_fails_too(db):
    assert 1 == 2, "numbers differ"
"""
        ),
        results={"TC-1": "failed", "TC-2": "failed"},
        # the teardown's failure is named even when the call's failure decided the outcome
        descriptions={"TC-1": ("cleanup broke",), "TC-2": ("numbers differ", "cleanup broke")},
    ),
    Row(
        "setup-error-and-teardown-error-of-one-test",
        one(
            """
import pytest

@pytest.fixture
def db():
    yield
    raise RuntimeError("cleanup broke")

@pytest.fixture
def server():
    raise RuntimeError("server down")

@pytest.mark.tc("TC-1")
def test_both(db, server):
    pass
"""
        ),
        results={"TC-1": "failed"},
        descriptions={"TC-1": ("server down", "cleanup broke")},
    ),
    Row(
        "setup-error-class-fixture",
        one(
            """
import pytest

@pytest.fixture(scope="class")
def server():
    raise RuntimeError("server down")

@pytest.mark.usefixtures("server")
class TestApi:
    @pytest.mark.tc("TC-1")
    def test_one(self):
        pass

    @pytest.mark.tc("TC-2")
    def test_two(self):
        pass
"""
        ),
        results={"TC-1": "blocked", "TC-2": "blocked"},
        descriptions={"TC-1": ("server down",), "TC-2": ("server down",)},
    ),
    Row(
        # pytest reports a class fixture's teardown error on the class's last test
        "teardown-error-class-fixture",
        one(
            """
import pytest

@pytest.fixture(scope="class")
def server():
    yield
    raise RuntimeError("stop failed")

@pytest.mark.usefixtures("server")
class TestApi:
    @pytest.mark.tc("TC-1")
    def test_one(self):
        pass

    @pytest.mark.tc("TC-2")
    def test_two(self):
        pass
"""
        ),
        results={"TC-1": "passed", "TC-2": "failed"},
        descriptions={"TC-2": ("stop failed",)},
    ),
    Row(
        "setup-error-module-fixture",
        one(
            """
import pytest

@pytest.fixture(scope="module", autouse=True)
def data():
    raise RuntimeError("no data")

@pytest.mark.tc("TC-1")
def test_one():
    pass

@pytest.mark.tc("TC-2")
def test_two():
    pass
"""
        ),
        results={"TC-1": "blocked", "TC-2": "blocked"},
        descriptions={"TC-1": ("no data",), "TC-2": ("no data",)},
    ),
    Row(
        "teardown-error-module-fixture",
        one(
            """
import pytest

@pytest.fixture(scope="module", autouse=True)
def data():
    yield
    raise RuntimeError("cleanup failed")

@pytest.mark.tc("TC-1")
def test_one():
    pass

@pytest.mark.tc("TC-2")
def test_two():
    pass
"""
        ),
        results={"TC-1": "passed", "TC-2": "failed"},
        descriptions={"TC-2": ("cleanup failed",)},
    ),
]


ROWS = OUTCOMES

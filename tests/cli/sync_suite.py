"""The suite the ``bstm cases sync`` tests onboard, and a helper to write it."""

from __future__ import annotations

from pathlib import Path

Files = dict[str, bytes]

#: Functions (in collection order): test_list_users, test_recorded (record_property),
#: test_user_can_log_in, test_mapped (marker), test_many (3 parameter sets),
#: TestSession::test_expires, test_tc_3_by_name (the conftest hook). Four need a case.
SUITE = {
    "tests/conftest.py": """\
def pytest_bstm_case_ids(item):
    # tests named test_tc_<n>_... map by name
    if item.name.startswith("test_tc_"):
        return ["TC-" + item.name.split("_")[2]]
    return None
""",
    "tests/test_login.py": '''\
import pytest


def test_user_can_log_in():
    """User logs in with a valid password.

    Uses the demo account."""


@pytest.mark.tc("TC-1")
def test_mapped():
    pass


@pytest.mark.parametrize("n", [1, 2, 3])
def test_many(n):
    assert n


class TestSession:
    # the session expires after an hour
    @pytest.mark.parametrize("minutes", [61])
    def test_expires(self, minutes):
        assert minutes > 60


def test_tc_3_by_name():
    pass
''',
    "tests/api/v1/test_users.py": """\
# Users API
def test_list_users():
    pass


def test_recorded(record_property):
    record_property("id", "TC-2")
""",
}

#: The two test modules after `bstm cases sync --write-markers` on a fresh emulator.
USERS_AFTER = """\
# Users API
import pytest

@pytest.mark.tc("TC-1006")
def test_list_users():
    pass


def test_recorded(record_property):
    record_property("id", "TC-2")
"""

LOGIN_AFTER = '''\
import pytest


@pytest.mark.tc("TC-1007")
def test_user_can_log_in():
    """User logs in with a valid password.

    Uses the demo account."""


@pytest.mark.tc("TC-1")
def test_mapped():
    pass


@pytest.mark.tc("TC-1008")
@pytest.mark.parametrize("n", [1, 2, 3])
def test_many(n):
    assert n


class TestSession:
    # the session expires after an hour
    @pytest.mark.tc("TC-1009")
    @pytest.mark.parametrize("minutes", [61])
    def test_expires(self, minutes):
        assert minutes > 60


def test_tc_3_by_name():
    pass
'''


def write_files(root: Path, files: dict[str, str] | dict[str, bytes]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())

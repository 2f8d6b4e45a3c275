"""``bstm_configuration_from_session``: the OS, browser or device of a test's BrowserStack
session names the TM configuration of its results, against stand-in drivers that answer
``getSessionDetails`` as a BrowserStack session does."""

from __future__ import annotations

import bstm_helpers
import pytest
from bstm_helpers import Inner

from pytest_bstm.delivery.journal import read

CONFIGURATIONS = [
    {"id": 201, "name": "Chrome"},
    {"id": 202, "name": "Windows 11 Firefox"},
    {"id": 203, "name": "Google Pixel 7"},
    {"id": 101, "name": "Staging"},
]

STAND_IN = """
import json

import pytest

SESSIONS = {
    "chrome": {"os": "Windows", "os_version": "10", "browser": "chrome"},
    "firefox": {"os": "Windows", "os_version": "11", "browser": "firefox"},
    "pixel": {"os": "android", "os_version": "13.0", "browser": None, "device": "Google Pixel 7"},
    "opera": {"os": "OS X", "os_version": "Sonoma", "browser": "opera"},
}


class StandInDriver:
    def __init__(self, details):
        self.details = {**details, "public_url": "https://automate.browserstack.com/s/1"}

    def execute_script(self, script, *args):
        command = json.loads(script.split(": ", 1)[1])
        if command["action"] == "getSessionDetails":
            return json.dumps(self.details)
        return None


@pytest.fixture
def driver(bstm, request):
    d = StandInDriver(SESSIONS[request.param])
    bstm.browserstack_session(d)
    return d
"""

TESTS = """
import pytest

def on(*names):
    return pytest.mark.parametrize("driver", names, indirect=True)

@pytest.mark.tc("TC-1")
@on("chrome")
def test_browser(driver):
    pass

@pytest.mark.tc("TC-2")
@on("firefox")
def test_os_and_browser(driver):
    assert False, "checkout broke"

@pytest.mark.tc("TC-3")
@on("pixel")
def test_device(driver):
    pass

@pytest.mark.tc("TC-4", configurations=[101])  # the marker's own configuration wins
@on("chrome")
def test_pinned(driver):
    pass

@pytest.mark.tc("TC-5")
def test_without_a_session():
    pass
"""


def _setup(inner: Inner, *map_lines: str, ini: bool = True) -> None:
    inner.emulator.add_configurations(CONFIGURATIONS)
    lines = ["[pytest]"]
    if ini:
        lines.append("bstm_configuration_from_session = true")
    if map_lines:
        lines += ["bstm_configuration_map =", *(f"    {line}" for line in map_lines)]
    inner.pytester.makeini("\n".join(lines) + "\n")
    inner.pytester.makeconftest(STAND_IN)


def _pairs(inner: Inner, run: str) -> set[tuple[str, int | None]]:
    return {(c["test_case_id"], c["configuration_id"]) for c in inner.emulator.run_cases(run)}


def test_the_session_names_the_configuration_by_browser_os_and_device(inner: Inner) -> None:
    _setup(inner)
    inner.pytester.makepyfile(TESTS)
    inner.run().assert_outcomes(passed=4, failed=1)
    run = inner.only_run()["identifier"]
    assert inner.statuses(run) == {
        ("TC-1", 201): "passed",  # "Windows 10 chrome" is none, "chrome" is Chrome
        ("TC-2", 202): "failed",  # "Windows 11 firefox"
        ("TC-3", 203): "passed",  # the device
        ("TC-4", 101): "passed",
        ("TC-5", None): "passed",
    }
    assert set(inner.statuses(run)) <= _pairs(inner, run)  # the run got the pairs it needed


def test_the_map_wins_over_the_listing_and_the_flag_turns_it_on(inner: Inner) -> None:
    _setup(inner, "chrome = 101", ini=False)
    inner.pytester.makepyfile(TESTS)
    inner.run("--bstm-configuration-from-session").assert_outcomes(passed=4, failed=1)
    statuses = inner.statuses(inner.only_run()["identifier"])
    assert statuses[("TC-1", 101)] == "passed"
    assert ("TC-1", 201) not in statuses


def test_off_by_default_the_session_names_nothing(inner: Inner) -> None:
    _setup(inner, ini=False)
    inner.pytester.makepyfile(TESTS)
    inner.run().assert_outcomes(passed=4, failed=1)
    statuses = inner.statuses(inner.only_run()["identifier"])
    assert ("TC-1", None) in statuses
    assert ("TC-2", None) in statuses


OPERA = """
import pytest

@pytest.mark.tc("TC-1")
@pytest.mark.parametrize("driver", ["opera"], indirect=True)
@pytest.mark.parametrize("n", range(6))
def test_opera(driver, n):
    pass
"""


@pytest.mark.parametrize("xdist", [False, True], ids=["serial", "xdist"])
def test_names_that_match_nothing_keep_the_configuration_with_one_note(
    inner: Inner, xdist: bool
) -> None:
    _setup(inner)
    inner.pytester.makepyfile(OPERA)
    if xdist:
        args = inner.args("-p", "xdist.plugin", "-n", "2", "--bstm-configurations", "101")
        result = inner.pytester.runpytest_subprocess(*args)
    else:
        result = inner.run("--bstm-configurations", "101")
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=6)
    assert inner.statuses(inner.only_run()["identifier"]) == {("TC-1", 101): "passed"}
    out = result.stdout.str()
    note = "BrowserStack session names no TM configuration ('OS X Sonoma opera', 'opera'"
    assert out.count(note) == 1, out
    assert "Chrome (201)" in out
    assert "Google Pixel 7 (203)" in out


def test_under_xdist_the_worker_reads_the_session_and_the_controller_reports_it(
    inner: Inner,
) -> None:
    _setup(inner)
    inner.pytester.makepyfile(TESTS)
    args = inner.args("-p", "xdist.plugin", "-n", "2")
    inner.pytester.runpytest_subprocess(*args).assert_outcomes(passed=4, failed=1)
    run = inner.only_run()["identifier"]
    assert inner.statuses(run) == {
        ("TC-1", 201): "passed",
        ("TC-2", 202): "failed",
        ("TC-3", 203): "passed",
        ("TC-4", 101): "passed",
        ("TC-5", None): "passed",
    }
    assert set(inner.statuses(run)) <= _pairs(inner, run)


def test_a_session_scoped_driver_names_the_configuration_of_each_test_that_uses_it(
    inner: Inner,
) -> None:
    _setup(inner)
    inner.pytester.makeconftest(
        STAND_IN
        + """

import pytest_bstm


@pytest.fixture(scope="session")
def shared_driver(request):
    d = StandInDriver(SESSIONS["firefox"])
    pytest_bstm.browserstack_session(request, d)
    return d
"""
    )
    inner.pytester.makepyfile(
        """
import pytest

@pytest.mark.tc("TC-1")
def test_first(shared_driver):
    pass

@pytest.mark.tc("TC-2")
def test_second(shared_driver):
    pass

@pytest.mark.tc("TC-3")
def test_without_driver():
    pass
"""
    )
    inner.run().assert_outcomes(passed=3)
    assert inner.statuses(inner.only_run()["identifier"]) == {
        ("TC-1", 202): "passed",
        ("TC-2", 202): "passed",
        ("TC-3", None): "passed",
    }


def test_an_unreadable_listing_leaves_the_map_alone_to_name_configurations(inner: Inner) -> None:
    _setup(inner, "chrome = 101")
    inner.emulator.faults.fail(status=403, times=1, path_contains="/configurations")
    inner.pytester.makepyfile(
        """
import pytest

@pytest.mark.tc("TC-1")
@pytest.mark.parametrize("driver", ["chrome"], indirect=True)
def test_mapped(driver):
    pass

@pytest.mark.tc("TC-2")
@pytest.mark.parametrize("driver", ["firefox"], indirect=True)
def test_unmapped(driver):
    pass
"""
    )
    result = inner.run()
    result.assert_outcomes(passed=2)
    statuses = inner.statuses(inner.only_run()["identifier"])
    assert statuses == {("TC-1", 101): "passed", ("TC-2", None): "passed"}
    out = result.stdout.str()
    assert "(HTTP 403): only bstm_configuration_map names sessions' configurations" in out
    assert "'Windows 11 firefox', 'firefox'; the account's: unread)" in out


TWO_ON_ONE = """
import pytest

def on(*names):
    return pytest.mark.parametrize("driver", names, indirect=True)

@pytest.mark.tc("TC-17")
@on("chrome")
def test_first_passes(driver):
    pass

@pytest.mark.tc("TC-17")
@on("chrome")
def test_second_fails(driver):
    assert False, "checkout broke"

@pytest.mark.tc("TC-18")
def test_later(driver=None):
    pass
"""


@pytest.mark.parametrize("xdist", [False, True], ids=["serial", "xdist"])
def test_two_tests_a_session_moves_to_one_pair_give_one_result_the_worst(
    inner: Inner, xdist: bool
) -> None:
    _setup(inner)
    inner.pytester.makepyfile(TWO_ON_ONE)
    if xdist:
        result = inner.pytester.runpytest_subprocess(*inner.args("-p", "xdist.plugin", "-n", "2"))
    else:
        result = inner.run()
    result.assert_outcomes(passed=2, failed=1)
    run = inner.only_run()["identifier"]
    assert inner.statuses(run)[("TC-17", 201)] == "failed"  # never the first test's green
    [stored] = [r for r in inner.emulator.results(run) if r["configuration_id"] == 201]
    assert "test_first_passes" in stored["description"]
    assert "test_second_fails" in stored["description"]


CRASH = """
import os
import pytest

@pytest.mark.tc("TC-1")
@pytest.mark.parametrize("driver", ["firefox"], indirect=True)
def test_first(driver, bstm):
    bstm.attach(b"first screen", name="shot.png")

@pytest.mark.tc("TC-1")
@pytest.mark.parametrize("driver", ["firefox"], indirect=True)
def test_dies(driver, bstm):
    bstm.attach(b"last screen", name="shot.png")
    os._exit(3)
"""


@pytest.mark.parametrize("xdist", [False, True], ids=["serial", "xdist"])
def test_a_test_that_crashes_reports_under_the_configuration_its_session_named(
    inner: Inner, xdist: bool
) -> None:
    _setup(inner)
    inner.pytester.makepyfile(test_crash=CRASH)
    extra = ["-p", "xdist.plugin", "-n", "1"] if xdist else []
    result = inner.pytester.runpytest_subprocess(*inner.args("--bstm-journal", "j.jsonl", *extra))
    assert result.ret != 0
    journal = inner.pytester.path / "j.jsonl"
    bstm_helpers.wait_until(lambda: read(journal).closed)  # its sender finished the journal
    run = inner.only_run()["identifier"]
    assert inner.statuses(run) == {("TC-1", 202): "failed"}  # "Windows 11 firefox"
    [stored] = inner.emulator.results(run)
    assert "test_first" in stored["description"]
    assert "test_dies" in stored["description"]
    names = sorted(a["name"] for a in stored["attachments"])
    assert names == ["test_dies_firefox-shot.png", "test_first_firefox-shot.png"]

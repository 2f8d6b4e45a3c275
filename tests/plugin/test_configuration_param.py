"""bstm_configuration_param: a parameter's value names each result's TM configuration."""

from __future__ import annotations

import time

import pytest
from bstm_helpers import API, Inner

BROWSERS = [
    {"id": 201, "name": "Chrome"},
    {"id": 202, "name": "Firefox"},
    {"id": 203, "name": "Safari"},
]

PARAMETRIZED = """
import pytest

@pytest.mark.tc("TC-1")
@pytest.mark.parametrize("browser", ["chrome", "FIREFOX", pytest.param("Safari", id="apple")])
def test_checkout(browser):
    assert browser != "FIREFOX", "the basket is empty"


@pytest.mark.tc("TC-2")
@pytest.mark.parametrize(
    "browser", ["chrome", pytest.param("edge-beta", marks=pytest.mark.tc("TC-3"))]
)
def test_search(browser):
    pass


@pytest.mark.tc("TC-4", configurations=[101])  # the marker's own configurations win
@pytest.mark.parametrize("browser", ["chrome"])
def test_pinned(browser):
    pass


@pytest.mark.tc("TC-5")
def test_without_the_parameter():
    pass
"""


def _ini(inner: Inner, *lines: str) -> None:
    inner.pytester.makeini(
        "[pytest]\nbstm_configuration_param = browser\nbstm_configuration_map =\n"
        + "".join(f"    {line}\n" for line in lines)
    )


def test_each_parameter_set_reports_its_own_configuration(inner: Inner) -> None:
    inner.emulator.add_configurations(BROWSERS)
    _ini(inner, "edge-beta = 102")  # the map names what the listing does not
    inner.pytester.makepyfile(PARAMETRIZED)
    result = inner.run()
    result.assert_outcomes(passed=6, failed=1)
    run = inner.only_run()["identifier"]
    assert inner.statuses(run) == {
        ("TC-1", 201): "passed",
        ("TC-1", 202): "failed",
        ("TC-1", 203): "passed",
        ("TC-2", 201): "passed",
        ("TC-3", 102): "passed",
        ("TC-4", 101): "passed",
        ("TC-5", None): "passed",
    }
    pairs = {(c["test_case_id"], c["configuration_id"]) for c in inner.emulator.run_cases(run)}
    assert pairs == set(inner.statuses(run))  # the run holds exactly the pairs it needs
    described = {
        (r["test_case_id"], r["configuration_id"]): r["description"]
        for r in inner.emulator.results(run)
    }
    assert "test_checkout[FIREFOX]" in described[("TC-1", 202)]
    assert "test_checkout[chrome]" not in described[("TC-1", 202)]


def test_the_map_wins_over_the_listing_and_the_option_names_the_parameter(inner: Inner) -> None:
    inner.emulator.add_configurations(BROWSERS)
    inner.pytester.makeini("[pytest]\nbstm_configuration_map =\n    chrome = 103\n")
    inner.pytester.makepyfile(
        """
import pytest

@pytest.mark.tc("TC-1")
@pytest.mark.parametrize("engine", ["chrome", "firefox"])
def test_render(engine):
    pass
"""
    )
    result = inner.run("--bstm-configuration-param", "engine")
    result.assert_outcomes(passed=2)
    run = inner.only_run()["identifier"]
    assert inner.statuses(run) == {("TC-1", 103): "passed", ("TC-1", 202): "passed"}


def test_fixture_params_and_indirect_parametrization(inner: Inner) -> None:
    inner.emulator.add_configurations(BROWSERS)
    _ini(inner)
    inner.pytester.makepyfile(
        """
import pytest

@pytest.fixture(params=["chrome", "firefox", "safari"])
def browser(request):
    return {"name": request.param}


@pytest.mark.tc("TC-1")
def test_login(browser):
    assert browser["name"] != "safari"


@pytest.mark.tc("TC-2")
@pytest.mark.parametrize("browser", ["firefox"], indirect=True)
def test_logout(browser):
    pass
"""
    )
    result = inner.run()
    result.assert_outcomes(passed=3, failed=1)
    run = inner.only_run()["identifier"]
    assert inner.statuses(run) == {
        ("TC-1", 201): "passed",
        ("TC-1", 202): "passed",
        ("TC-1", 203): "failed",
        ("TC-2", 202): "passed",
    }


def test_an_unknown_value_stops_the_session_before_any_write(inner: Inner) -> None:
    inner.emulator.add_configurations(BROWSERS)
    _ini(inner)
    inner.pytester.makepyfile(
        """
import pytest

@pytest.mark.tc("TC-1")
@pytest.mark.parametrize("browser", ["chrome", "opera"])
def test_checkout(browser):
    pass
"""
    )
    result = inner.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*no TM configuration is named by these values of 'browser'*",
            "*test_checkout?opera?: browser='opera'",
            "*configurations: *Chrome (201), Firefox (202), Safari (203).",
            "*bstm_configuration_map*",
        ]
    )
    assert "test_checkout[chrome]" not in result.stderr.str()
    assert inner.emulator.runs("PR-1") == []
    assert [c for c in inner.calls() if c[0] != "GET"] == []


def test_a_bad_map_line_is_a_usage_error(inner: Inner) -> None:
    _ini(inner, "chrome: 101")
    inner.pytester.makepyfile("def test_a(): pass\n")
    result = inner.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*bstm_configuration_map line 'chrome: 101' must read 'name = configuration ID'*"]
    )


def test_under_xdist_each_worker_maps_the_same_configurations(inner: Inner) -> None:
    inner.emulator.add_configurations(BROWSERS)
    _ini(inner)
    inner.pytester.makepyfile(
        """
import pytest

@pytest.mark.tc("TC-1")
@pytest.mark.parametrize("browser", ["chrome", "firefox", "safari"])
@pytest.mark.parametrize("n", range(4))
def test_checkout(browser, n):
    assert not (browser == "safari" and n == 3)
"""
    )
    result = inner.pytester.runpytest_subprocess(*inner.args("-p", "xdist.plugin", "-n", "2"))
    result.assert_outcomes(passed=11, failed=1)
    run = inner.only_run()["identifier"]
    assert inner.statuses(run) == {
        ("TC-1", 201): "passed",
        ("TC-1", 202): "passed",
        ("TC-1", 203): "failed",
    }
    assert ("POST", API) in inner.calls()


def test_an_unreadable_listing_leaves_only_the_map_and_says_so(inner: Inner) -> None:
    inner.emulator.add_configurations(BROWSERS)
    inner.emulator.faults.fail(status=403, times=1, path_contains="/configurations")
    _ini(inner, "chrome = 201")
    inner.pytester.makepyfile(
        """
import pytest

@pytest.mark.tc("TC-1")
@pytest.mark.parametrize("browser", ["chrome", "opera"])
def test_checkout(browser):
    pass
"""
    )
    result = inner.run()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*could not read the account's configurations (HTTP 403): unless "
            "bstm_configuration_map names every value of 'browser', the tests report under "
            "the default configurations*"
        ]
    )
    run = inner.only_run()["identifier"]
    assert inner.statuses(run) == {("TC-1", None): "passed"}  # nothing lost, nothing split

    # the map names every value: it alone applies
    inner.emulator.reset()
    inner.emulator.add_configurations(BROWSERS)
    inner.emulator.faults.fail(status=403, times=1, path_contains="/configurations")
    _ini(inner, "chrome = 201", "opera = 202")
    result = inner.run()
    result.assert_outcomes(passed=2)
    run = inner.only_run()["identifier"]
    assert inner.statuses(run) == {("TC-1", 201): "passed", ("TC-1", 202): "passed"}


def test_a_case_under_configurations_and_under_none_keeps_every_result(inner: Inner) -> None:
    inner.emulator.add_configurations(BROWSERS)
    _ini(inner)
    inner.pytester.makepyfile(
        """
import pytest

@pytest.mark.tc("TC-1")
@pytest.mark.parametrize("browser", ["chrome", "firefox"])
def test_page(browser):
    pass


@pytest.mark.tc("TC-1")
def test_api():
    assert False, "the API is down"
"""
    )
    result = inner.run()
    result.assert_outcomes(passed=2, failed=1)
    assert "rejected" not in result.stdout.str()
    run = inner.only_run()["identifier"]
    assert inner.statuses(run) == {
        ("TC-1", None): "failed",
        ("TC-1", 201): "passed",
        ("TC-1", 202): "passed",
    }


def test_a_dry_run_reads_the_configurations_and_rehearses_with_them(inner: Inner) -> None:
    inner.emulator.add_configurations(BROWSERS)
    _ini(inner)
    inner.pytester.makepyfile(
        """
import pytest

@pytest.mark.tc("TC-1")
@pytest.mark.parametrize("browser", ["chrome", "safari"])
def test_a(browser):
    pass
"""
    )
    result = inner.run("--bstm-dry-run")
    result.assert_outcomes(passed=2)
    out = result.stdout.str()
    assert '"configuration_ids":[201,203]' in out
    assert "results that would be uploaded: 2 passed" in out
    assert "error:" not in out
    assert inner.emulator.runs("PR-1") == []
    assert {r["method"] for r in inner.emulator.requests} == {"GET"}


def test_a_map_line_naming_an_id_the_account_lacks_stops_the_session(inner: Inner) -> None:
    inner.emulator.add_configurations(BROWSERS)
    _ini(inner, "edge = 999")
    inner.pytester.makepyfile(
        """
import pytest

@pytest.mark.tc("TC-1")
@pytest.mark.parametrize("browser", ["chrome", "edge"])
def test_x(browser):
    pass
"""
    )
    result = inner.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*bstm_configuration_map: edge = 999 (no such configuration ID)*"])
    assert inner.emulator.runs("PR-1") == []


def test_configurations_from_a_service_that_does_not_answer_are_given_up(inner: Inner) -> None:
    _ini(inner)
    inner.pytester.makepyfile(
        """
import pytest

@pytest.mark.tc("TC-1")
def test_x():
    pass
"""
    )
    inner.emulator.faults.down(True)
    try:
        started = time.monotonic()
        result = inner.run("--bstm-drain-timeout", "1")
        elapsed = time.monotonic() - started
    finally:
        inner.emulator.faults.down(False)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*could not read the account's configurations*"])
    assert elapsed < 30, elapsed


def test_reruns_and_k_keep_one_result_per_configuration(inner: Inner) -> None:
    inner.emulator.add_configurations(BROWSERS)
    _ini(inner)
    inner.pytester.makepyfile(
        """
import pytest

ATTEMPTS = {}


@pytest.mark.tc("TC-1")
@pytest.mark.parametrize("browser", ["chrome", "firefox", "opera"])
def test_checkout(browser):
    ATTEMPTS[browser] = ATTEMPTS.get(browser, 0) + 1
    assert browser != "chrome" or ATTEMPTS[browser] > 1, "flaky"
"""
    )
    # -k leaves out the value no configuration has: only what runs is checked and reported
    result = inner.run("-p", "pytest_rerunfailures", "--reruns", "1", "-k", "not opera")
    result.assert_outcomes(passed=2, deselected=1)
    result.stdout.fnmatch_lines(["*2 passed, 1 deselected, 1 rerun*"])
    run = inner.only_run()["identifier"]
    assert inner.statuses(run) == {("TC-1", 201): "passed", ("TC-1", 202): "passed"}


def test_two_map_lines_for_one_name_in_any_case_are_a_usage_error(inner: Inner) -> None:
    _ini(inner, "Chrome = 101", "chrome = 102", "firefox = 102")
    inner.pytester.makepyfile("def test_a(): pass\n")
    result = inner.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*bstm_configuration_map names 'chrome' twice*101 and 102*"])
    assert inner.emulator.runs("PR-1") == []


def test_an_empty_parameter_set_is_skipped_as_pytest_skips_it(inner: Inner) -> None:
    inner.emulator.add_configurations(BROWSERS)
    _ini(inner)
    inner.pytester.makepyfile(
        """
import pytest

@pytest.mark.tc("TC-1")
@pytest.mark.parametrize("browser", [])
def test_empty(browser):
    pass


@pytest.mark.tc("TC-2")
@pytest.mark.parametrize("browser", ["chrome"])
def test_full(browser):
    pass
"""
    )
    result = inner.run()
    result.assert_outcomes(passed=1, skipped=1)
    run = inner.only_run()["identifier"]
    assert inner.statuses(run)[("TC-2", 201)] == "passed"


def test_a_name_two_configurations_share_is_a_usage_error_unless_mapped(inner: Inner) -> None:
    inner.emulator.add_configurations([*BROWSERS, {"id": 204, "name": "chrome"}])
    _ini(inner)
    inner.pytester.makepyfile(
        """
import pytest

@pytest.mark.tc("TC-1")
@pytest.mark.parametrize("browser", ["chrome"])
def test_checkout(browser):
    pass
"""
    )
    result = inner.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*browser='chrome' names more than one configuration (201, 204)*"])
    assert inner.emulator.runs("PR-1") == []
    _ini(inner, "chrome = 204")  # the map settles it
    inner.run().assert_outcomes(passed=1)
    assert inner.statuses(inner.only_run()["identifier"]) == {("TC-1", 204): "passed"}

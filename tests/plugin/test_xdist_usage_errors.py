"""Under xdist, a mapping problem a worker finds while collecting is the usage error a serial
session gives: the same message, exit code 4, before any API write, no result written."""

from __future__ import annotations

import pytest
from bstm_helpers import Inner

XDIST = ("-p", "xdist.plugin", "-n", "2")

UNKNOWN_BROWSER = """
import pytest

@pytest.mark.tc("TC-1")
@pytest.mark.parametrize("browser", ["chrome", "opera"])
def test_checkout(browser):
    pass
"""

BAD_MARKER = """
import pytest

@pytest.mark.tc("TC-1")
def test_good():
    pass

@pytest.mark.tc("case-7")
def test_bad():
    pass
"""


def _usage_error_alike(inner: Inner, *lines: str) -> None:
    """Serial and ``-n 2`` sessions end the same way: exit 4, ``lines`` on stderr, no write."""
    errors = []
    for extra in ((), XDIST):
        result = inner.pytester.runpytest_subprocess(*inner.args(*extra))
        assert result.ret == pytest.ExitCode.USAGE_ERROR, (extra, result.stdout.str())
        result.stderr.fnmatch_lines(list(lines))
        assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
        assert "passed" not in result.stdout.str()
        assert inner.emulator.runs("PR-1") == []
        assert [c for c in inner.calls() if c[0] != "GET"] == []
        errors.append(result.stderr.str()[result.stderr.str().index("ERROR: ") :])
    assert errors[0] == errors[1]


def test_a_malformed_marker_is_a_usage_error_under_xdist(inner: Inner) -> None:
    inner.pytester.makepyfile(BAD_MARKER)
    _usage_error_alike(
        inner,
        "*invalid test case mapping*",
        "*test_bad: 'case-7' is not a test case ID like 'TC-1'",
    )


def test_an_unknown_configuration_value_is_a_usage_error_under_xdist(inner: Inner) -> None:
    inner.emulator.add_configurations([{"id": 201, "name": "Chrome"}])
    inner.pytester.makeini("[pytest]\nbstm_configuration_param = browser\n")
    inner.pytester.makepyfile(UNKNOWN_BROWSER)
    _usage_error_alike(
        inner,
        "*no TM configuration is named by these values of 'browser'*",
        "*test_checkout?opera?: browser='opera'",
        "*configurations: *Chrome (201).",
    )


def test_a_malformed_feature_tag_is_a_usage_error_under_xdist(inner: Inner) -> None:
    pytest.importorskip("pytest_bdd")
    inner.pytester.makefile(
        ".feature",
        shop="Feature: Shop\n\n  @TC-12a\n  Scenario: Buy\n    Given a basket\n",
    )
    inner.pytester.makepyfile(
        test_shop="""
from pytest_bdd import given, scenarios

scenarios("shop.feature")


@given("a basket")
def basket():
    pass
"""
    )
    inner.pytester.makeini("[pytest]\naddopts = -p pytest_bdd.plugin\n")
    _usage_error_alike(
        inner,
        "*shop.feature:3: tag @TC-12a is not a test case tag: write @TC-12 or @TCID_TC-12*",
    )

"""The summary's counts say what happened: tests tagged the vendor's way are mapped, cases and
(case, configuration) pairs are told apart, and deselected tests are counted (xdist too)."""

from __future__ import annotations

import pytest
from bstm_helpers import Inner

from pytest_bstm.api import Client, models

TAGGED = """
import pytest

@pytest.mark.tc("TC-1")
def test_marked():
    pass

def test_tagged(record_property):
    record_property("id", "TC-2")

def test_plain():
    pass
"""


def test_a_test_tagged_with_record_property_is_mapped_not_unmapped(inner: Inner) -> None:
    inner.pytester.makepyfile(TAGGED)
    result = inner.run("-vv")
    result.stdout.fnmatch_lines(
        [
            "unmapped:   1 test without a tc marker",
            "  *::test_plain",
            "mapping:",
            "  *::test_marked -> TC-1",
            "  *::test_tagged -> TC-2",
        ]
    )
    assert set(inner.statuses(inner.only_run()["identifier"])) == {("TC-1", None), ("TC-2", None)}


def test_under_xdist_too(inner: Inner) -> None:
    pytest.importorskip("xdist")
    inner.pytester.makepyfile(TAGGED)
    result = inner.pytester.runpytest_subprocess(*inner.args("-p", "xdist.plugin", "-n", "2"))
    result.stdout.fnmatch_lines(["unmapped:   1 test without a tc marker"])
    assert set(inner.statuses(inner.only_run()["identifier"])) == {("TC-1", None), ("TC-2", None)}


def test_cases_and_configuration_pairs_are_both_told(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1", "TC-2", assignee="qa@example.com")
        def test_both():
            pass

        @pytest.mark.tc("TC-3", configurations=[101])
        def test_one_config():
            pass
        """
    )
    result = inner.run("--bstm-configurations", "101,102")
    result.stdout.fnmatch_lines(
        ["cases:      3 added (5 with configurations), 2 assigned (4 with configurations)"]
    )
    assert len(inner.statuses(inner.only_run()["identifier"])) == 5


def test_without_configurations_cases_are_counted_once(inner: Inner) -> None:
    inner.pytester.makepyfile(TAGGED)
    result = inner.run()
    result.stdout.fnmatch_lines(["cases:      2 added"])


@pytest.mark.parametrize("workers", [None, "2"])
def test_deselected_tests_are_counted(inner: Inner, workers: str | None) -> None:
    with Client(
        base_url=inner.emulator.url,
        username=inner.emulator.username,
        access_key=inner.emulator.access_key,
    ) as client:
        rid = client.create_run("PR-1", models.NewTestRun(name="s", test_cases=["TC-1"]))
    inner.pytester.makepyfile(TAGGED)
    args = inner.args("--bstm-run", rid.identifier, "--bstm-select")
    if workers is None:
        result = inner.pytester.runpytest_inprocess(*args)
    else:
        pytest.importorskip("xdist")
        result = inner.pytester.runpytest_subprocess(*args, "-p", "xdist.plugin", "-n", workers)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["deselected: 2 tests whose cases are not in the run"])


def test_the_unknown_cases_listing_is_bounded(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("i", range(31))
        def test_unknown(i):
            pass
        """
    )
    inner.pytester.makeconftest(
        """
        def pytest_bstm_case_ids(item):
            i = item.callspec.params["i"]
            return ["TC-1"] if i == 30 else [f"TC-{9000 + i}"]
        """
    )
    result = inner.run()
    text = result.stdout.str()
    result.stdout.fnmatch_lines(["unknown:    TC-9000, *, TC-9009 and 20 more not in project*"])
    assert sum(line.startswith("  TC-90") for line in text.splitlines()) == 10, text
    result.stdout.fnmatch_lines(["*... and 20 more (-vv lists them)*"])

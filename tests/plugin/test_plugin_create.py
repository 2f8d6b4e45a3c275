"""The plugin creating a run: mapping, results, close, summary, against the emulator."""

from __future__ import annotations

import pytest
from bstm_helpers import API, Inner

THREE = """
import pytest

@pytest.mark.tc("TC-1")
def test_pass():
    pass

@pytest.mark.tc("TC-2")
def test_fail():
    assert 1 == 2, "numbers differ"

@pytest.mark.tc("TC-3")
def test_skip():
    pytest.skip("not today")

def test_unmapped():
    pass
"""


def test_inert_without_project(inner: Inner) -> None:
    inner.pytester.makepyfile(THREE)
    result = inner.run(project=None)
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    assert inner.emulator.requests == []
    assert "bstm" not in result.stdout.str().split("short test summary")[0].split("===")[-1]
    result.stdout.no_fnmatch_line("*-- bstm --*")


def test_create_run_of_three_tests_uploads_one_result_each_and_closes(inner: Inner) -> None:
    inner.pytester.makepyfile(THREE)
    result = inner.run()
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    run = inner.only_run()
    assert run["active_state"] == "closed"
    assert sorted(c["test_case_id"] for c in inner.emulator.run_cases(run["identifier"])) == [
        "TC-1",
        "TC-2",
        "TC-3",
    ]
    assert inner.statuses(run["identifier"]) == {
        ("TC-1", None): "passed",
        ("TC-2", None): "failed",
        ("TC-3", None): "skipped",
    }
    failed = inner.descriptions(run["identifier"])["TC-2"]
    assert (
        "FAILED test_create_run_of_three_tests_uploads_one_result_each_and_closes.py::test_fail"
        in failed
    )
    assert "numbers differ" in failed
    rid = run["identifier"]
    assert inner.calls() == [  # the create validates the IDs: no lookup needed
        ("POST", API),
        ("POST", f"{API}/{rid}/results"),
        ("POST", f"{API}/{rid}/close"),
    ]
    result.stdout.fnmatch_lines(
        [
            "*- bstm -*",
            f"run:*{rid}*(closed)",
            "results:*3 uploaded (1 failed, 1 passed, 1 skipped)",
            "unmapped:*1 test without a tc marker",
            f"link:       {inner.emulator.url}/projects/1/test-runs/{rid}",
            f"3 results uploaded to {rid} in *s",
        ]
    )


def test_marker_forms_class_module_param_and_closest_wins(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
        import pytest
        pytestmark = pytest.mark.tc("TC-9")

        def test_module_level():
            pass

        @pytest.mark.tc("TC-4")
        class TestGroup:
            def test_class_level(self):
                pass

            @pytest.mark.tc("TC-5", "TC-6")
            def test_function_wins(self):
                pass

        @pytest.mark.parametrize("n", [pytest.param(1, marks=pytest.mark.tc("TC-7")), 2])
        def test_param(n):
            pass

        @pytest.mark.parametrize("n", [pytest.param(1, marks=pytest.mark.tc("TC-8")), 2])
        @pytest.mark.tc("TC-10")
        def test_param_over_function(n):
            pass
        """
    )
    inner.run("-v").assert_outcomes(passed=7)
    run = inner.only_run()
    statuses = inner.statuses(run["identifier"])
    cases = ("TC-4", "TC-5", "TC-6", "TC-7", "TC-8", "TC-9", "TC-10")
    assert set(statuses) == {(c, None) for c in cases}
    assert "test_param_over_function[2]" in inner.descriptions(run["identifier"])["TC-10"]
    # TC-9 covers the module-level test and test_param[2]: one result listing both
    assert "test_param[2]" in inner.descriptions(run["identifier"])["TC-9"]
    assert "test_module_level" in inner.descriptions(run["identifier"])["TC-9"]


def test_invalid_markers_stop_before_any_api_call(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-x")
        def test_bad_id():
            pass

        @pytest.mark.tc("TC-1", configurations=["a"])
        def test_bad_config():
            pass

        @pytest.mark.tc("TC-2", owner="me")
        def test_bad_kwarg():
            pass

        @pytest.mark.tc()
        def test_empty():
            pass
        """
    )
    result = inner.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*invalid test case mapping*",
            "*test_bad_id: 'TC-x' is not a test case ID*",
            "*test_bad_config: configurations=*must be a list of positive integer*",
            "*test_bad_kwarg: unknown keyword argument* owner*",
            "*test_empty: tc* needs at least one test case ID*",
        ]
    )
    assert inner.emulator.requests == []


def test_worst_outcome_wins_and_lists_every_test(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_a():
            pass

        @pytest.mark.tc("TC-1")
        def test_b():
            raise RuntimeError("boom")

        @pytest.mark.tc("TC-2")
        @pytest.mark.xfail(reason="known")
        def test_xfail():
            assert False

        @pytest.mark.tc("TC-3")
        @pytest.mark.xfail(reason="fixed?")
        def test_xpass():
            pass

        @pytest.fixture
        def broken():
            raise OSError("no db")

        @pytest.fixture
        def bad_teardown():
            yield
            raise OSError("cleanup")

        @pytest.mark.tc("TC-4")
        def test_setup_error(broken):
            pass

        @pytest.mark.tc("TC-5")
        def test_teardown_error(bad_teardown):
            pass
        """
    )
    inner.run()
    run = inner.only_run()["identifier"]
    assert inner.statuses(run) == {
        ("TC-1", None): "failed",
        ("TC-2", None): "skipped",
        ("TC-3", None): "passed",
        ("TC-4", None): "blocked",
        ("TC-5", None): "failed",
    }
    text = inner.descriptions(run)
    assert "FAILED" in text["TC-1"]
    assert "PASSED" in text["TC-1"]
    assert "RuntimeError: boom" in text["TC-1"]
    assert "SETUP ERROR" in text["TC-4"]
    assert "no db" in text["TC-4"]
    assert "TEARDOWN ERROR" in text["TC-5"]


def test_status_map_and_custom_status(inner: Inner) -> None:
    inner.pytester.makeini(
        """
        [pytest]
        bstm_status_map =
            xfailed = retest
            setup_error = flaky
        """
    )
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.fixture
        def broken():
            raise OSError("no db")

        @pytest.mark.tc("TC-1")
        @pytest.mark.xfail
        def test_x():
            assert False

        @pytest.mark.tc("TC-2")
        def test_s(broken):
            pass
        """
    )
    inner.run()
    run = inner.only_run()["identifier"]
    assert inner.statuses(run) == {("TC-1", None): "retest", ("TC-2", None): "flaky"}


def test_record_property_maps_and_adds_the_case(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_marked():
            pass

        def test_recorded(record_property):
            record_property("id", "TC-8")
        """
    )
    inner.run().assert_outcomes(passed=2)
    run = inner.only_run()
    assert inner.statuses(run["identifier"]) == {("TC-1", None): "passed", ("TC-8", None): "passed"}
    assert run["active_state"] == "closed"


def test_a_recorded_id_that_is_no_case_id_is_named_in_the_summary(inner: Inner) -> None:
    """A marker that names no case stops the session; a recorded one cannot (the test ran):
    the summary says it was ignored, the rest is reported."""
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_marked(record_property):
            record_property("id", "TC-1; TC-2")

        def test_recorded(record_property):
            record_property("id", "not-a-case")
        """
    )
    result = inner.run()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*record_property('id', 'TC-1; TC-2') in test_a_recorded_id_that_is_no_case_id_is_"
            "named_in_the_summary.py::test_marked is not a test case ID like TC-1: ignored "
            "(and 1 more)*"
        ]
    )
    assert inner.statuses(inner.only_run()["identifier"]) == {("TC-1", None): "passed"}


def test_case_ids_hook_in_conftest_replaces_the_marker(inner: Inner) -> None:
    inner.pytester.makeconftest(
        """
        def pytest_bstm_case_ids(item):
            if item.name.startswith("test_tc_"):
                return ["TC-" + item.name.rsplit("_", 1)[1]]
            return None
        """
    )
    inner.pytester.makepyfile(
        """
        import pytest

        def test_tc_11():
            pass

        @pytest.mark.tc("TC-12")
        def test_other():
            pass
        """
    )
    inner.run().assert_outcomes(passed=2)
    run = inner.only_run()["identifier"]
    assert set(inner.statuses(run)) == {("TC-11", None), ("TC-12", None)}


def test_result_hook_edits_and_drops(inner: Inner) -> None:
    inner.pytester.makeconftest(
        """
        def pytest_bstm_result(config, result):
            if result.case_id == "TC-2":
                return False
            result.description = "custom: " + result.description
            result.status = "retest"
            return None
        """
    )
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_one():
            pass

        @pytest.mark.tc("TC-2")
        def test_two():
            pass
        """
    )
    result = inner.run()
    run = inner.only_run()["identifier"]
    assert inner.statuses(run) == {("TC-1", None): "retest"}
    assert inner.descriptions(run)["TC-1"].startswith("custom: PASSED")
    result.stdout.fnmatch_lines(["dropped:*1 result by pytest_bstm_result"])


def test_unknown_case_ids_are_reported_not_posted(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_known():
            pass

        @pytest.mark.tc("TC-99999")
        def test_unknown():
            pass
        """
    )
    result = inner.run()
    run = inner.only_run()["identifier"]
    assert inner.statuses(run) == {("TC-1", None): "passed"}
    assert [c["test_case_id"] for c in inner.emulator.run_cases(run)] == ["TC-1"]
    result.stdout.fnmatch_lines(["unknown:*TC-99999 not in project PR-1: no result sent"])


def test_no_mapped_tests_creates_no_run(inner: Inner) -> None:
    inner.pytester.makepyfile("def test_plain():\n    pass\n")
    result = inner.run()
    assert result.ret == 0
    assert inner.emulator.runs("PR-1") == []
    result.stdout.fnmatch_lines(["note:*no collected test has a tc marker: no run was created"])


def test_run_fields_configurations_and_assignees(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_default_configs():
            pass

        @pytest.mark.tc("TC-2", configurations=[103], assignee="lead@example.com")
        def test_own_config():
            pass
        """
    )
    inner.run(
        "--bstm-configurations",
        "101,102",
        "--bstm-run-name",
        "nightly {date}",
        "--bstm-tags",
        "nightly,api",
        "--bstm-case-assignee",
        "qa@example.com",
        "--bstm-assignee",
        "owner@example.com",
        "--bstm-test-plan",
        "TP-1",
    ).assert_outcomes(passed=2)
    run = inner.only_run()
    assert run["name"].startswith("nightly 20")
    assert run["tags"] == ["nightly", "api"]
    assert run["assignee"] == "owner@example.com"
    assert run["test_plan_id"] == "TP-1"
    rid = run["identifier"]
    assert set(inner.statuses(rid)) == {("TC-1", 101), ("TC-1", 102), ("TC-2", 103)}
    assignees = {
        (c["test_case_id"], c["configuration_id"]): c["assignee"]
        for c in inner.emulator.run_cases(rid)
    }
    assert assignees == {
        ("TC-1", 101): "qa@example.com",
        ("TC-1", 102): "qa@example.com",
        ("TC-2", 103): "lead@example.com",
    }


def test_dry_run_writes_nothing_and_prints_calls(
    inner: Inner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BROWSERSTACK_ACCESS_KEY")
    inner.pytester.makepyfile(THREE)
    result = inner.run("--bstm-dry-run")
    assert inner.emulator.requests == []
    result.stdout.fnmatch_lines(
        [
            "dry run: these calls would be made (nothing was written):",
            "*POST  /api/v2/projects/PR-1/test-runs {*TC-1*TC-2*TC-3*",
            "*POST  /api/v2/projects/PR-1/test-runs/TR-1/results (3 results)",
            "*POST  /api/v2/projects/PR-1/test-runs/TR-1/close",
            "*results that would be uploaded: 1 failed, 1 passed, 1 skipped",
        ]
    )


def test_no_close_leaves_run_open(inner: Inner) -> None:
    inner.pytester.makepyfile(THREE)
    inner.run("--bstm-no-close")
    assert inner.only_run()["active_state"] == "active"


def test_verbose_lists_unmapped_and_counts_mapped(inner: Inner) -> None:
    inner.pytester.makepyfile(THREE)
    result = inner.run("-v")
    result.stdout.fnmatch_lines(
        ["*unmapped:*", "*::test_unmapped", "mapped:     3 tests to 3 cases (-vv lists them)"]
    )
    result.stdout.no_fnmatch_line("mapping:")


def test_very_verbose_lists_the_mapping(inner: Inner) -> None:
    inner.pytester.makepyfile(THREE)
    result = inner.run("-vv")
    result.stdout.fnmatch_lines(
        ["*unmapped:*", "*::test_unmapped", "mapping:", "*::test_pass -> TC-1"]
    )


def bstm_section(text: str) -> list[str]:
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip("- ") == "bstm")
    return lines[start + 1 :]


@pytest.mark.parametrize(
    ("flag", "listed"),
    [("-v", ["mapped:     300 tests to 60 cases (-vv lists them)"]), ("-vv", ["mapping:"])],
)
def test_verbose_listings_are_bounded(inner: Inner, flag: str, listed: list[str]) -> None:
    inner.pytester.makepyfile(
        """
        import pytest

        CASES = [pytest.param(n, marks=pytest.mark.tc(f"TC-{n % 60 + 1}")) for n in range(300)]

        @pytest.mark.parametrize("n", CASES)
        def test_mapped(n):
            pass

        @pytest.mark.parametrize("n", range(300))
        def test_plain(n):
            pass
        """
    )
    result = inner.run(flag)
    section = bstm_section(result.stdout.str())
    if flag == "-v":  # counts and what needs attention: a few lines
        assert len(section) < 25, section
        assert "  ... and 290 more (-vv lists them)" in section
    else:  # the mapping, bounded
        assert 200 < len(section) < 220, len(section)
        assert "  ... and 200 more (-vvv lists them)" in section
    result.stdout.fnmatch_lines(listed)


def test_embedded_emulator_runs_the_whole_flow_without_credentials(
    inner: Inner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BROWSERSTACK_USERNAME")
    monkeypatch.delenv("BROWSERSTACK_ACCESS_KEY")
    inner.pytester.makepyfile(THREE.replace("TC-3", "TC-4321"))
    result = inner.pytester.runpytest_inprocess(
        "-p", "pytest_bstm.plugin", "-p", "no:cacheprovider", "--bstm-emulator"
    )
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "run:*TR-1 pytest * (closed)",
            "results:*3 uploaded (1 failed, 1 passed, 1 skipped)",
            "emulator:*TR-1 is closed: 3 cases (1 failed, 1 passed, 1 skipped), 3 results stored",
        ]
    )
    result.stdout.fnmatch_lines(["link:       http://127.0.0.1:*/projects/1/test-runs/TR-1"])
    assert inner.emulator.url not in result.stdout.str()
    assert inner.emulator.requests == []  # the session used its own emulator
    assert not (inner.pytester.path / ".bstm").exists()  # everything sent: no journal left


def test_recorded_unknown_case_is_reported_and_the_rest_uploaded(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_marked():
            pass

        def test_recorded(record_property):
            record_property("id", "TC-88888")
        """
    )
    result = inner.run()
    run = inner.only_run()
    assert inner.statuses(run["identifier"]) == {("TC-1", None): "passed"}
    assert run["active_state"] == "closed"
    result.stdout.fnmatch_lines(["unknown:*TC-88888 not in project PR-1: no result sent"])

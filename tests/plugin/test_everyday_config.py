"""Everyday configuration: a laptop without credentials, switching reporting off, and
mistakes in the ini file told plainly (never as a Python warning of the plugin's own)."""

from __future__ import annotations

import pytest
from bstm_helpers import Inner

from pytest_bstm.api import Client, models

TWO = """
import pytest

@pytest.mark.tc("TC-1")
def test_one():
    pass

@pytest.mark.tc("TC-2")
def test_two():
    pass
"""

INI_PROJECT = "[pytest]\nbstm_project = PR-1\n"


@pytest.fixture
def laptop(inner: Inner, monkeypatch: pytest.MonkeyPatch) -> Inner:
    """A developer's machine: the team's ini enables reporting, no credentials are set."""
    monkeypatch.delenv("BROWSERSTACK_USERNAME")
    monkeypatch.delenv("BROWSERSTACK_ACCESS_KEY")
    inner.pytester.makeini(INI_PROJECT + f"bstm_url = {inner.emulator.url}\n")
    inner.pytester.makepyfile(TWO)
    return inner


def test_ini_only_without_credentials_runs_plain_pytest_and_says_why(laptop: Inner) -> None:
    result = laptop.run("-W", "error", project=None)
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK
    lines = [line for line in result.stdout.lines if line.startswith("reporting:")]
    assert lines == [
        "reporting:  off: BROWSERSTACK_USERNAME and BROWSERSTACK_ACCESS_KEY not set "
        "(bstm_project = PR-1 in tox.ini); set both to report, or try it with --bstm-emulator"
    ]
    assert laptop.emulator.requests == []
    assert not (laptop.pytester.path / ".bstm").exists()


def test_the_same_laptop_with_the_emulator_reports(laptop: Inner) -> None:
    result = laptop.run("--bstm-emulator", project=None)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["run:        TR-1 *(closed)", "results:    2 uploaded*"])
    result.stdout.no_fnmatch_line("reporting:*")


@pytest.mark.parametrize(
    ("how", "args"),
    [
        ("command line", ["--bstm-project", "PR-1"]),
        ("environment", []),
        ("strict", ["--bstm-strict"]),
    ],
)
def test_asked_for_explicitly_missing_credentials_stay_a_usage_error(
    laptop: Inner, monkeypatch: pytest.MonkeyPatch, how: str, args: list[str]
) -> None:
    if how == "environment":
        monkeypatch.setenv("BSTM_PROJECT", "PR-1")
    result = laptop.run(*args, project=None)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*credentials missing (BROWSERSTACK_USERNAME, * not set)*"])
    assert laptop.emulator.requests == []


@pytest.mark.parametrize("how", ["--bstm-project=", "BSTM_PROJECT="])
def test_an_empty_project_turns_reporting_off_for_one_session(
    inner: Inner, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    inner.pytester.makeini(INI_PROJECT)
    inner.pytester.makepyfile(TWO)
    args = [how] if how.startswith("--") else []
    if not args:
        monkeypatch.setenv("BSTM_PROJECT", "")
    result = inner.run(*args, project=None)
    result.assert_outcomes(passed=2)
    result.stdout.no_fnmatch_line("*- bstm -*")
    assert inner.emulator.requests == []


def test_unset_env_placeholder_leaves_no_double_space(
    inner: Inner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_REF_NAME", raising=False)
    inner.pytester.makepyfile(TWO)
    inner.run("--bstm-run-name", "CI {env:GITHUB_REF_NAME} nightly")
    assert inner.only_run()["name"] == "CI nightly"


@pytest.mark.parametrize("var", ["BROWSERSTACK_ACCESS_KEY", "KEY_COPY"])
def test_a_run_name_placeholder_never_holds_the_access_key(
    inner: Inner, monkeypatch: pytest.MonkeyPatch, var: str
) -> None:
    monkeypatch.setenv("KEY_COPY", inner.emulator.access_key)
    inner.pytester.makepyfile(TWO)
    result = inner.run("--bstm-run-name", f"nightly {{env:{var}}}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{{env:{var}}} would put the access key in the run's name*"])
    assert inner.emulator.access_key not in result.stdout.str() + result.stderr.str()
    assert inner.emulator.requests == []


def test_unreadable_truth_value_names_the_key(inner: Inner) -> None:
    inner.pytester.makeini(INI_PROJECT + "bstm_close = yes please\n")
    inner.pytester.makepyfile(TWO)
    result = inner.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*bstm_close in tox.ini: invalid truth value 'yes please' (use true or false)"]
    )
    assert inner.emulator.requests == []


def test_misspelt_key_names_the_closest_one_before_the_tests_run(inner: Inner) -> None:
    inner.pytester.makeini(INI_PROJECT + "bstm_clsoe = true\n")
    inner.pytester.makepyfile(TWO)
    result = inner.run("-v")
    assert result.ret == pytest.ExitCode.OK
    line = "bstm_clsoe in tox.ini is not a pytest-bstm key: did you mean bstm_close?"
    out = result.stdout.lines
    early = out.index(f"bstm: {line}")
    assert early < next(i for i, text in enumerate(out) if "::test_one PASSED" in text)
    assert f"note:       {line}" in out
    result.stdout.fnmatch_lines(["*PytestConfigWarning: Unknown config option: bstm_clsoe"])


def test_unrelated_unknown_keys_get_no_suggestion(inner: Inner) -> None:
    inner.pytester.makeini(INI_PROJECT + "some_other_plugin_key = 1\n")
    inner.pytester.makepyfile(TWO)
    result = inner.run()
    result.stdout.no_fnmatch_line("*did you mean*")


def test_custom_status_names_are_told_once_before_the_tests(inner: Inner) -> None:
    inner.pytester.makeini(
        INI_PROJECT + "bstm_status_map =\n    passed = pased\n    skipped = flaky\n"
    )
    inner.pytester.makepyfile(TWO)
    result = inner.run("-v", "-W", "error")
    out = result.stdout.lines
    told = [line for line in out if line.startswith("bstm: bstm_status_map:")]
    assert told == [
        "bstm: bstm_status_map: 'pased' (for passed) is not a system status: did you mean "
        "'passed'? the service refuses those results unless the account has it as a custom "
        "status",
        "bstm: bstm_status_map: 'flaky' (for skipped) is not a system status: the service "
        "refuses those results unless the account has it as a custom status",
    ]
    assert out.index(told[0]) < next(i for i, text in enumerate(out) if "PASSED" in text)
    # what the service then refuses is in the summary
    result.stdout.fnmatch_lines(["rejected:   TC-1 (*::test_one): *Unknown status 'pased'*"])


def test_in_progress_is_a_system_status_told_nothing_and_accepted(inner: Inner) -> None:
    inner.pytester.makeini(INI_PROJECT + "bstm_status_map =\n    skipped = in_progress\n")
    inner.pytester.makepyfile(
        "import pytest\n\n@pytest.mark.tc('TC-1')\ndef test_one():\n    pytest.skip('later')\n"
    )
    result = inner.run("-v", "-W", "error")
    assert result.ret == pytest.ExitCode.OK
    assert not [line for line in result.stdout.lines if "bstm_status_map:" in line]
    result.stdout.no_fnmatch_line("*rejected:*")


def test_a_misspelt_outcome_is_a_usage_error_naming_the_closest(inner: Inner) -> None:
    inner.pytester.makeini(INI_PROJECT + "bstm_status_map =\n    xfail = retest\n")
    inner.pytester.makepyfile(TWO)
    result = inner.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*bstm_status_map line 'xfail = retest'*(did you mean xfailed?)"])


def test_a_status_map_line_without_a_status_suggests_no_outcome(inner: Inner) -> None:
    inner.pytester.makeini(INI_PROJECT + "bstm_status_map =\n    passed\n")
    inner.pytester.makepyfile(TWO)
    result = inner.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*bstm_status_map line 'passed' must read 'outcome = status'*"])
    result.stderr.no_fnmatch_line("*did you mean*")


@pytest.mark.parametrize(
    ("ini", "args"),
    [
        pytest.param("bstm_close = true", ["--bstm-no-close"], id="close"),
        pytest.param("bstm_run = TR-1", ["--bstm-clone", "TR-1"], id="run"),
    ],
)
def test_the_command_line_overrides_the_other_half_of_an_exclusive_pair_in_the_ini(
    inner: Inner, ini: str, args: list[str]
) -> None:
    """Precedence: the team's ini says one thing, a CI job's command line the other half of
    an exclusive pair: the command line wins (the same source giving both stays an error)."""
    inner.pytester.makeini(f"[pytest]\n{ini}\n")
    inner.pytester.makepyfile(TWO)
    emu = inner.emulator
    with Client(base_url=emu.url, username=emu.username, access_key=emu.access_key) as client:
        client.create_run("PR-1", models.NewTestRun(name="R", test_cases=["TC-1", "TC-2"]))
    result = inner.run(*args)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str() + result.stderr.str()
    run = inner.emulator.runs("PR-1")[-1]
    assert inner.statuses(run["identifier"]) == {("TC-1", None): "passed", ("TC-2", None): "passed"}
    assert (run["active_state"] == "closed") == ("--bstm-clone" in args)

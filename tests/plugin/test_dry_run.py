"""``--bstm-dry-run`` is the real lifecycle over a recording transport: the calls it prints are
the calls a real session with the same arguments makes."""

from __future__ import annotations

import tempfile

import pytest
from bstm_helpers import Inner

from pytest_bstm.api import Client, models

SUITE = """
import pytest

@pytest.mark.tc("TC-1", assignee="qa@example.com")
def test_pass():
    pass

@pytest.mark.tc("TC-2")
def test_fail():
    assert 1 == 2

@pytest.mark.tc("TC-3")
def test_skip():
    pytest.skip("not today")

def test_records(record_property):
    record_property("id", "TC-4")

def test_unmapped():
    pass
"""


def printed_calls(result: pytest.RunResult) -> list[tuple[str, str]]:
    """(method, path) of each call the dry run printed; a folded poll (``x3``) counts once."""
    lines = result.stdout.lines
    start = lines.index("dry run: these calls would be made (nothing was written):") + 1
    calls = []
    for line in lines[start:]:
        if not line.startswith("  ") or line.startswith("  results that would"):
            break
        method, path = line.split()[:2]
        calls.append((method, path.split("?")[0]))
    return calls


def made_calls(inner: Inner, since: int) -> list[tuple[str, str]]:
    """(method, path) of each call the emulator answered after the first ``since``, repeated
    polls folded into one."""
    out: list[tuple[str, str]] = []
    for method, path in [(r["method"], r["path"]) for r in inner.emulator.requests[since:]]:
        if not out or out[-1] != (method, path) or method != "GET":
            out.append((method, path))
    return out


@pytest.mark.parametrize(
    "args",
    [
        pytest.param([], id="create"),
        pytest.param(["--bstm-run", "TR-1", "--bstm-select"], id="join-select"),
        pytest.param(["--bstm-case-assignee", "lead@example.com"], id="create-assignee"),
        pytest.param(["--bstm-run", "TR-1", "--bstm-prune", "--bstm-close"], id="join"),
        pytest.param(["--bstm-clone", "TR-1"], id="clone"),
    ],
)
def test_dry_run_prints_the_calls_the_real_session_makes(
    inner: Inner, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    emu = inner.emulator
    emu.add_test_cases("PR-1", ["TC-1", "TC-2", "TC-3", "TC-4"])
    emu.add_configurations([{"id": 101, "name": "a"}, {"id": 102, "name": "b"}])
    if "TR-1" in args:  # the dry run reads the run's entries, so it meets the same delta
        with Client(base_url=emu.url, username=emu.username, access_key=emu.access_key) as c:
            c.create_run("PR-1", models.NewTestRun(name="nightly", test_cases=["TC-1", "TC-3"]))
    inner.pytester.makepyfile(SUITE)
    before = len(emu.requests)
    dry = inner.run("--bstm-dry-run", *args)
    reads = emu.requests[before:]
    assert reads, "with credentials the dry run reads the project's cases"
    assert {r["method"] for r in reads} == {"GET"}, "the dry run wrote to the service"
    expected = printed_calls(dry)
    assert expected, dry.stdout.str()
    before = len(emu.requests)
    real = inner.run(*args)
    assert real.parseoutcomes() == dry.parseoutcomes()
    assert made_calls(inner, before) == expected
    if "--bstm-select" not in args:
        real.assert_outcomes(passed=3, failed=1, skipped=1)
        dry.stdout.fnmatch_lines(["*results that would be uploaded: 1 failed, 2 passed, 1 skipped"])


def test_dry_run_applies_the_payload_hook_and_select(
    inner: Inner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BROWSERSTACK_ACCESS_KEY")
    inner.pytester.makeconftest(
        """
        def pytest_bstm_run_payload(config, payload):
            payload["name"] = "from the hook"
        """
    )
    inner.pytester.makepyfile(SUITE)
    dry = inner.run("--bstm-dry-run")
    dry.stdout.fnmatch_lines(['*POST  /api/v2/projects/PR-1/test-runs {*"name":"from the hook"*'])
    assert inner.emulator.requests == []


def test_dry_run_without_credentials_says_what_it_assumed(
    inner: Inner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BROWSERSTACK_USERNAME")
    monkeypatch.delenv("BROWSERSTACK_ACCESS_KEY")
    inner.pytester.makepyfile(SUITE)
    dry = inner.run(
        "--bstm-dry-run", "--bstm-run", "TR-7", "--bstm-select", "--bstm-test-plan", "TP-3"
    )
    assert inner.emulator.requests == []
    dry.stdout.fnmatch_lines(
        [
            "*PATCH /api/v2/projects/PR-1/test-runs/TR-7/update-test-cases*",
            "*--bstm-select not applied: without credentials the dry run assumes every mapped "
            "case exists and TR-7 holds no case",
        ]
    )
    assert "error:" not in dry.stdout.str()
    assert "waiting:" not in dry.stdout.str()
    assert not (inner.pytester.path / ".bstm").exists()


def test_dry_run_against_a_service_that_does_not_answer_goes_on(inner: Inner) -> None:
    """With credentials, a dry run reads the account first; a service that refuses every
    connection is given up after a bounded wait, and the dry run assumes an empty run."""
    inner.pytester.makepyfile(SUITE)
    inner.emulator.faults.down(True)
    try:
        result = inner.run("--bstm-dry-run", "--bstm-drain-timeout", "0.3")
    finally:
        inner.emulator.faults.down(False)
    result.stdout.fnmatch_lines(["*the dry run could not read the service*"])
    assert inner.emulator.runs("PR-1") == []


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--bstm-dry-run"], id="dry-run"),
        pytest.param(["--bstm-dry-run", "-k", "nothing_matches"], id="dry-run-runs-nothing"),
        pytest.param(["--bstm-dry-run", "--bstm-run", "TR-bad"], id="dry-run-usage-error"),
        pytest.param([], id="real"),
    ],
)
def test_a_session_leaves_nothing_in_the_temporary_folder(
    inner: Inner,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
    args: list[str],
) -> None:
    """A dry run's scratch journal and the sender's folder of events go at the session end,
    however it ends."""
    scratch = tmp_path_factory.mktemp("tmpdir")
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    inner.pytester.makepyfile(SUITE)
    inner.run(*args)
    assert sorted(p.name for p in scratch.iterdir()) == []


def test_dry_run_of_a_joined_run_meets_its_exact_pairs(inner: Inner) -> None:
    """A run holding (TC-2, no configuration) and (TC-1, 101): the real session adds nothing,
    and so does the dry run (it reads the run's pairs, not its cases times its configurations)."""
    emu = inner.emulator
    emu.add_test_cases("PR-1", ["TC-1", "TC-2"])
    emu.add_configurations([{"id": 101, "name": "a"}])
    with Client(base_url=emu.url, username=emu.username, access_key=emu.access_key) as c:
        c.create_run("PR-1", models.NewTestRun(name="nightly", test_cases=["TC-2"]))
        add = [models.CaseSelection(test_case_ids=["TC-1"], configuration_ids=[101])]
        c.update_test_cases("PR-1", "TR-1", add=add)
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1", configurations=[101])
        def test_a():
            pass

        @pytest.mark.tc("TC-2")
        def test_b():
            pass
        """
    )
    dry = inner.run("--bstm-dry-run", "--bstm-run", "TR-1")
    expected = printed_calls(dry)
    assert not any(method == "PATCH" for method, _ in expected), dry.stdout.str()
    before = len(emu.requests)
    inner.run("--bstm-run", "TR-1").assert_outcomes(passed=2)
    assert made_calls(inner, before) == expected

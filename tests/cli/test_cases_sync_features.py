"""``bstm cases sync`` on a pytest-bdd suite: a case per untagged scenario, its tag in the
feature file, byte for byte."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from bstm_helpers import Bstm, Inner
from sync_suite import Files

from pytest_bstm.emulator import Emulator

pytest.importorskip("pytest_bdd")

# CRLF line endings, a tab-indented scenario, comments and a doc string that looks like Gherkin
FEATURE = (
    b"# language: en\r\n"
    b"Feature: Accounts\r\n"
    b"\r\n"
    b"  @TC-1\r\n"
    b"  Scenario: Sign up\r\n"
    b"    Given a visitor\r\n"
    b"\r\n"
    b"  @smoke  # kept as it is\r\n"
    b"  Scenario: Log in\r\n"
    b"    Given a visitor\r\n"
    b'      """\r\n'
    b"      Scenario: not a scenario\r\n"
    b'      """\r\n'
    b"    When the visitor logs in\r\n"
    b"\r\n"
    b"\tScenario Outline: Pay with <card>\r\n"
    b"\t\tGiven a visitor\r\n"
    b"\t\tThen <card> is accepted\r\n"
    b"\r\n"
    b"\t\tExamples:\r\n"
    b"\t\t\t| card |\r\n"
    b"\t\t\t| visa |\r\n"
    b"\t\t\t| amex |\r\n"
)
FEATURE_AFTER = FEATURE.replace(
    b"  Scenario: Log in\r\n", b"  @TC-1006\r\n  Scenario: Log in\r\n"
).replace(b"\tScenario Outline", b"\t@TC-1007\r\n\tScenario Outline")
STEPS = """\
from pytest_bdd import given, parsers, scenarios, then, when

scenarios("accounts.feature")


@given("a visitor")
def visitor():
    pass


@when("the visitor logs in")
def logs_in():
    pass


@then(parsers.parse("{card} is accepted"))
def accepted(card):
    pass
"""


@pytest.fixture
def bdd_suite(inner: Inner) -> Path:
    root = inner.pytester.path
    (root / "pytest.ini").write_text("[pytest]\naddopts = -p pytest_bdd.plugin\nmarkers = smoke\n")
    (root / "accounts.feature").write_bytes(FEATURE)
    (root / "test_accounts.py").write_text(STEPS)
    return root


def test_dry_run_changes_nothing(
    bdd_suite: Path, sync: Bstm, emulator: Emulator, files: Callable[[Path], Files]
) -> None:
    before = files(bdd_suite)
    code, out, err = sync("--dry-run", "--write-markers")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert (
        lines[0]
        == "0 test functions: 0 mapped, 0 without a case; 3 scenarios: 1 mapped, 2 without a case"
    )
    assert (
        "[1/2] TC-?  accounts.feature::Log in  (would be created in pytest/accounts.feature)"
        in lines
    )
    assert "would add  accounts.feature:9  @TC-?" in lines
    assert "would add  accounts.feature:17  @TC-?" in lines
    assert lines[-1] == "dry run: would create 2 cases in 1 folder, would write 2 markers in 1 file"
    assert files(bdd_suite) == before
    assert {r["method"] for r in emulator.requests} == {"GET"}


def test_sync_tags_scenarios_byte_for_byte_and_is_idempotent(
    bdd_suite: Path,
    sync: Bstm,
    inner: Inner,
    emulator: Emulator,
    files: Callable[[Path], Files],
) -> None:
    code, out, err = sync("--write-markers")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert "[1/2] TC-1006  accounts.feature::Log in  (created)" in lines
    assert "[2/2] TC-1007  accounts.feature::Pay with <card>  (created)" in lines
    assert "added  accounts.feature:9  @TC-1006" in lines
    assert "added  accounts.feature:17  @TC-1007" in lines
    assert (bdd_suite / "accounts.feature").read_bytes() == FEATURE_AFTER
    cases = {c["identifier"]: c for c in emulator.test_cases("PR-1")[60:]}
    assert cases["TC-1006"]["title"] == "Log in"
    assert cases["TC-1006"]["description"] == (
        "pytest: accounts.feature::Log in\n\nScenario: Log in"
    )
    assert [s["step"] for s in cases["TC-1006"]["steps"]] == [
        "Given a visitor",
        "When the visitor logs in",
    ]
    assert [s["step"] for s in cases["TC-1007"]["steps"]] == [
        "Given a visitor",
        "Then <card> is accepted",
    ]

    after = files(bdd_suite)
    requests = len(emulator.requests)
    code, out, err = sync("--write-markers")
    assert (code, err) == (0, "")
    assert out.splitlines()[0].endswith("3 scenarios: 3 mapped, 0 without a case")
    assert files(bdd_suite) == after
    # nothing to find, nothing to create: one listing of the mapped cases, all automated
    assert [r["method"] for r in emulator.requests[requests:]] == ["GET"]

    result = inner.run()
    result.assert_outcomes(passed=4)
    run_id = inner.only_run()["identifier"]
    assert inner.statuses(run_id) == {
        ("TC-1", None): "passed",
        ("TC-1006", None): "passed",
        ("TC-1007", None): "passed",
    }


def test_without_write_markers_a_second_run_finds_the_cases(
    bdd_suite: Path, sync: Bstm, emulator: Emulator
) -> None:
    assert sync()[0] == 0
    assert (bdd_suite / "accounts.feature").read_bytes() == FEATURE
    code, out, _ = sync("--write-markers")
    assert code == 0
    assert "[1/2] TC-1006  accounts.feature::Log in  (found)" in out.splitlines()
    assert (bdd_suite / "accounts.feature").read_bytes() == FEATURE_AFTER


def test_an_outline_with_some_examples_tagged_is_left_alone(
    bdd_suite: Path, sync: Bstm, files: Callable[[Path], Files]
) -> None:
    partly = FEATURE.replace(b"\t\tExamples:\r\n", b"\t\t@TC-5\r\n\t\tExamples:\r\n").replace(
        b"\t\t\t| amex |\r\n", b"\r\n\t\tExamples:\r\n\t\t\t| card |\r\n\t\t\t| amex |\r\n"
    )
    (bdd_suite / "accounts.feature").write_bytes(partly)
    ini = bdd_suite / "pytest.ini"  # pytest-bdd makes Examples tags markers: registered
    ini.write_text(ini.read_text() + "    TC-5\n")
    before = files(bdd_suite)
    code, out, err = sync("--write-markers")
    assert code == 0, (out, err)
    assert err == (
        "bstm: note: accounts.feature::Pay with <card>: 1 of 2 examples are mapped; tag the "
        "scenario, or each Examples block, with its case (@TC-n)\n"
    )
    assert "[1/1] TC-1006  accounts.feature::Log in  (created)" in out.splitlines()
    after = files(bdd_suite)
    assert after["accounts.feature"] == partly.replace(
        b"  Scenario: Log in\r\n", b"  @TC-1006\r\n  Scenario: Log in\r\n"
    )
    assert {k: v for k, v in after.items() if k != "accounts.feature"} == {
        k: v for k, v in before.items() if k != "accounts.feature"
    }

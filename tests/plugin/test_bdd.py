"""pytest-bdd scenarios map to cases by their tags; the description names the failing step."""

from __future__ import annotations

import pytest
from bstm_helpers import Inner

pytest.importorskip("pytest_bdd")

BDD = ("-p", "pytest_bdd.plugin")

FEATURE = """\
@TC-1
Feature: Accounts

  Scenario: Sign up
    Given a visitor
    Then the visitor has an account

  @TCID_TC-2
  Scenario: Log in
    Given a visitor
    When the visitor logs in
    Then the dashboard shows

  @TC-3
  Scenario Outline: Pay with <card>
    Given a visitor
    Then <card> is accepted

    Examples:
      | card |
      | visa |

    @TC-4
    Examples:
      | card   |
      | amex   |
      | diners |

  Rule: Admins

    @TC-5 @smoke
    Scenario: Ban a user
      Given a visitor
      Then the visitor is banned

  @TC-6 @TC-7
  Rule: Support

    Scenario: Open a ticket
      Given a visitor
      Then a ticket is open
"""

STEPS = """\
from pytest_bdd import given, parsers, scenarios, then, when

scenarios("accounts.feature")


@given("a visitor")
def visitor():
    return {}


@then("the visitor has an account")
def has_account():
    pass


@when("the visitor logs in")
def logs_in():
    raise AssertionError("wrong password")


@then(parsers.parse("{card} is accepted"))
def accepted(card):
    assert card != "diners", "diners is refused"


@then("the visitor is banned")
def banned():
    pass
"""


# pytest-bdd makes an Examples block's tags markers itself (the plugin's hook is not asked):
# registered as pytest-bdd asks for every tag under --strict-markers or -W error
INI = """\
[pytest]
markers =
    TC-4: a case
    smoke: smoke tests
"""


def _write(inner: Inner, feature: str = FEATURE, steps: str = STEPS) -> None:
    inner.pytester.makeini(INI)
    inner.pytester.makefile(".feature", accounts=feature)
    inner.pytester.makepyfile(test_accounts=steps)


def test_tags_at_every_level_map_scenarios_and_describe_the_failing_step(inner: Inner) -> None:
    _write(inner)
    result = inner.run(*BDD)
    result.assert_outcomes(passed=4, failed=3)
    run = inner.only_run()["identifier"]
    assert inner.statuses(run) == {
        ("TC-1", None): "passed",  # the feature's tag
        ("TC-2", None): "failed",  # the scenario's @TCID_ tag
        ("TC-3", None): "passed",  # the outline's tag: its first Examples block has none
        ("TC-4", None): "failed",  # the second Examples block's tag (amex passed, diners failed)
        ("TC-5", None): "passed",  # the scenario's tag inside a rule
        ("TC-6", None): "failed",  # the rule's two tags: the ticket step is not defined
        ("TC-7", None): "failed",
    }
    described = inner.descriptions(run)
    login = described["TC-2"]
    assert "Scenario: Log in" in login
    assert "passed   Given a visitor (line 10)" in login
    assert "FAILED   When the visitor logs in (line 11): AssertionError: wrong password" in login
    assert "not run  Then the dashboard shows (line 12)" in login
    assert "FAILED   Then diners is accepted" in described["TC-4"]
    assert "SKIPPED" not in described["TC-4"]
    ticket = described["TC-6"]
    assert "StepDefinitionNotFoundError" in ticket
    assert "a ticket is open" in ticket
    assert "unmapped" not in result.stdout.str()


def test_a_tc_marker_on_the_scenario_function_wins(inner: Inner) -> None:
    inner.pytester.makefile(".feature", accounts=FEATURE)
    inner.pytester.makepyfile(
        test_accounts="""
import pytest
from pytest_bdd import given, scenario, then

pytestmark = pytest.mark.tc("TC-9")  # module level: the feature's tags are closer


@pytest.mark.tc("TC-8")
@scenario("accounts.feature", "Sign up")
def test_sign_up():
    pass


@scenario("accounts.feature", "Ban a user")
def test_ban():
    pass


@given("a visitor")
def visitor():
    return {}


@then("the visitor has an account")
def has_account():
    pass


@then("the visitor is banned")
def banned():
    pass
"""
    )
    result = inner.run(*BDD)
    result.assert_outcomes(passed=2)
    run = inner.only_run()["identifier"]
    assert inner.statuses(run) == {("TC-8", None): "passed", ("TC-5", None): "passed"}


@pytest.mark.parametrize("tag", ["TC-12a", "tc-12", "TCID_12", "TCID-TC-12"])
def test_a_malformed_case_tag_is_a_usage_error_naming_file_and_line(inner: Inner, tag: str) -> None:
    _write(inner, FEATURE.replace("@TC-5 @smoke", f"@smoke @{tag}"))
    result = inner.run(*BDD)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"*accounts.feature:31: tag @{tag} is not a test case tag: write @TC-12 or @TCID_TC-12*"]
    )
    assert inner.emulator.runs("PR-1") == []


def test_without_case_tags_scenarios_are_unmapped(inner: Inner) -> None:
    plain = "\n".join(
        line for line in FEATURE.splitlines() if "@TC" not in line and "Rule:" not in line
    )
    _write(inner, plain.replace("@smoke", ""))
    result = inner.run(*BDD, "-v")
    result.stdout.fnmatch_lines(["*unmapped:*7 tests without a tc marker*"])
    assert inner.emulator.runs("PR-1") == []


def test_under_xdist_workers_map_scenarios_by_their_tags(inner: Inner) -> None:
    _write(inner)
    result = inner.pytester.runpytest_subprocess(*inner.args(*BDD, "-p", "xdist.plugin", "-n", "2"))
    result.assert_outcomes(passed=4, failed=3)
    run = inner.only_run()["identifier"]
    assert inner.statuses(run) == {
        ("TC-1", None): "passed",
        ("TC-2", None): "failed",
        ("TC-3", None): "passed",
        ("TC-4", None): "failed",
        ("TC-5", None): "passed",
        ("TC-6", None): "failed",
        ("TC-7", None): "failed",
    }
    login = inner.descriptions(run)["TC-2"]
    assert "FAILED   When the visitor logs in (line 11): AssertionError: wrong password" in login
    assert "not run  Then the dashboard shows (line 12)" in login


def test_a_step_that_skips_is_named(inner: Inner) -> None:
    _write(
        inner,
        steps=STEPS.replace(
            'raise AssertionError("wrong password")', 'import pytest; pytest.skip("no network")'
        ),
    )
    result = inner.run(*BDD)
    result.assert_outcomes(passed=4, failed=2, skipped=1)
    login = inner.descriptions(inner.only_run()["identifier"])["TC-2"]
    assert "passed   Given a visitor (line 10)" in login
    assert "SKIPPED  When the visitor logs in (line 11): Skipped: no network" in login
    assert "Then the dashboard shows" not in login


MATRIX = """\
Feature: Storefront

  @TC-8
  Scenario Outline: Search on <browser>
    Given a storefront
    Then <term> is found

    Examples:
      | browser | term  |
      | chrome  | books |
      | Firefox | books |
      | safari  | maps  |
"""

MATRIX_STEPS = """\
from pytest_bdd import given, parsers, scenarios, then

scenarios("storefront.feature")


@given("a storefront")
def storefront():
    pass


@then(parsers.parse("{term} is found"))
def found(term):
    assert term == "books", "no maps"
"""

BROWSERS = [
    {"id": 201, "name": "Chrome"},
    {"id": 202, "name": "Firefox"},
    {"id": 203, "name": "Safari"},
]


def test_an_examples_column_names_each_rows_configuration(inner: Inner) -> None:
    inner.emulator.add_configurations(BROWSERS)
    inner.pytester.makeini("[pytest]\nbstm_configuration_param = browser\n")
    inner.pytester.makefile(".feature", storefront=MATRIX)
    inner.pytester.makepyfile(test_storefront=MATRIX_STEPS)
    result = inner.run(*BDD)
    result.assert_outcomes(passed=2, failed=1)
    run = inner.only_run()["identifier"]
    assert inner.statuses(run) == {
        ("TC-8", 201): "passed",
        ("TC-8", 202): "passed",
        ("TC-8", 203): "failed",
    }


def test_an_unknown_browser_in_an_examples_row_is_a_usage_error(inner: Inner) -> None:
    inner.emulator.add_configurations(BROWSERS)
    inner.pytester.makeini("[pytest]\nbstm_configuration_param = browser\n")
    inner.pytester.makefile(".feature", storefront=MATRIX.replace("safari ", "opera  "))
    inner.pytester.makepyfile(test_storefront=MATRIX_STEPS)
    result = inner.run(*BDD)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*no TM configuration is named*", "*test_search_on_browser?*: browser='opera'"]
    )
    assert inner.emulator.runs("PR-1") == []


def test_an_undefined_step_is_listed_with_the_steps_after_it(inner: Inner) -> None:
    inner.pytester.makefile(
        ".feature",
        shop="""\
Feature: Shop

  @TC-9
  Scenario Outline: Buy <item>
    Given a basket
    When the customer adds <item>
    Then the basket holds <item>
    And the total is shown

    Examples:
      | item |
      | book |
""",
    )
    inner.pytester.makepyfile(
        test_shop="""
from pytest_bdd import given, parsers, scenarios, then

scenarios("shop.feature")


@given("a basket")
def basket():
    pass


@then(parsers.parse("the basket holds {item}"))
def holds(item):
    pass
"""
    )
    result = inner.run(*BDD)
    result.assert_outcomes(failed=1)
    described = inner.descriptions(inner.only_run()["identifier"])["TC-9"]
    lines = [line.strip() for line in described.splitlines()]
    # pytest-bdd 8.0 names the outline "Buy <item>", later versions "Buy book"
    start = next(i for i, line in enumerate(lines) if line.startswith("Scenario Outline: Buy"))
    assert [line.split(" (line")[0] for line in lines[start + 1 : start + 5]] == [
        "passed   Given a basket",
        "FAILED   When the customer adds book",
        "not run  Then the basket holds book",
        "not run  And the total is shown",
    ]
    undefined = (
        "FAILED   When the customer adds book (line 6): pytest_bdd.exceptions."
        'StepDefinitionNotFoundError: Step definition is not found: When "the customer adds book"'
    )
    assert undefined in described


RULED = """\
@TC-20 \t
Feature: Orders

  Background:
    Given a shop

  Rule: Refunds

    Scenario Outline: Refund <amount>
      When <amount> is refunded
      Then the refund is <state>

      @TCID_TC-21 \t
      Examples:
        | amount | state |
        | 5      | done  |

      @TCID_TC-22  @slow
      Examples:
        | amount | state   |
        | 500    | pending |
        | 900    | done    |
"""

RULED_STEPS = """\
from pytest_bdd import given, parsers, scenarios, then, when

scenarios("orders.feature")


@given("a shop")
def shop():
    pass


@when(parsers.parse("{amount} is refunded"))
def refunded(amount):
    pass


@then(parsers.parse("the refund is {state}"))
def state(state):
    assert state == "done", "still pending"
"""


def test_background_rule_outlines_examples_tags_with_trailing_spaces(inner: Inner) -> None:
    markers = "".join(f"    {name}: a tag\n" for name in ("TCID_TC-21", "TCID_TC-22", "slow"))
    inner.pytester.makeini("[pytest]\nmarkers =\n" + markers)
    inner.pytester.makefile(".feature", orders=RULED)
    inner.pytester.makepyfile(test_orders=RULED_STEPS)
    result = inner.run(*BDD)
    result.assert_outcomes(passed=2, failed=1)
    run = inner.only_run()["identifier"]
    assert inner.statuses(run) == {("TC-21", None): "passed", ("TC-22", None): "failed"}
    pending = inner.descriptions(run)["TC-22"]
    assert "passed   Given a shop (line 5)" in pending  # the Background's step
    assert "FAILED   Then the refund is pending" in pending


def test_under_xdist_an_examples_column_names_each_rows_configuration(inner: Inner) -> None:
    inner.emulator.add_configurations(BROWSERS)
    inner.pytester.makeini("[pytest]\nbstm_configuration_param = browser\n")
    inner.pytester.makefile(".feature", storefront=MATRIX)
    inner.pytester.makepyfile(test_storefront=MATRIX_STEPS)
    result = inner.pytester.runpytest_subprocess(*inner.args(*BDD, "-p", "xdist.plugin", "-n", "2"))
    result.assert_outcomes(passed=2, failed=1)
    assert inner.statuses(inner.only_run()["identifier"]) == {
        ("TC-8", 201): "passed",
        ("TC-8", 202): "passed",
        ("TC-8", 203): "failed",
    }

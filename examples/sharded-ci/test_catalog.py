"""Catalog tests: TC-31..TC-33."""

import pytest

CATALOG = {"apple": 3, "pear": 4, "plum": 5}


@pytest.mark.tc("TC-31")
def test_catalog_lists_every_product() -> None:
    assert sorted(CATALOG) == ["apple", "pear", "plum"]


@pytest.mark.tc("TC-32")
@pytest.mark.parametrize("product", sorted(CATALOG))
def test_prices_are_positive(product: str) -> None:
    assert CATALOG[product] > 0


@pytest.mark.tc("TC-33")
def test_search_is_case_insensitive() -> None:
    assert [p for p in CATALOG if p == "Apple".lower()] == ["apple"]

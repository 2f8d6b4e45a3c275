"""Per-parameter cases, class and module level markers, and configurations per test."""

import pytest

# Every test in this module covers TC-10 unless a closer marker (class or function) says otherwise.
pytestmark = pytest.mark.tc("TC-10")

VAT = {"de": 0.19, "fr": 0.20, "uk": 0.20}


def gross(net: float, country: str) -> float:
    return round(net * (1 + VAT[country]), 2)


def test_module_level_marker_applies() -> None:
    assert gross(100, "de") == 119.0


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        # Each parameter set is its own Test Management case.
        pytest.param("de", 119.0, marks=pytest.mark.tc("TC-11"), id="germany"),
        pytest.param("fr", 120.0, marks=pytest.mark.tc("TC-12"), id="france"),
        pytest.param("uk", 120.0, marks=pytest.mark.tc("TC-13"), id="united-kingdom"),
        # A parameter set without its own marker falls back to the module's TC-10.
        pytest.param("de", 119.0, id="germany-again"),
    ],
)
def test_gross_price_per_country(country: str, expected: float) -> None:
    assert gross(100, country) == expected


@pytest.mark.tc("TC-14")
class TestRounding:
    """The class marker (TC-14) wins over the module's TC-10 for every method."""

    def test_rounds_to_cents(self) -> None:
        assert gross(9.99, "de") == 11.89

    def test_zero_stays_zero(self) -> None:
        assert gross(0, "fr") == 0

    @pytest.mark.tc("TC-15")
    def test_method_marker_wins_over_class(self) -> None:
        assert gross(0.01, "uk") == 0.01


class TestCheckoutPerBrowser:
    # Class-level pytestmark works like the decorator above.
    pytestmark = pytest.mark.tc("TC-16")

    def test_totals_render(self) -> None:
        assert f"{gross(10, 'de'):.2f}" == "11.90"

    # One result per configuration: Chrome/Windows (101) and Firefox/macOS (102).
    @pytest.mark.tc("TC-7", configurations=[101, 102])
    def test_checkout_button_on_two_browsers(self) -> None:
        assert gross(1, "fr") == 1.2

    # A different configuration for another case, and an assignee for it.
    @pytest.mark.tc("TC-8", configurations=[103], assignee="mobile-qa@example.com")
    def test_checkout_on_safari_ios(self) -> None:
        assert gross(1, "uk") == 1.2

    @pytest.mark.tc("TC-9")
    @pytest.mark.skip(reason="gift cards are not sold yet")
    def test_gift_card_checkout(self) -> None:
        raise AssertionError("not reached")

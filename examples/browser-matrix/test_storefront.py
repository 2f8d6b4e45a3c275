"""One TM case, one result per browser: the `browser` value names the configuration."""

from __future__ import annotations

import pytest


@pytest.fixture(params=["chrome", "firefox"])
def browser(request: pytest.FixtureRequest) -> str:
    """A real suite starts a WebDriver session here; this one only names the browser."""
    return str(request.param)


@pytest.mark.tc("TC-30")
def test_home_page_shows_the_catalogue(browser: str) -> None:
    assert browser in ("chrome", "firefox")


@pytest.mark.tc("TC-31")
@pytest.mark.parametrize("browser", ["chrome", "firefox", "Safari/iOS"])
def test_search_finds_a_book(browser: str) -> None:
    """Parametrized directly: "Safari/iOS" is found by name in the account's configurations."""
    assert browser


@pytest.mark.tc("TC-32")
@pytest.mark.parametrize("browser", ["firefox"], indirect=True)
def test_checkout_on_firefox_only(browser: str) -> None:
    assert browser == "firefox"

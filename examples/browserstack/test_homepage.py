import pytest

from pytest_bstm import Evidence


@pytest.mark.tc("TC-41")
def test_homepage_title(driver, bstm: Evidence) -> None:
    driver.get("https://example.com")
    bstm.link("https://example.com", label="page under test")
    bstm.attach(f"title: {driver.title}\n".encode(), name="page.txt")
    assert driver.title == "Example Domain"

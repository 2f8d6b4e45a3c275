"""A browser on BrowserStack Automate, and the evidence pytest-bstm puts on each result.

With ``BROWSERSTACK_AUTOMATE=1`` (and ``pip install selenium``) the ``driver`` fixture opens a
real remote Chrome on BrowserStack with the account in ``BROWSERSTACK_USERNAME`` /
``BROWSERSTACK_ACCESS_KEY``. Without it, a stand-in driver answers the two documented executor
commands as a BrowserStack session does, so the example runs anywhere (CI runs it that way).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_bstm import Evidence

HUB = "https://hub.browserstack.com/wd/hub"
PREFIX = "browserstack_executor: "


class StandInDriver:
    """Enough of a Selenium WebDriver on BrowserStack for this example."""

    title = "Example Domain"

    def __init__(self) -> None:
        self.status: dict[str, Any] | None = None

    def get(self, url: str) -> None:
        self.url = url

    def execute_script(self, script: str, *args: Any) -> Any:
        command = json.loads(script.removeprefix(PREFIX))
        if command["action"] == "getSessionDetails":
            return json.dumps(
                {
                    "name": "example",
                    "browser": "chrome",
                    "os": "Windows",
                    "public_url": "https://automate.browserstack.com/builds/example/sessions/1",
                }
            )
        self.status = command["arguments"]  # setSessionStatus
        return None

    def get_screenshot_as_png(self) -> bytes:
        return b"\x89PNG\r\n\x1a\n stand-in screenshot"

    def quit(self) -> None:
        pass


def _remote_driver() -> Any:
    from selenium import webdriver  # only for a real session

    options = webdriver.ChromeOptions()
    options.set_capability("bstack:options", {"os": "Windows", "sessionName": "pytest-bstm"})
    return webdriver.Remote(command_executor=HUB, options=options)


@pytest.fixture
def driver(bstm: Evidence, tmp_path: Path) -> Iterator[Any]:
    """A browser whose BrowserStack session is linked from the TM result and marked passed or
    failed from the test's outcome (before ``quit`` below); a screenshot on every result."""
    real = os.environ.get("BROWSERSTACK_AUTOMATE") == "1"
    browser = _remote_driver() if real else StandInDriver()
    bstm.browserstack_session(browser)
    yield browser
    shot = tmp_path / "last-page.png"
    shot.write_bytes(browser.get_screenshot_as_png())
    bstm.attach(shot)  # copied now: the file may go with tmp_path
    browser.quit()

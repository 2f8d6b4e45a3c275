"""The final upload's progress line: updated in place on a terminal, plain lines elsewhere."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from pytest_bstm.session.notices import fresh_line

if TYPE_CHECKING:
    from pytest_bstm.api import Client
    from pytest_bstm.delivery.uploader import Uploader

PLAIN_EVERY = 5.0  # seconds between plain lines when the output is not a terminal


class Progress:
    """Called by the uploader while the session end waits (from its first second on)."""

    def __init__(self, config: pytest.Config, client: Client | None = None) -> None:
        self.config = config
        self.client = client  # says what a retry waits for (a rate limit, a failing service)
        tr = config.pluginmanager.get_plugin("terminalreporter")
        self.tr: pytest.TerminalReporter | None = tr
        self.tty = tr is not None and bool(getattr(tr, "isatty", False))
        self.shown = False
        self._last = 0.0

    def __call__(self, pending: int, elapsed: float) -> None:
        tr = self.tr
        if tr is None:
            return
        what = "1 result" if pending == 1 else f"{pending} results"
        waiting = self.client.waiting if self.client is not None else None
        why = f", {waiting.reason}: waiting {waiting.seconds_left():.0f} s" if waiting else ""
        text = f"bstm: uploading, {what} left ({elapsed:.0f} s){why}"
        if self.tty:
            if not self.shown:
                fresh_line(self.config, tr)
            tr.rewrite(text, erase=True)
            self.shown = True
        elif time.monotonic() - self._last >= PLAIN_EVERY:
            self._last = time.monotonic()
            fresh_line(self.config, tr)
            tr.write_line(text)

    def done(self) -> None:
        """Clear the line on a terminal, leaving the cursor at its start."""
        if self.tty and self.shown and self.tr is not None:
            self.tr.rewrite("", erase=True)
            self.tr.write("\r")


def wait_for_uploads(config: pytest.Config, uploader: Uploader, timeout: float) -> float:
    """The session end's wait for the upload thread, with the progress line; seconds waited."""
    started = time.monotonic()
    progress = Progress(config, uploader.client)
    uploader.finish(timeout, progress)
    progress.done()
    return time.monotonic() - started

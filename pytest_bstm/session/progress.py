"""The final upload's progress line: updated in place on a terminal, plain lines elsewhere."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from pytest_bstm import compat
from pytest_bstm.session.notices import fresh_line

if TYPE_CHECKING:
    from pytest_bstm.delivery.events import DeliveryReport, Event
    from pytest_bstm.delivery.process import SenderProcess

PLAIN_EVERY = 5.0  # seconds between plain lines when the output is not a terminal
QUIET_FOR = 1.0  # seconds of waiting before the line shows


class Progress:
    """Shown while the session end waits for the sender (from its first second on)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        tr = config.pluginmanager.get_plugin("terminalreporter")
        self.tr: pytest.TerminalReporter | None = tr
        self.tty = tr is not None and bool(getattr(tr, "isatty", False))
        self.shown = False
        self._last = 0.0

    def __call__(self, pending: int, elapsed: float, waiting: str = "") -> None:
        """``waiting``: what a retry waits for (``rate limited by the service: waiting 38 s``)."""
        tr = self.tr
        if tr is None:
            return
        what = "1 result" if pending == 1 else f"{pending} results"
        why = f", {waiting}" if waiting else ""
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


def wait_for_uploads(
    config: pytest.Config, sender: SenderProcess, heard: Callable[[Event], None]
) -> tuple[DeliveryReport | None, float | None]:
    """The session end's wait for the sender, with the progress line: its report (None when
    it died or never ran) and the seconds waited for a run's uploads (None: no run started)."""
    if not sender.spawned:
        return None, None
    timeout, verbose = sender.settings.drain_timeout, compat.verbosity(config)
    started = time.monotonic()
    progress = Progress(config)

    def on(event: Event) -> None:
        elapsed = time.monotonic() - started
        if event.kind == "progress" and event.pending and elapsed >= QUIET_FOR:
            progress(event.pending, elapsed, event.message)
        heard(event)

    report = sender.finish(timeout, verbose, on)
    progress.done()
    return report, time.monotonic() - started if sender.started else None

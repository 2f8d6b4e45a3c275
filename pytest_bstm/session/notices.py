"""What the plugin tells the user outside the reporter's summary: early lines on the terminal
(while the tests run, so a 30-minute suite does not hide a problem until its end) and, when
reporting is off, the one ``bstm`` summary section that says why.

Registered in pytest's main process (or the xdist controller) whether reporting is on or
off: it costs no I/O. Nothing here is a Python warning, so ``-W error`` cannot turn it into
a crash.
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Generator
from typing import TYPE_CHECKING

import pytest

from pytest_bstm.config.options import INI_ONLY, OPTIONS
from pytest_bstm.delivery.events import preparing
from pytest_bstm.session.section import notes_alone

if TYPE_CHECKING:
    from pytest_bstm.run.plan import RunPlan

NOTICES_KEY: pytest.StashKey[Notices] = pytest.StashKey()
# pytest's own check of ini keys (PytestConfigWarning "Unknown config option: KEY")
_UNKNOWN_INI = re.compile(r"Unknown config option: (\S+)")
INI_KEYS = tuple(o.ini for o in OPTIONS) + tuple(name for name, _ in INI_ONLY)


def fresh_line(config: pytest.Config, tr: pytest.TerminalReporter) -> None:
    """Start a new line unless at the start of one (pytest's progress, ``-q`` dots included,
    may have left the line open)."""
    tr.ensure_newline()
    if config.get_terminal_writer().width_of_current_line:
        tr.write("\n")


def closest_ini_key(key: str) -> str | None:
    """The pytest-bstm ini key ``key`` most likely misspells, or None."""
    if key in INI_KEYS:
        return None
    found = difflib.get_close_matches(key.lower().replace("-", "_"), INI_KEYS, n=1, cutoff=0.75)
    return found[0] if found else None


class Notices:
    """Early terminal lines, said once each, and summary lines for a session without reporter."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.lines: list[tuple[str, str]] = []  # (label, text) for the summary section
        self.own_section = True  # False: the reporter's section says these lines
        self._told: set[str] = set()
        self._waiting: list[tuple[str, bool]] = []
        self._started = False
        self._retry_told = False
        self._finished = False  # the session ends (the reporter's summary says the rest)

    def tell(self, message: str, *, red: bool = False) -> None:
        """One line on the terminal now (at session start when asked before), once."""
        if message in self._told:
            return
        self._told.add(message)
        if not self._started:
            self._waiting.append((message, red))
            return
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            fresh_line(self.config, tr)
            tr.write_line(f"bstm: {message}", red=red, yellow=not red)

    def event(self, kind: str, message: str, plan: RunPlan | None) -> None:
        """What the upload thread posted, while the tests still run: a run that cannot be
        prepared, and the first retry of its preparation (a service that does not answer)."""
        if self._finished:
            return
        if kind == "failed":
            self.tell(f"{message} (tests go on; results are journaled)", red=True)
        elif kind in ("retrying", "unreached") and plan is not None and not self._retry_told:
            self._retry_told = True
            what = f"could not {preparing(plan)} yet: {message}"
            self.tell(f"{what}; retrying in the background (tests go on)")

    def finish(self) -> list[str]:
        """The session ends: the texts of the summary lines, for the reporter's section; from
        now on what the sender tells goes to that summary only."""
        self._finished = True
        return [text for _, text in self.lines]

    def summary(self, message: str, label: str = "note") -> None:
        """A line for the ``bstm`` summary section (the reporter's, or this object's own)."""
        if (label, message) not in self.lines:
            self.lines.append((label, message))

    @pytest.hookimpl(wrapper=True)
    def pytest_sessionstart(self, session: pytest.Session) -> Generator[None, None, None]:
        yield  # after pytest's header
        self._started = True
        waiting, self._waiting = self._waiting, []
        for message, red in waiting:
            self._told.discard(message)
            self.tell(message, red=red)

    def pytest_warning_recorded(self, warning_message: warnings.WarningMessage, when: str) -> None:
        """pytest warns about an unknown ini key (or, with ``--strict-config``, stops); for a
        misspelt pytest-bstm key, name the key it resembles."""
        match = _UNKNOWN_INI.match(str(warning_message.message)) if when == "config" else None
        closest = closest_ini_key(match.group(1)) if match else None
        if match is None or closest is None:
            return
        where = f" in {self.config.inipath.name}" if self.config.inipath else ""
        message = f"{match.group(1)}{where} is not a pytest-bstm key: did you mean {closest}?"
        self.tell(message)
        self.summary(message)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.own_section:  # else the reporter renders these lines in its own section
            notes_alone(terminalreporter, self.lines)

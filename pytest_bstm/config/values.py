"""Reading single option values: comma lists, the run name template, the status map, the
configuration map, whether the journal's path can be made, and the collector that lets one
usage error name every problem."""

from __future__ import annotations

import difflib
import os
import re
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from pytest_bstm.config import journal_lines
from pytest_bstm.vocabulary import (
    ACCESS_KEY_ENV,
    DEFAULT_STATUS_MAP,
    EMAIL_RE,
    OUTCOMES,
    STATUS_RE,
    SYSTEM_STATUSES,
)


def split(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip() for part in value.split(",") if part.strip())


class Problems:
    """Gathers every configuration problem so that one error names them all."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def check(self, ok: bool, problem: str) -> None:
        if not ok:
            self.problems.append(problem)

    def ident(self, value: str | None, pattern: re.Pattern[str], flag: str, example: str) -> None:
        if value is not None:
            self.check(
                pattern.fullmatch(value) is not None,
                f"{flag} {value!r} is not an ID like {example}",
            )

    def email(self, value: str | None, flag: str) -> None:
        if value is not None:
            self.check(
                EMAIL_RE.fullmatch(value) is not None,
                f"{flag} {value!r} is not an email address (name@example.com)",
            )


def render_run_name(template: str, now: datetime, environ: Mapping[str, str]) -> str:
    """Fill ``{date}``, ``{time}`` and ``{env:VAR}``; raise ValueError for anything else."""

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key == "date":
            return now.strftime("%Y-%m-%d")
        if key == "time":
            return now.strftime("%H:%M:%S")
        if key.startswith("env:") and key[4:]:
            value = environ.get(key[4:], "")
            secret = environ.get(ACCESS_KEY_ENV)
            if key[4:] == ACCESS_KEY_ENV or (secret and secret in value):
                raise ValueError(
                    f"{{{key}}} would put the access key in the run's name (shown in TM, on "
                    "the terminal and in the journal): name another variable"
                )
            return value
        raise ValueError(f"unknown placeholder {{{key}}} (use {{date}}, {{time}} or {{env:VAR}})")

    # an unset {env:VAR} leaves no double space: "CI {env:BRANCH} {date}" -> "CI 2026-11-30"
    return " ".join(re.sub(r"\{([^{}]*)\}", fill, template).split())


def parse_status_map(lines: list[str], c: Problems) -> tuple[dict[str, str], list[str]]:
    """The status map from ``bstm_status_map`` lines, and a notice per custom status.

    System statuses are checked here and written in lower case; a custom status can only be
    checked by the service, so each one gets a notice to show before the tests run (naming
    the system status it resembles, if any)."""
    mapping = dict(DEFAULT_STATUS_MAP)
    notices: list[str] = []
    for line in lines:
        outcome, sep, status = (part.strip() for part in line.partition("="))
        if status.lower() in SYSTEM_STATUSES:
            status = status.lower()  # system statuses in lower case, custom ones as configured
        if not sep or outcome not in OUTCOMES or not STATUS_RE.fullmatch(status):
            close = [] if outcome in OUTCOMES else difflib.get_close_matches(outcome, OUTCOMES, n=1)
            c.problems.append(
                f"bstm_status_map line {line!r} must read 'outcome = status' with outcome one of "
                f"{', '.join(OUTCOMES)}" + (f" (did you mean {close[0]}?)" if close else "")
            )
            continue
        mapping[outcome] = status
        if status not in SYSTEM_STATUSES:
            near = difflib.get_close_matches(status.lower(), SYSTEM_STATUSES, n=1, cutoff=0.75)
            guess = f"did you mean {near[0]!r}? " if near else ""
            notices.append(
                f"bstm_status_map: {status!r} (for {outcome}) is not a system status: {guess}"
                "the service refuses those results unless the account has it as a custom status"
            )
    return mapping, notices


def parse_configuration_map(lines: list[str], c: Problems) -> dict[str, int]:
    """``bstm_configuration_map`` lines ``name = ID`` -> lower-case name -> configuration ID."""
    table: dict[str, int] = {}
    for line in lines:
        name, sep, ident = (part.strip() for part in line.partition("="))
        if not sep or not name or not ident.isdigit() or int(ident) <= 0:
            c.problems.append(
                f"bstm_configuration_map line {line!r} must read 'name = configuration ID', "
                "e.g. 'chrome = 101'"
            )
            continue
        if table.get(name.lower(), int(ident)) != int(ident):
            c.problems.append(
                f"bstm_configuration_map names {name.lower()!r} twice with different IDs "
                f"({table[name.lower()]} and {ident}; names are case-insensitive): keep one line"
            )
            continue
        table[name.lower()] = int(ident)
    return table


def writable(path: Path) -> tuple[bool, str]:
    """Whether the journal can be made at ``path``: checked without writing anything but an
    empty folder made and removed at once in its nearest existing folder."""
    flag = "--bstm-journal (or bstm_journal)"
    if path.is_dir():
        return False, f"{flag} {str(path)!r} is a directory: name a file, e.g. results.jsonl"
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return False, f"{flag}: {str(parent)!r} is not a directory, so {str(path)!r} cannot be made"
    if not os.access(parent, os.W_OK | os.X_OK):
        return False, f"{flag}: {str(parent)!r} is not writable, so {str(path)!r} cannot be made"
    try:  # what access() cannot tell (root on /proc, some network file systems): try it
        os.rmdir(tempfile.mkdtemp(prefix=".bstm-probe-", dir=parent))
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        return (
            False,
            f"{flag}: nothing can be made in {str(parent)!r} ({why}), "
            f"so {str(path)!r} cannot be made",
        )
    return True, ""


def unfinished(path: Path) -> tuple[bool, str]:
    """A named journal an earlier session left with work to do (results, attachments, the close
    of its run) is not written to (its results would be sent into this session's run, its
    attachments stranded, or its crash settled by this session's end): the user finishes it
    first. A finished one is appended to; its readers start anew at each
    session's plan line."""
    if not path.is_file() or path.stat().st_size == 0:
        return True, ""
    try:
        left = journal_lines.left(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return False, (
            f"--bstm-journal (or bstm_journal) {str(path)!r} exists and cannot be read as a "
            f"journal ({exc}): name another file, or move it away"
        )
    return not left, (
        f"--bstm-journal (or bstm_journal) {str(path)!r} holds {' and '.join(left)} an earlier "
        f"session did not finish: finish it first (bstm journal upload {path}), or name "
        "another journal"
    )

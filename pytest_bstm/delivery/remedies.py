"""What finishes a delivery that failed, as ``bstm`` commands that work as printed.

The session's summary and ``bstm journal upload`` both suggest these, built here only: every
argument a command needs is in it (the project, the URL when it is not the default), quoted
for a POSIX shell, never a placeholder to fill in.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Literal

from pytest_bstm.vocabulary import DEFAULT_RUN_NAME, DEFAULT_URL

#: What can finish the delivery: ``retry`` the same upload later (an outage, a timeout),
#: the same upload once the ``credentials`` work (401, 403), send the results to a
#: ``new_run`` (the run is closed, deleted, unknown, or its settings were refused), or
#: ``none`` that a command can do (the project is unknown).
Remedy = Literal["retry", "credentials", "new_run", "none"]


def _where(url: str | None, project: str) -> list[str]:
    args = ["--url", url] if url and url.rstrip("/") != DEFAULT_URL else []
    return [*args, "--project", project]


def upload_command(journal: Path | str) -> str:
    """Finish the journal's session: the run, the results, the close (the plan is inside)."""
    return shlex.join(["bstm", "journal", "upload", str(journal)])


def new_run_command(journal: Path | str, url: str | None, project: str, name: str = "") -> str:
    """Create a run and upload the journal's results into it, in one shell line."""
    where = _where(url, project)
    create = shlex.join(["bstm", "runs", "create", *where, "--name", name or DEFAULT_RUN_NAME])
    return f'{upload_command(journal)} {shlex.join(where)} --run "$({create})"'


def close_command(url: str | None, project: str, run_id: str) -> str:
    return shlex.join(["bstm", "runs", "close", *_where(url, project), run_id])


def remedy_for(
    remedy: Remedy, journal: Path | str, url: str | None, project: str, name: str = ""
) -> tuple[str, str] | None:
    """``(what it does, command)`` for results still in ``journal``, or None."""
    if remedy == "retry":
        return "upload them with", upload_command(journal)
    if remedy == "credentials":
        return "once the credentials work, upload them with", upload_command(journal)
    if remedy == "new_run":
        return "send them to a new run with", new_run_command(journal, url, project, name)
    return None

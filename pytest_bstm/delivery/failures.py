"""Delivery failures, decided once: what went wrong as a typed fact (:class:`Failure`), the
session's count of failed attempts (:class:`Ledger`), the wording that names what to change
(:func:`explain`) and the ``bstm`` commands that finish what is left (:func:`remedy_for`).

The sender process builds the facts; the summary in pytest's process renders them, and never
parses a sentence back into a fact. Stdlib only at import: pytest's process imports this module
and must not import the client stack (``explain`` imports it when called, in the sender).

The service's answers are generic (a 404 names no object, a 400 names a field at best), so a
failure to prepare the run is worded from the plan: the run or project the failed call was
about, and the option that set the refused value. A 404 is told apart by one read: whether the
credentials see the project at all.
"""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pytest_bstm.vocabulary import CREDENTIALS_REFUSED, DEFAULT_RUN_NAME, DEFAULT_URL

if TYPE_CHECKING:
    from pytest_bstm.api import Client, errors
    from pytest_bstm.api.retry import Waiting
    from pytest_bstm.run.plan import RunPlan

#: What can finish the delivery: ``retry`` the same upload later (an outage, a timeout),
#: the same upload once the ``credentials`` work (401, 403), send the results to a
#: ``new_run`` (the run is closed, deleted, unknown, or its settings were refused), or
#: ``none`` that a command can do (the project is unknown).
Remedy = Literal["retry", "credentials", "new_run", "none"]

#: What went wrong. On the wire (no HTTP answer): ``dns``, ``refused``, ``unreachable`` (no
#: connection within the timeout), ``proxy``, ``certificate``, ``tls``, ``timeout``, ``dropped``,
#: ``bad_url``, ``transport``, ``ambiguous`` (a write whose answer was lost); answered:
#: ``rate_limited``, ``server``, ``auth`` (401), ``forbidden`` (403), ``not_found``,
#: ``rejected`` (400), ``closed`` (the run takes no results); else ``other``.
Kind = str

#: Kinds that mean the service was not reached at all (the name, the port, the route).
NEVER_REACHED = frozenset({"dns", "refused", "unreachable"})

NEW_RUN_NAME = DEFAULT_RUN_NAME
MAX_PROJECTS_SHOWN = 5
# the option behind a value the service refused, by error code or a word of its message
_REFUSED = (
    ("sub_test_plan", "sub test plan", "--bstm-sub-test-plan"),
    ("test_plan", "test plan", "--bstm-test-plan"),
    ("configuration", "configuration", "--bstm-configurations (or a marker's configurations=)"),
    ("status", "status", "--bstm-clone-statuses"),
    ("assignee", "assignee", "--bstm-assignee / --bstm-case-assignee (or a marker's assignee=)"),
)


@dataclass(frozen=True)
class Failure:
    """A failure of delivery: its ``kind``, ``message`` (one clause that names what to check,
    without counts), the ``request`` it happened to (``POST /api/v2/...``; empty when not one
    request), the failed ``attempts`` of this kind in the session, the first at ``since``
    (:func:`time.time`), and the ``remedy`` for the results it leaves."""

    kind: Kind
    message: str
    request: str = ""
    attempts: int = 1
    since: float = 0.0
    remedy: Remedy = "retry"

    @property
    def never_reached(self) -> bool:
        return self.kind in NEVER_REACHED

    def told(self, now: float | None = None) -> str:
        """``127.0.0.1:9 refused the connection (240 attempts over 12 min)``."""
        if self.attempts <= 1:
            return f"{self.message} (1 attempt)"
        return f"{self.message} ({self.attempts} attempts over {_duration(now, self.since)})"


def _duration(now: float | None, since: float) -> str:
    spent = max(0.0, (time.time() if now is None else now) - since)
    if spent < 10:
        return f"{spent:.1f} s"
    return f"{spent:.0f} s" if spent < 120 else f"{spent / 60:.0f} min"


class Ledger:
    """The session's failed attempts, by kind (one owner: the sender process's delivery)."""

    def __init__(self) -> None:
        self.latest: Failure | None = None
        self._counts: dict[Kind, tuple[int, float]] = {}

    def failed(
        self, kind: Kind, message: str, request: str = "", remedy: Remedy = "retry"
    ) -> Failure:
        """One more failed attempt; the failure as the session has seen it so far."""
        count, since = self._counts.get(kind, (0, time.time()))
        self._counts[kind] = (count + 1, since)
        self.latest = Failure(kind, message, request, count + 1, since, remedy)
        return self.latest

    def waited(self, waiting: Waiting) -> Failure:
        """A failed attempt that the client retries (its wait in progress)."""
        return self.failed(waiting.kind, waiting.reason, f"{waiting.method} {waiting.path}")

    def raised(self, exc: BaseException, failure: Failure | None = None) -> Failure:
        """The last failed attempt of a request, which raised ``exc`` (worded as ``failure``
        when given, else as the retries before it were, else as ``exc`` says)."""
        kind = failure.kind if failure is not None else kind_of(exc)
        method, path = getattr(exc, "method", ""), getattr(exc, "path", "")
        request = f"{method} {path}" if method else ""
        if failure is not None:
            message, remedy = failure.message, failure.remedy
        elif self.latest is not None and self.latest.kind == kind:
            message, remedy = self.latest.message, remedy_of(kind)
        else:
            message, remedy = str(exc) or type(exc).__name__, remedy_of(kind)
        return self.failed(kind, message, request, remedy)

    def never_reached(self, requests_sent: int) -> bool:
        """Every failed attempt failed before reaching the service, and they are at least
        ``requests_sent``."""
        unreached = sum(n for kind, (n, _) in self._counts.items() if kind in NEVER_REACHED)
        others = len(self._counts.keys() - NEVER_REACHED)
        return unreached > 0 and not others and unreached >= requests_sent


# -- the wording of a permanent failure (in the sender: imports the client stack) ----------
def kind_of(exc: BaseException) -> Kind:
    """The kind of a failure the client (or the run's lifecycle) raised."""
    from pytest_bstm.api import errors  # noqa: PLC0415 - the sender's side only
    from pytest_bstm.run.lifecycle import RunClosedError  # noqa: PLC0415

    if isinstance(exc, RunClosedError):
        return "closed"
    if isinstance(exc, errors.AmbiguousRequestError):
        return "ambiguous"
    if isinstance(exc, errors.TransportError):
        return exc.kind
    by_class = (
        (errors.AuthenticationError, "auth"),
        (errors.PermissionDeniedError, "forbidden"),
        (errors.NotFoundError, "not_found"),
        (errors.BadRequestError, "rejected"),
        (errors.RateLimitError, "rate_limited"),
        (errors.ServerError, "server"),
    )
    return next((kind for cls, kind in by_class if isinstance(exc, cls)), "other")


def remedy_of(kind: Kind) -> Remedy:
    """What can deliver results that a permanent failure of ``kind`` stopped."""
    if kind == "closed":
        return "new_run"
    if kind in ("auth", "forbidden"):
        return "credentials"
    # what a later try cannot change (the same request is refused, or cannot be made)
    return "none" if kind in ("not_found", "rejected", "tls", "bad_url", "other") else "retry"


def unseen_project(client: Client, project: str) -> str | None:
    """After a 404: ``these credentials see PR-1, PR-2`` when ``project`` is not among the
    projects the credentials see (one listing); None when it is, or the listing fails too."""
    from pytest_bstm.api import errors  # noqa: PLC0415 - the sender's side only

    try:
        projects = sorted(p.identifier for p in client.iter_projects(page_size=300))
    except errors.BstmError:
        return None
    if project in projects:
        return None
    shown = ", ".join(projects[:MAX_PROJECTS_SHOWN]) or "none"
    more = ", ..." if len(projects) > MAX_PROJECTS_SHOWN else ""
    return f"these credentials see {shown}{more}"


def said_404(exc: errors.NotFoundError) -> str:
    """``HTTP 404 "Test Run ID is invalid"``: the answer, without the generic hint."""
    return f'HTTP 404 "{exc.message}"' if exc.message else "HTTP 404"


def _not_found(exc: errors.NotFoundError, plan: RunPlan, client: Client) -> tuple[str, Remedy]:
    seen = unseen_project(client, plan.project)
    said = said_404(exc)
    if seen is not None:
        where = "check --bstm-project, and --bstm-url for the project's region"
        return f"project {plan.project} not found ({said}; {seen}): {where}", "none"
    run_id, flag = (plan.run_id, "--bstm-run") if plan.mode == "join" else (plan.source, "")
    if plan.mode == "clone":
        flag = "--bstm-clone"
    if run_id:
        return f"it is not in {plan.project} ({said}: unknown, deleted or closed): check {flag}", (
            "new_run"
        )
    return f"{plan.project} answered {said}", "none"


def explain(exc: BaseException, plan: RunPlan, client: Client, request: str = "") -> Failure:
    """The failure to prepare ``plan``'s run: one clause (without "could not create the
    run:") that names what to change, and the remedy."""
    from pytest_bstm.api import errors  # noqa: PLC0415 - the sender's side only

    kind = kind_of(exc)
    text, remedy = str(exc) or type(exc).__name__, remedy_of(kind)
    if kind == "auth":
        text = CREDENTIALS_REFUSED
    elif kind == "forbidden":
        text = (
            f"these credentials may not write to {plan.project} (HTTP 403): ask a project "
            "admin for access, or check --bstm-project"
        )
    elif isinstance(exc, errors.NotFoundError):
        text, remedy = _not_found(exc, plan, client)
    elif isinstance(exc, errors.BadRequestError):
        code = exc.error or ""
        low = f"{code} {exc.message}".lower()
        key, flag = next(((c, f) for c, word, f in _REFUSED if c in code or word in low), ("", ""))
        said = f"HTTP 400 {code}".rstrip()
        check = f": check {flag}" if flag else ""
        text = f"the service refused it ({said}: {exc.message}){check}"
        # every result names its configuration: a new run would refuse them too
        remedy = "none" if key == "configuration" else "new_run"
    return Failure(kind, text, request, 1, time.time(), remedy)


# -- the commands that finish the job (as printed: quoted for a POSIX shell, no placeholder) --
def _where(url: str | None, project: str) -> list[str]:
    args = ["--url", url] if url and url.rstrip("/") != DEFAULT_URL else []
    return [*args, "--project", project]


def upload_command(journal: Path | str) -> str:
    """Finish the journal's session: the run, the results, the close (the plan is inside)."""
    return shlex.join(["bstm", "journal", "upload", str(journal)])


def new_run_command(
    journal: Path | str, url: str | None, project: str, name: str = "", *, close: bool = True
) -> str:
    """Create a run, upload the journal's results into it and (``close``) close it: one shell
    line that leaves the new run as the session would have left a run it created."""
    where = _where(url, project)
    create = shlex.join(["bstm", "runs", "create", *where, "--name", name or NEW_RUN_NAME])
    closing = " --close" if close else ""  # closed by the upload, even when one is rejected
    return f'RUN=$({create}) && {upload_command(journal)} {shlex.join(where)} --run "$RUN"{closing}'


def closes_new_run(plan: RunPlan | None) -> bool:
    """A new run made for the results is closed, unless the session was told to leave the
    runs it creates open (``--bstm-no-close``): a joined run's owner closes that one, but
    nobody else knows of the new one."""
    return plan is None or plan.close or plan.mode == "join"


def close_command(url: str | None, project: str, run_id: str) -> str:
    return shlex.join(["bstm", "runs", "close", *_where(url, project), run_id])


def remedy_for(
    remedy: Remedy,
    journal: Path | str,
    url: str | None,
    project: str,
    name: str = "",
    *,
    close: bool = True,
) -> tuple[str, str] | None:
    """``(what it does, command)`` for results still in ``journal``, or None."""
    if remedy == "retry":
        return "upload them with", upload_command(journal)
    if remedy == "credentials":
        return "once the credentials work, upload them with", upload_command(journal)
    if remedy == "new_run":
        return "send them to a new run with", new_run_command(
            journal, url, project, name, close=close
        )
    return None

"""Why a run could not be prepared, in one line that names what to change, and what can still
deliver the journaled results (:data:`~pytest_bstm.delivery.remedies.Remedy`).

The service's answers are generic (a 404 names no object, a 400 names a field at best), so
the line is built from the plan: the run or project the failed call was about, and the
option that set the refused value. A 404 is told apart by one read: whether the credentials
see the project at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_bstm.api import Client, errors
from pytest_bstm.delivery.remedies import Remedy
from pytest_bstm.run.lifecycle import RunClosedError
from pytest_bstm.run.plan import RunPlan
from pytest_bstm.vocabulary import CREDENTIALS_REFUSED

# the option behind a value the service refused, by error code or a word of its message
_REFUSED = (
    ("sub_test_plan", "sub test plan", "--bstm-sub-test-plan"),
    ("test_plan", "test plan", "--bstm-test-plan"),
    ("configuration", "configuration", "--bstm-configurations (or a marker's configurations=)"),
    ("status", "status", "--bstm-clone-statuses"),
    ("assignee", "assignee", "--bstm-assignee / --bstm-case-assignee (or a marker's assignee=)"),
)
MAX_PROJECTS_SHOWN = 5


@dataclass(frozen=True)
class Failure:
    message: str
    remedy: Remedy


def unseen_project(client: Client, project: str) -> str | None:
    """After a 404: ``these credentials see PR-1, PR-2`` when ``project`` is not among the
    projects the credentials see (one listing); None when it is, or the listing fails too."""
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


def _not_found(exc: errors.NotFoundError, plan: RunPlan, client: Client) -> Failure:
    seen = unseen_project(client, plan.project)
    said = said_404(exc)
    if seen is not None:
        return Failure(
            f"project {plan.project} not found ({said}; {seen}): "
            "check --bstm-project, and --bstm-url for the project's region",
            "none",
        )
    run_id, flag = (plan.run_id, "--bstm-run") if plan.mode == "join" else (plan.source, "")
    if plan.mode == "clone":
        flag = "--bstm-clone"
    if run_id:
        return Failure(
            f"it is not in {plan.project} ({said}: unknown, deleted or closed): check {flag}",
            "new_run",
        )
    return Failure(f"{plan.project} answered {said}", "none")


def explain(exc: BaseException, plan: RunPlan, client: Client) -> Failure:
    """One line (without "could not create the run:") and the remedy, for a permanent
    failure to prepare ``plan``'s run."""
    if isinstance(exc, RunClosedError):
        return Failure(str(exc), "new_run")
    if isinstance(exc, errors.AuthenticationError):
        return Failure(CREDENTIALS_REFUSED, "credentials")
    if isinstance(exc, errors.PermissionDeniedError):
        return Failure(
            f"these credentials may not write to {plan.project} (HTTP 403): ask a project "
            "admin for access, or check --bstm-project",
            "credentials",
        )
    if isinstance(exc, errors.NotFoundError):
        return _not_found(exc, plan, client)
    if isinstance(exc, errors.FatalTransportError):  # a CA bundle fixes it, not a wrong URL
        return Failure(str(exc), "retry" if "REQUESTS_CA_BUNDLE" in str(exc) else "none")
    if isinstance(exc, errors.BadRequestError):
        code = exc.error or ""
        text = f"{code} {exc.message}".lower()
        key, flag = next(((c, f) for c, word, f in _REFUSED if c in code or word in text), ("", ""))
        said = f"HTTP 400 {code}".rstrip()
        check = f": check {flag}" if flag else ""
        # every result names its configuration: a new run would refuse them too
        remedy: Remedy = "none" if key == "configuration" else "new_run"
        return Failure(f"the service refused it ({said}: {exc.message}){check}", remedy)
    return Failure(str(exc) or type(exc).__name__, "none")


def remedy_of(exc: BaseException) -> Remedy:
    """What can deliver results that a permanent failure to send stopped."""
    if isinstance(exc, RunClosedError):
        return "new_run"
    if isinstance(exc, (errors.AuthenticationError, errors.PermissionDeniedError)):
        return "credentials"
    return "none"

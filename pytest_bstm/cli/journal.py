"""``bstm journal upload PATH``: finish what a session could not, exactly once.

A journal is self-sufficient: it holds the run's plan (create, clone or join, with the cases,
assignments and whether to close), the run once known, and every result. The upload creates or
clones the run if the session never could (a run the session made but never heard of is found
by the session token in its description, not made twice), adds and assigns the cases, sends
each unsent result once through the session's own delivery engine, and closes the run if the
session would have. ``--run TR-N`` sends the results to another run instead.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections import Counter
from pathlib import Path

from pytest_bstm.api import errors
from pytest_bstm.cli import common as c
from pytest_bstm.cli.journal_files import exclusive, journals, set_aside
from pytest_bstm.delivery import journal
from pytest_bstm.delivery.driver import Outcome, deliver
from pytest_bstm.delivery.failures import new_run_command, unseen_project
from pytest_bstm.delivery.records import from_record
from pytest_bstm.results.model import Result
from pytest_bstm.run.plan import RunPlan


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser("journal", help="upload results a session could not send")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    text = (
        "Finish what a session could not: create (or clone, or join) its run if needed, add "
        "and assign the cases, upload the results not marked sent (marking them in the same "
        "journal, so a second upload sends nothing) and close the run if the session would "
        "have. PATH is a journal or a folder of journals (.bstm/). --run sends the results "
        "to another run instead."
    )
    parser = actions.add_parser(
        "upload",
        parents=[c.common_options(project_env=False)],
        help="finish a session's reporting from its journal",
        description=text,
    )
    parser.add_argument(
        "paths", type=Path, nargs="+", metavar="PATH", help="journal files or folders of them"
    )
    parser.add_argument(
        "--run", type=c.run_id, metavar="TR-5", help="upload into this run instead (TR-5)"
    )
    parser.add_argument(
        "--close",
        action="store_true",
        help="close the run once the results it can take are in it (rejected ones are named; "
        "results left for a later upload keep it open), e.g. a new run given with --run",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="say what would be uploaded, send nothing"
    )
    parser.set_defaults(handler=upload)
    aside = actions.add_parser(
        "set-aside",
        help="leave a journal out of folder uploads (kept, renamed to *.jsonl.aside)",
        description=(
            "Rename each journal to PATH.aside, so that `bstm journal upload .bstm/` leaves out "
            "a journal whose upload cannot succeed. Nothing is deleted: `bstm journal upload "
            "PATH.aside` still uploads it by name."
        ),
    )
    aside.add_argument("paths", type=Path, nargs="+", metavar="PATH", help="journal files")
    aside.set_defaults(handler=set_aside)


# the plugin's advice names its options; for a journal, what the command can change instead
CLI_WORDS = (
    (
        "check --bstm-project, and --bstm-url for the project's region",
        "check the journal's project (or pass --project), and --url for the project's region",
    ),
    ("check --bstm-run", "check the journal's run, or send the results to another with --run"),
    ("check --bstm-clone", "check the run the journal clones"),
    ("or check --bstm-project", "or pass --project"),
    ("join an open run, or clone it with --bstm-clone", "pass an open run with --run, or clone"),
)


def in_cli_words(message: str) -> str:
    """``message`` with the plugin's options replaced by what ``bstm journal upload`` takes."""
    for plugin, cli in CLI_WORDS:
        message = message.replace(plugin, cli)
    return message


def counts(statuses: Counter[str]) -> str:
    """``3 passed, 1 failed, 2 blocked``: passed and failed always, then any other."""
    parts = [f"{statuses[s]} {s}" for s in ("passed", "failed")]
    parts += [f"{n} {s}" for s, n in sorted(statuses.items()) if s not in ("passed", "failed")]
    return ", ".join(parts)


def _read(path: Path) -> journal.JournalState:
    try:
        state = journal.read(path)
    except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        raise c.UsageError(f"cannot read journal {path}: {exc}") from None
    if state.plan is None and not state.results and not state.sent:
        raise c.UsageError(f"{path} is not a pytest-bstm journal (no plan, no results)")
    if state.unreadable:  # what such a line held (a result, a mark) is not known
        lines = ", ".join(map(str, state.unreadable))
        c.err(f"warning: {path}: skipped line {lines}: not JSON (torn by a kill, or edited)")
    return state


def upload(args: argparse.Namespace) -> int:
    status = 0
    found = journals(args.paths)
    for path in found:
        with exclusive(path) as present:
            if not present:
                c.out(f"nothing to upload: {path} was delivered by the one that held it")
                continue
            try:
                state = _read(path)
            except c.UsageError as exc:  # of several, a stray file stops none of the others
                if len(found) == 1:
                    raise
                c.err(f"error: {exc}")
                status = 2
                continue
            status = max(status, _upload_one(args, path, state, named=len(found) > 1))
    return status


def _results(path: Path, state: journal.JournalState) -> list[Result]:
    try:
        return [from_record(record) for record in state.unsent]
    except (KeyError, TypeError, ValueError) as exc:
        raise c.UsageError(f"malformed result record in {path}: {exc!r}") from None


def _upload_one(
    args: argparse.Namespace, path: Path, state: journal.JournalState, *, named: bool = False
) -> int:
    results = _results(path, state)
    plan = RunPlan.from_json(state.plan) if state.plan else None
    if plan is not None and args.project and args.project != plan.project:
        plan = dataclasses.replace(plan, project=args.project)  # --project wins, for the run too
    project = args.project or (plan.project if plan else None) or c.env_project()
    project = project or c.ini_project()
    run = args.run or state.run
    close = args.close or (plan is not None and plan.close and args.run is None)
    close = close and not (state.closed and args.run is None)
    if not results and not state.unattached() and not (close and run is not None):
        c.out(f"nothing to upload from {path}" if named else "nothing to upload")
        return 0
    if run is None and plan is None:
        if not project:
            raise c.UsageError(f"{path} names no project and no run: pass --project and --run")
        command = new_run_command(path, args.url or _url(state), project)
        raise c.UsageError(f"{path} names no run: send its results to a new run with: {command}")
    if args.dry_run:
        if run is None and project:  # a new run: only in a project the credentials see
            _check_project(args.url or _url(state), project)
        where = run or f"a new run ({plan.mode if plan else 'create'})"
        statuses = Counter(r.status for r in results)
        n = "1 result" if len(results) == 1 else f"{len(results)} results"
        files = len(state.attachments) - len(state.attachments_done)
        also = f" and {files} attached file{'s' * (files != 1)}" if files else ""
        c.out(f"would upload {n}{also} to {where} ({counts(statuses)})")
        return 0
    if not project:
        raise c.UsageError(f"{path} names no project: pass --project PR-1")
    if plan is not None and state.plan is not None and plan.project != state.plan.get("project"):
        _keep_plan(path, args.url or state.url, plan)
    outcome = _deliver(
        args, path, state=state, project=project, run=run, plan=plan, results=results, close=close
    )
    return _report(outcome)


def _check_project(url: str | None, project: str) -> None:
    """Raise :class:`ProjectUnknown` when the credentials do not see ``project``."""
    with c.make_client(url) as client:
        seen = unseen_project(client, project)
    if seen is not None:
        raise ProjectUnknown(
            f"project {project} not found ({seen}): pass --project with one of them, "
            "and --url for the project's region"
        )


class ProjectUnknown(errors.BstmError):
    """The project a dry run would make a run in is not one the credentials see."""


def _keep_plan(path: Path, url: str | None, plan: RunPlan) -> None:
    """Record the plan's new project (``--project``) so that later uploads keep to it."""
    writer = journal.Journal(path)
    writer.plan(url or "", plan.to_json())
    writer.close()


def _deliver(
    args: argparse.Namespace,
    path: Path,
    *,
    state: journal.JournalState,
    project: str,
    run: str | None,
    plan: RunPlan | None,
    results: list[Result],
    close: bool,
) -> Outcome:
    url = args.url if args.url is not None else _url(state)
    with c.make_client(url) as client:
        return deliver(
            client, path, state, url=url, project=project, run=run, plan=plan,
            results=results, close=close,
        )  # fmt: skip


def _url(state: journal.JournalState) -> str | None:
    if not state.url:  # none recorded: the default
        return None
    try:
        return c.base_url(state.url)
    except argparse.ArgumentTypeError as exc:
        raise c.UsageError(f"the journal's URL: {exc}; pass --url") from None


def _report(outcome: Outcome) -> int:
    for result, message in outcome.rejected:
        cfg = (
            "" if result.configuration_id is None else f" (configuration {result.configuration_id})"
        )
        tests = ", ".join(result.nodeids) or "no test recorded"
        c.err(f"rejected {result.case_id}{cfg} [{tests}]: {message}")
    for message in outcome.errors:
        c.err(f"error: {in_cli_words(message)}")
    for message in outcome.not_attached:
        c.err(f"not attached: {message}")
    after = journal.read(outcome.path)
    left = len(after.unsent) + len(after.unattached())
    if left and (outcome.hopeless or outcome.rejected):
        c.err(
            f"to leave {outcome.path} out of later folder uploads (kept, renamed): "
            f"bstm journal set-aside {outcome.path}"
        )
    tail = f"; {len(outcome.rejected)} rejected" if outcome.rejected else ""
    closed = f"; {outcome.run} closed" if outcome.closed else ""
    files = f"{outcome.attached} file{'s' * (outcome.attached != 1)}"
    closed = f"; {files} attached{closed}" if outcome.attached else closed
    total = sum(outcome.sent.values())
    results = "1 result" if total == 1 else f"{total} results"
    if outcome.run is None:
        c.out(f"uploaded nothing (no run); {left} left in {outcome.path}")
    elif not total and outcome.errors and not outcome.closed:  # the error says why
        c.out(f"uploaded nothing to {outcome.run}; {left} left in {outcome.path}")
    else:
        c.out(
            f"uploaded {results} to {outcome.run} ({counts(outcome.sent)})"
            f"{tail}{closed}; {left} left in {outcome.path}"
        )
    return 1 if left or outcome.rejected or outcome.errors else 0

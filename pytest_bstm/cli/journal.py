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
import contextlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from pytest_bstm.cli import common as c
from pytest_bstm.delivery import journal
from pytest_bstm.delivery.driver import Busy, Outcome, deliver, exclusive, results_of
from pytest_bstm.delivery.remedies import new_run_command
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
        "--dry-run", action="store_true", help="say what would be uploaded, send nothing"
    )
    parser.set_defaults(handler=upload)


def counts(statuses: Counter[str]) -> str:
    """``3 passed, 1 failed, 2 blocked``: passed and failed always, then any other."""
    parts = [f"{statuses[s]} {s}" for s in ("passed", "failed")]
    parts += [f"{n} {s}" for s, n in sorted(statuses.items()) if s not in ("passed", "failed")]
    return ", ".join(parts)


def journals(paths: list[Path]) -> list[Path]:
    """Every journal named: files as given, folders expanded to their ``*.jsonl``."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(path.glob("*.jsonl")))
        elif path.exists():
            found.append(path)
        else:
            raise c.UsageError(f"cannot read journal {path}: no such file or directory")
    if not found:
        raise c.UsageError(f"no journal (*.jsonl) in {', '.join(map(str, paths))}")
    return found


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
        with _exclusive(path):
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


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """The journal, held so that no other delivery of it runs at once (a usage error if one
    does: a sender process still finishing it, or another upload)."""
    try:
        with exclusive(path):
            yield
    except Busy:
        raise c.UsageError(
            f"another `bstm journal upload` of {path} (or its session's sender process) is "
            "running: wait for it to end"
        ) from None


def _results(path: Path, state: journal.JournalState) -> list[Result]:
    try:
        return results_of(state)
    except (KeyError, TypeError, ValueError) as exc:
        raise c.UsageError(f"malformed result record in {path}: {exc!r}") from None


def _upload_one(
    args: argparse.Namespace, path: Path, state: journal.JournalState, *, named: bool = False
) -> int:
    results = _results(path, state)
    plan = RunPlan.from_json(state.plan) if state.plan else None
    project = args.project or (plan.project if plan else None) or c.env_project()
    run = args.run or state.run
    close = plan is not None and plan.close and args.run is None and not state.closed
    if not results and not (close and run is not None):
        c.out(f"nothing to upload from {path}" if named else "nothing to upload")
        return 0
    if run is None and plan is None:
        if not project:
            raise c.UsageError(f"{path} names no project and no run: pass --project and --run")
        command = new_run_command(path, args.url or _url(state), project)
        raise c.UsageError(f"{path} names no run: send its results to a new run with: {command}")
    if args.dry_run:
        where = run or f"a new run ({plan.mode if plan else 'create'})"
        statuses = Counter(r.status for r in results)
        n = "1 result" if len(results) == 1 else f"{len(results)} results"
        c.out(f"would upload {n} to {where} ({counts(statuses)})")
        return 0
    if not project:
        raise c.UsageError(f"{path} names no project: pass --project PR-1")
    outcome = _deliver(
        args, path, state=state, project=project, run=run, plan=plan, results=results, close=close
    )
    return _report(outcome)


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
            client, path, url=url, project=project, run=run, plan=plan, results=results,
            close=close,
        )  # fmt: skip


def _url(state: journal.JournalState) -> str | None:
    if state.url is None:
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
        c.err(f"error: {message}")
    left = len(journal.read(outcome.path).unsent)
    tail = f"; {len(outcome.rejected)} rejected" if outcome.rejected else ""
    closed = f"; {outcome.run} closed" if outcome.closed else ""
    total = sum(outcome.sent.values())
    results = "1 result" if total == 1 else f"{total} results"
    c.out(
        f"uploaded {results} to {outcome.run or 'no run'} ({counts(outcome.sent)})"
        f"{tail}{closed}; {left} left in {outcome.path}"
    )
    return 1 if left or outcome.rejected or outcome.errors else 0

"""``bstm runs list|show|create|clone|close|delete``."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from pytest_bstm.api import models
from pytest_bstm.cli import common as c
from pytest_bstm.config.values import render_run_name
from pytest_bstm.vocabulary import SYSTEM_STATUSES


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    runs = commands.add_parser("runs", help="list, show, create, clone, close or delete runs")
    actions = runs.add_subparsers(dest="action", required=True, metavar="ACTION")
    common = c.common_options()

    def action(name: str, handler: c.Handler, text: str) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, parents=[common], help=text, description=text)
        parser.set_defaults(handler=handler)
        return parser

    p = action("list", list_runs, "List a project's test runs (open ones unless told).")
    p.add_argument(
        "--state", type=c.states, metavar="STATES", help="run states, e.g. new,in_progress"
    )
    p.add_argument(
        "--assignee", type=c.emails, metavar="EMAILS", help="assignee email(s), comma-separated"
    )
    for when in ("created", "closed"):
        for side in ("after", "before"):
            p.add_argument(f"--{when}-{side}", type=c.date, metavar="DATE", help="YYYY-MM-DD")
    p.add_argument(
        "--test-plan", type=c.plan_id, metavar="TP-1", help="runs linked to this test plan (TP-1)"
    )
    p.add_argument("--include-closed", action="store_true", help="list closed runs too")
    p.add_argument("--json", action="store_true", help="print a JSON array")

    p = action("show", show_run, "Show a run: details, case count and progress.")
    p.add_argument("run", type=c.run_id, metavar="RUN", help="run ID, e.g. TR-5")
    p.add_argument("--json", action="store_true", help="print a JSON object")

    p = action("create", create_run, "Create a run; prints only its ID (or JSON).")
    p.add_argument("--name", required=True, help="run name; {date}, {time}, {env:VAR} filled")
    p.add_argument("--description", help="run description")
    p.add_argument("--assignee", type=c.email, metavar="EMAIL", help="run assignee email")
    p.add_argument(
        "--case-assignee", type=c.email, metavar="EMAIL", help="default assignee of the run's cases"
    )
    p.add_argument("--tags", type=c.labels, metavar="A,B", help="tags, comma-separated")
    p.add_argument(
        "--issues", type=c.labels, metavar="KEY-1,KEY-2", help="issue keys, comma-separated"
    )
    plan = p.add_mutually_exclusive_group()
    plan.add_argument(
        "--test-plan", type=c.plan_id, metavar="TP-1", help="link to this test plan (TP-1)"
    )
    plan.add_argument(
        "--sub-test-plan", type=c.sub_plan_id, metavar="STP-1", help="link to this sub plan (STP-1)"
    )
    p.add_argument(
        "--configurations", type=c.configuration_ids, metavar="101,102", help="configuration IDs"
    )
    p.add_argument(
        "--cases", type=c.case_ids, metavar="TC-1,TC-2", help="test case IDs, e.g. TC-1,TC-2"
    )
    p.add_argument("--json", action="store_true", help="print the run as a JSON object")

    p = action("clone", clone_run, "Clone a run; prints only the new run's ID (or JSON).")
    p.add_argument("run", type=c.run_id, metavar="RUN", help="run to clone, e.g. TR-5")
    p.add_argument("--name", help="name of the clone; {date}, {time}, {env:VAR} filled")
    p.add_argument(
        "--statuses",
        type=c.statuses,
        metavar="failed,blocked",
        help="clone only cases with these results",
    )
    p.add_argument("--json", action="store_true", help="print the run as a JSON object")

    p = action("close", close_run, "Close a run (it then accepts no more results).")
    p.add_argument("run", type=c.run_id, metavar="RUN", help="run ID, e.g. TR-5")

    p = action("delete", delete_run, "Delete a run and its results (asks first).")
    p.add_argument("run", type=c.run_id, metavar="RUN", help="run ID, e.g. TR-5")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")


# -- handlers ------------------------------------------------------------------------------


def list_runs(args: argparse.Namespace) -> int:
    args.project = c.project(args)
    with c.make_client(args.url) as client:
        runs = list(
            client.list_runs(
                args.project,
                run_state=args.state,
                assignee=args.assignee,
                created_after=args.created_after,
                created_before=args.created_before,
                closed_after=args.closed_after,
                closed_before=args.closed_before,
                test_plan_id=args.test_plan,
                include_closed=True if _closed_too(args) else None,
            )
        )
    if args.json:
        c.print_json([run.model_dump(mode="json") for run in runs])
    elif not runs and _closed_too(args):
        c.out(f"no runs in {args.project} match")
    elif not runs:
        c.out(
            f"no open runs in {args.project} match; closed runs are listed with --state closed "
            "(or --include-closed)"
        )
    else:
        c.out(table(runs))
    return 0


def _closed_too(args: argparse.Namespace) -> bool:
    """Closed runs are listed when asked for, by name, state or closing date."""
    by_state = bool(args.state) and "closed" in args.state
    return bool(args.include_closed or by_state or args.closed_after or args.closed_before)


def state_of(run: models.TestRun) -> str:
    """``in_progress``, or ``done (closed)`` for a closed run whose state says otherwise."""
    state = run.run_state or "-"
    if run.active_state == "closed" and state != "closed":
        state += " (closed)"
    return state


def table(runs: list[models.TestRun]) -> str:
    rows = [("ID", "STATE", "CASES", "CREATED", "NAME")]
    for run in runs:
        state = state_of(run)
        count = "-" if run.test_cases_count is None else str(run.test_cases_count)
        rows.append((run.identifier, state, count, (run.created_at or "-")[:10], run.name or ""))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for row in rows:
        cells = [cell.ljust(w) for cell, w in zip(row[:4], widths, strict=True)]
        lines.append("  ".join([*cells, row[4]]).rstrip())
    return "\n".join(lines)


def show_run(args: argparse.Namespace) -> int:
    args.project = c.project(args)
    with c.make_client(args.url) as client:
        run = client.get_run(args.project, args.run)
    count = run.test_cases_count if run.test_cases_count is not None else len(run.test_cases)
    if args.json:
        data = run.model_dump(mode="json")
        data["test_cases_count"] = count
        c.print_json(data)
        return 0
    c.out(f"{run.identifier}  {run.name or ''}".rstrip())
    fields = {
        "project": run.project_id or args.project,
        "state": state_of(run),
        "assignee": run.assignee,
        "tags": ", ".join(run.tags),
        "issues": ", ".join(run.issues),
        "configurations": ", ".join(str(i) for i in run.configurations),
        "created": run.created_at,
        "updated": run.updated_at,
        "cases": str(count),
        "progress": progress(run.overall_progress, count),
        "link": run.web_url,
        "description": run.description,
    }
    for label, value in fields.items():
        if value:
            c.out(f"  {label + ':':<16}{value}")
    return 0


def progress(counts: Mapping[str, int], total: int) -> str:
    """``4/12 executed (33%): 3 passed, 1 failed, 8 untested``."""
    order = {s: i for i, s in enumerate(SYSTEM_STATUSES)}
    ranked = sorted(counts.items(), key=lambda item: order.get(item[0], len(order) - 1.5))
    parts = [f"{n} {status}" for status, n in ranked if n]
    if not parts:
        return ""
    untested = counts.get("untested", 0)
    executed = max(total - untested, 0)
    share = f" ({executed * 100 // total}%)" if total else ""
    return f"{executed}/{total} executed{share}: {', '.join(parts)}"


def _name(template: str) -> str:
    try:
        return render_run_name(template, datetime.now(), os.environ)
    except ValueError as exc:
        raise c.UsageError(f"--name: {exc}") from None


def _new_run(args: argparse.Namespace) -> models.NewTestRun:
    fields: dict[str, Any] = {
        "name": _name(args.name),
        "description": args.description,
        "assignee": args.assignee,
        "test_case_assignee": args.case_assignee,
        "tags": args.tags,
        "issues": args.issues,
        "test_plan_id": args.test_plan,
        "sub_test_plan_id": args.sub_test_plan,
        "configurations": args.configurations,
        "test_cases": args.cases,
    }
    try:
        return models.NewTestRun(**fields)
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]) for e in exc.errors())
        raise c.UsageError(problems) from None


def _print_new(run: models.TestRun, as_json: bool) -> None:
    if as_json:
        c.print_json(run.model_dump(mode="json"))
    else:
        c.out(run.identifier)


def create_run(args: argparse.Namespace) -> int:
    args.project = c.project(args)
    body = _new_run(args)
    with c.make_client(args.url) as client:
        run = client.create_run(args.project, body)
    _print_new(run, args.json)
    return 0


def clone_run(args: argparse.Namespace) -> int:
    args.project = c.project(args)
    name = None if args.name is None else _name(args.name)
    with c.make_client(args.url) as client:
        run = client.clone_run(
            args.project,
            args.run,
            test_case_selection="by_results" if args.statuses else "all",
            statuses=args.statuses,
            name=name,
        )
    _print_new(run, args.json)
    return 0


def close_run(args: argparse.Namespace) -> int:
    args.project = c.project(args)
    with c.make_client(args.url) as client:
        run = client.close_run(args.project, args.run)
    c.out(f"closed {run.identifier or args.run}")
    return 0


def _confirmed(args: argparse.Namespace) -> bool:
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise c.UsageError(
            f"not deleting {args.run} without confirmation: stdin is not a terminal, pass --yes"
        )
    prompt = f"Delete run {args.run} of {args.project} and all its results? [y/N] "
    return input(prompt).strip().lower() in ("y", "yes")


def delete_run(args: argparse.Namespace) -> int:
    args.project = c.project(args)
    c.credentials(os.environ)  # before asking anything
    if not _confirmed(args):
        c.err(f"{args.run} not deleted")
        return 1
    with c.make_client(args.url) as client:
        client.delete_run(args.project, args.run)
    c.out(f"deleted {args.run}")
    return 0

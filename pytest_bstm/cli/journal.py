"""``bstm journal upload PATH``: send a journal's unsent results to their run, exactly once."""

from __future__ import annotations

import argparse
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_bstm.cli import common as c
from pytest_bstm.delivery import journal
from pytest_bstm.delivery.sender import Replay
from pytest_bstm.results.tracker import Result
from pytest_bstm.vocabulary import PROJECT_ENV


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser("journal", help="upload results a session could not send")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    text = (
        "Upload the results of a journal that are not marked sent, then mark them sent in "
        "the same journal (a second upload sends nothing). Project and run default to the "
        "journal's own; --run sends them to another run."
    )
    parser = actions.add_parser(
        "upload",
        parents=[c.common_options(project_required=False, project_env=False)],
        help="upload a journal's unsent results",
        description=text,
    )
    parser.add_argument("path", type=Path, metavar="PATH", help="the journal (JSON lines)")
    parser.add_argument(
        "--run", type=c.run_id, metavar="TR-5", help="upload into this run instead (TR-5)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="say what would be uploaded, send nothing"
    )
    parser.set_defaults(handler=upload)


@dataclass
class Target:
    """The unsent results that go to one run."""

    project: str
    run: str
    results: list[Result] = field(default_factory=list)


def unsent(state: journal.JournalState) -> list[dict[str, Any]]:
    """Results neither sent nor rejected, in journal order."""
    return [
        record
        for key, record in state.results.items()
        if key not in state.sent and key not in state.rejected
    ]


def to_result(record: dict[str, Any]) -> Result:
    return Result(
        case_id=str(record["case"]),
        configuration_id=record.get("configuration"),
        status=str(record["status"]),
        description=str(record.get("description") or ""),
        nodeids=[str(n) for n in record.get("nodeids") or []],
        duration_ms=int(record.get("duration_ms") or 0),
        issues=record.get("issues"),
        custom_fields=record.get("custom_fields"),
        key=str(record["key"]),
    )


def targets(
    state: journal.JournalState,
    records: list[dict[str, Any]],
    project: str | None,
    run: str | None,
) -> list[Target]:
    """Group ``records`` by run: ``--project``/``--run`` first, then the journal's own."""
    session = state.sessions[-1] if state.sessions else {}
    by_run: dict[tuple[str, str], Target] = {}
    for record in records:
        p = project or record.get("project") or session.get("project")
        p = p or os.environ.get(PROJECT_ENV)
        if not p:
            raise c.UsageError("the journal names no project: pass --project PR-1")
        r = run or record.get("run") or session.get("run")
        if not r:
            raise c.UsageError(
                "the journal names no run (the session could not create one): create one "
                f"with `bstm runs create --project {p} --name NAME` and pass --run with its ID"
            )
        target = by_run.setdefault((p, r), Target(p, r))
        try:
            target.results.append(to_result(record))
        except (KeyError, TypeError, ValueError) as exc:
            raise c.UsageError(f"malformed result record in the journal: {exc!r}") from None
    return list(by_run.values())


def counts(statuses: Counter[str]) -> str:
    """``3 passed, 1 failed, 2 blocked``: passed and failed always, then any other."""
    parts = [f"{statuses[s]} {s}" for s in ("passed", "failed")]
    parts += [f"{n} {s}" for s, n in sorted(statuses.items()) if s not in ("passed", "failed")]
    return ", ".join(parts)


def _url(args: argparse.Namespace, state: journal.JournalState) -> str | None:
    if args.url is not None:
        return str(args.url)
    recorded = next((s.get("url") for s in reversed(state.sessions) if s.get("url")), None)
    if recorded is None:
        return None
    try:
        return c.base_url(str(recorded))
    except argparse.ArgumentTypeError as exc:
        raise c.UsageError(f"the journal's URL: {exc}; pass --url") from None


def _read(path: Path) -> journal.JournalState:
    try:
        return journal.read(path)
    except OSError as exc:
        raise c.UsageError(f"cannot read journal {path}: {exc.strerror or exc}") from None


def upload(args: argparse.Namespace) -> int:
    state = _read(args.path)
    records = unsent(state)
    if not records:
        c.out("nothing to upload")
        return 0
    plan = targets(state, records, args.project, args.run)
    if args.dry_run:
        for t in plan:
            statuses = Counter(r.status for r in t.results)
            c.out(f"would upload {len(t.results)} results to {t.run} ({counts(statuses)})")
        return 0
    replays = _send(args, _url(args, state), plan)
    return _report(args.path, replays)


def _send(args: argparse.Namespace, url: str | None, plan: list[Target]) -> list[Replay]:
    writer = journal.Journal(args.path)
    replays = []
    try:
        with c.make_client(url) as client:
            for t in plan:
                replay = Replay(client, writer, t.project, t.run)
                replays.append(replay)
                replay.upload(t.results)
    finally:
        writer.close()
    return replays


def _report(path: Path, replays: list[Replay]) -> int:
    for replay in replays:
        for result, message in replay.rejected:
            cfg = (
                ""
                if result.configuration_id is None
                else f" (configuration {result.configuration_id})"
            )
            tests = ", ".join(result.nodeids) or "no test recorded"
            c.err(f"rejected {result.case_id}{cfg} [{tests}]: {message}")
        for message in replay.errors:
            c.err(f"error: {message}")
    left = len(unsent(_read(path)))
    rejected = sum(len(r.rejected) for r in replays)
    parts = [f"{sum(r.sent.values())} results to {r.run_id} ({counts(r.sent)})" for r in replays]
    tail = f"; {rejected} rejected" if rejected else ""
    c.out(f"uploaded {', '.join(parts)}{tail}; {left} left in {path}")
    failed = rejected or any(r.errors for r in replays)
    return 1 if left or failed else 0

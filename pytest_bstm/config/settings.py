"""One frozen :class:`Settings`, resolved once from CLI > environment > ini > default, validated."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

import pytest

from pytest_bstm.config.options import DEFAULT_DRAIN_TIMEOUT, OPTIONS, Option
from pytest_bstm.vocabulary import (
    ACCESS_KEY_ENV,
    DEFAULT_STATUS_MAP,
    DEFAULT_URL,
    EMAIL_RE,
    OUTCOMES,
    PLAN_RE,
    PROJECT_RE,
    RATE_LIMIT_WINDOW_ENV,
    RUN_RE,
    STATUS_RE,
    SUB_PLAN_RE,
    SYSTEM_STATUSES,
    URL_ENV,
    USERNAME_ENV,
    check_url,
    credentials_hint,
    missing_credentials,
)

Mode = Literal["create", "clone", "join"]


@dataclass(frozen=True)
class Settings:
    """Everything the plugin needs to know about this session's reporting, validated."""

    project: str
    url: str
    mode: Mode
    run_id: str | None = None
    clone_id: str | None = None
    clone_statuses: tuple[str, ...] = ()
    run_name: str = ""
    run_description: str | None = None
    assignee: str | None = None
    tags: tuple[str, ...] = ()
    issues: tuple[str, ...] = ()
    test_plan: str | None = None
    sub_test_plan: str | None = None
    configurations: tuple[int, ...] = ()
    case_assignee: str | None = None
    prune: bool = False
    select: bool = False
    close: bool = True
    dry_run: bool = False
    emulator: bool = False
    strict: bool = False
    journal: Path = Path(".bstm/journal.jsonl")
    drain_timeout: float = DEFAULT_DRAIN_TIMEOUT
    rate_limit_window: float = 60.0
    status_map: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_STATUS_MAP))
    username: str | None = field(default=None, repr=False)
    access_key: str | None = field(default=None, repr=False)


def _raw(config: pytest.Config, opt: Option) -> str | bool | None:
    value = config.getoption(opt.dest, default=None)
    if value is not None:
        return value  # type: ignore[no-any-return]
    if opt.env and os.environ.get(opt.env):
        return os.environ[opt.env]
    try:
        ini = config.getini(opt.ini)
    except ValueError:
        ini = None
    if ini not in (None, ""):
        return ini  # type: ignore[no-any-return]
    return opt.default


def _split(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip() for part in value.split(",") if part.strip())


class _Collector:
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


def _writable(path: Path) -> tuple[bool, str]:
    """Whether the journal can be made at ``path`` (checked without writing anything)."""
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
    return True, ""


def render_run_name(template: str, now: datetime, environ: Mapping[str, str]) -> str:
    """Fill ``{date}``, ``{time}`` and ``{env:VAR}``; raise ValueError for anything else."""

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key == "date":
            return now.strftime("%Y-%m-%d")
        if key == "time":
            return now.strftime("%H:%M:%S")
        if key.startswith("env:") and key[4:]:
            return environ.get(key[4:], "")
        raise ValueError(f"unknown placeholder {{{key}}} (use {{date}}, {{time}} or {{env:VAR}})")

    return re.sub(r"\{([^{}]*)\}", fill, template)


def _parse_status_map(lines: list[str], c: _Collector) -> dict[str, str]:
    mapping = dict(DEFAULT_STATUS_MAP)
    for line in lines:
        outcome, sep, status = (part.strip() for part in line.partition("="))
        if status.lower() in SYSTEM_STATUSES:
            status = status.lower()  # system statuses in lower case, custom ones as configured
        if not sep or outcome not in OUTCOMES or not STATUS_RE.fullmatch(status):
            c.problems.append(
                f"bstm_status_map line {line!r} must read 'outcome = status' with outcome one of "
                f"{', '.join(OUTCOMES)}"
            )
            continue
        mapping[outcome] = status
    return mapping


def is_enabled(config: pytest.Config) -> bool:
    opts = {o.flag: o for o in OPTIONS}
    return bool(_raw(config, opts["--bstm-project"]) or _raw(config, opts["--bstm-emulator"]))


def resolve(config: pytest.Config, now: datetime | None = None) -> Settings:
    """Resolve and validate every option; raise one ``pytest.UsageError`` naming every problem."""
    opts = {o.flag: o for o in OPTIONS}

    def text(flag: str) -> str | None:
        value = _raw(config, opts[flag])
        return None if value in (None, "") else str(value)

    def flag(name: str) -> bool:
        return bool(_raw(config, opts[name]))

    c = _Collector()
    now = now or datetime.now()
    emulator = flag("--bstm-emulator")
    project = text("--bstm-project") or ("PR-1" if emulator else "")
    c.ident(project, PROJECT_RE, "--bstm-project", "PR-1")
    run_id, clone_id = text("--bstm-run"), text("--bstm-clone")
    c.ident(run_id, RUN_RE, "--bstm-run", "TR-5")
    c.ident(clone_id, RUN_RE, "--bstm-clone", "TR-5")
    c.check(not (run_id and clone_id), "--bstm-run and --bstm-clone exclude each other: pick one")
    statuses = tuple(s.lower() for s in _split(text("--bstm-clone-statuses")))
    c.check(not statuses or bool(clone_id), "--bstm-clone-statuses needs --bstm-clone TR-N")
    for status in statuses:
        c.check(
            bool(STATUS_RE.fullmatch(status)), f"--bstm-clone-statuses: {status!r} is no status"
        )
    test_plan, sub_plan = text("--bstm-test-plan"), text("--bstm-sub-test-plan")
    c.ident(test_plan, PLAN_RE, "--bstm-test-plan", "TP-1")
    c.ident(sub_plan, SUB_PLAN_RE, "--bstm-sub-test-plan", "STP-5")
    c.check(
        not (test_plan and sub_plan),
        "--bstm-test-plan and --bstm-sub-test-plan exclude each other: link one of them",
    )
    assignee, case_assignee = text("--bstm-assignee"), text("--bstm-case-assignee")
    c.email(assignee, "--bstm-assignee")
    c.email(case_assignee, "--bstm-case-assignee")
    configurations: list[int] = []
    for part in _split(text("--bstm-configurations")):
        c.check(
            part.isdigit(), f"--bstm-configurations: {part!r} is not a numeric configuration ID"
        )
        if part.isdigit():
            configurations.append(int(part))
    prune, select = flag("--bstm-prune"), flag("--bstm-select")
    joined = bool(run_id or clone_id)
    c.check(not prune or joined, "--bstm-prune needs --bstm-run or --bstm-clone")
    c.check(not select or joined, "--bstm-select needs --bstm-run or --bstm-clone")
    close, no_close = flag("--bstm-close"), flag("--bstm-no-close")
    c.check(not (close and no_close), "--bstm-close and --bstm-no-close exclude each other")
    try:
        url = check_url(text("--bstm-url") or DEFAULT_URL)
    except ValueError as exc:
        url = DEFAULT_URL
        c.problems.append(f"--bstm-url (or {URL_ENV}): {exc}")
    try:
        drain = float(text("--bstm-drain-timeout") or DEFAULT_DRAIN_TIMEOUT)
    except ValueError:
        drain = -1.0
    c.check(drain > 0, "--bstm-drain-timeout must be a positive number of seconds")
    try:
        window = float(os.environ.get(RATE_LIMIT_WINDOW_ENV) or 60.0)
    except ValueError:
        window = -1.0
    c.check(window > 0, f"{RATE_LIMIT_WINDOW_ENV} must be a positive number of seconds")
    try:
        run_name = render_run_name(text("--bstm-run-name") or "", now, os.environ)
    except ValueError as exc:
        run_name = ""
        c.problems.append(f"--bstm-run-name: {exc}")
    status_map = _parse_status_map(list(config.getini("bstm_status_map")), c)
    dry_run = flag("--bstm-dry-run")
    username, access_key = os.environ.get(USERNAME_ENV), os.environ.get(ACCESS_KEY_ENV)
    missing = missing_credentials(os.environ)
    c.check(
        emulator or dry_run or not missing,
        f"{credentials_hint(missing)} (or use --bstm-emulator / --bstm-dry-run)",
    )
    journal = text("--bstm-journal")
    journal_path = (
        Path(journal)
        if journal
        else config.rootpath / ".bstm" / f"journal-{now:%Y%m%d-%H%M%S}-{os.getpid()}.jsonl"
    )
    c.check(*_writable(journal_path))
    if c.problems:
        raise pytest.UsageError("pytest-bstm configuration:\n  " + "\n  ".join(c.problems))
    mode: Mode = "join" if run_id else "clone" if clone_id else "create"
    return Settings(
        project=project,
        url=url,
        mode=mode,
        run_id=run_id,
        clone_id=clone_id,
        clone_statuses=statuses,
        run_name=run_name,
        run_description=text("--bstm-run-description"),
        assignee=assignee,
        tags=_split(text("--bstm-tags")),
        issues=_split(text("--bstm-issues")),
        test_plan=test_plan,
        sub_test_plan=sub_plan,
        configurations=tuple(configurations),
        case_assignee=case_assignee,
        prune=prune,
        select=select,
        close=False if no_close else (close or mode != "join"),
        dry_run=dry_run,
        emulator=emulator,
        strict=flag("--bstm-strict"),
        journal=journal_path,
        drain_timeout=drain,
        rate_limit_window=window,
        status_map=status_map,
        username=None if emulator else username,
        access_key=None if emulator else access_key,
    )

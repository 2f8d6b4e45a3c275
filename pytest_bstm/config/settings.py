"""One frozen :class:`Settings`, resolved once from CLI > environment > ini > default, validated."""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pytest_bstm.config import values
from pytest_bstm.config.options import DEFAULT_DRAIN_TIMEOUT, DEFAULT_JOURNAL_DIR, OPTIONS, Option
from pytest_bstm.config.values import Problems, parse_status_map, render_run_name, split
from pytest_bstm.vocabulary import (
    ACCESS_KEY_ENV,
    DEFAULT_RUN_NAME,
    DEFAULT_STATUS_MAP,
    DEFAULT_URL,
    PLAN_RE,
    PROJECT_ENV,
    PROJECT_RE,
    RATE_LIMIT_WINDOW_ENV,
    RUN_RE,
    STATUS_RE,
    SUB_PLAN_RE,
    URL_ENV,
    USERNAME_ENV,
    RunMode,
    check_url,
    credentials_hint,
    missing_credentials,
)

if TYPE_CHECKING:  # the sender process unpickles Settings and never imports pytest
    import pytest


@dataclass(frozen=True)
class Settings:
    """Everything the plugin needs to know about this session's reporting, validated."""

    project: str
    url: str
    mode: RunMode
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
    configuration_param: str | None = None  # its value names the configuration (by name)
    configuration_map: Mapping[str, int] = field(default_factory=dict)  # name -> ID, wins
    configuration_from_session: bool = False  # a BrowserStack session's names choose it
    case_assignee: str | None = None
    prune: bool = False
    select: bool = False
    close: bool = True
    dry_run: bool = False
    emulator: bool = False
    strict: bool = False
    attach_output: bool = False  # captured output of failed tests as attachments
    journal: Path = Path(".bstm/journal.jsonl")
    journal_named: bool = False  # named by the user: kept even when everything was sent
    # this session's own: in the run's description, every result key and the default journal's
    # name (two sessions of one process in the same second must not share a journal)
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    drain_timeout: float = DEFAULT_DRAIN_TIMEOUT
    rate_limit_window: float = 60.0
    status_map: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_STATUS_MAP))
    notices: tuple[str, ...] = ()  # to tell before the tests run (custom status names)
    username: str | None = field(default=None, repr=False)
    access_key: str | None = field(default=None, repr=False)


T = TypeVar("T")


def _ini(config: pytest.Config, opt: Option) -> str | bool | None:
    """The ini value of ``opt``; a value pytest cannot read is a usage error naming the key."""
    import pytest  # noqa: PLC0415 (the sender process never imports pytest)

    try:
        return config.getini(opt.ini)  # type: ignore[no-any-return]
    except (ValueError, pytest.UsageError) as exc:  # pytest >= 9 raises UsageError
        where = f" in {config.inipath.name}" if config.inipath else ""
        msg = f"pytest-bstm configuration:\n  {opt.ini}{where}: {exc} (use true or false)"
        raise pytest.UsageError(msg) from None


def _raw(config: pytest.Config, opt: Option) -> str | bool | None:
    value = config.getoption(opt.dest, default=None)
    if value is not None:
        return value  # type: ignore[no-any-return]
    if opt.env and os.environ.get(opt.env):
        return os.environ[opt.env]
    ini = _ini(config, opt)
    if ini not in (None, ""):
        return ini
    return opt.default


def _rank(config: pytest.Config, opt: Option) -> int:
    """Where ``opt``'s value comes from: 3 command line, 2 environment, 1 ini, 0 default."""
    if config.getoption(opt.dest, default=None) is not None:
        return 3
    return 2 if opt.env and os.environ.get(opt.env) else 1


@dataclass(frozen=True)
class Activation:
    """Whether this session reports, and when reporting was asked for but is off, why."""

    enabled: bool
    why_off: str | None = None


def activation(config: pytest.Config) -> Activation:
    """Enabled by a project (command line > ``BSTM_PROJECT`` > ini) or ``--bstm-emulator``.

    An empty ``--bstm-project=`` or ``BSTM_PROJECT=`` turns reporting off for the session.
    Enabled only by the ini file and without credentials (a developer's machine), reporting
    is off and ``why_off`` says why; with ``--bstm-strict`` (or enabled on the command line
    or by the environment) missing credentials stay a usage error, raised by :func:`resolve`.
    """
    opts = {o.flag: o for o in OPTIONS}
    opt = opts["--bstm-project"]
    emulator = bool(_raw(config, opts["--bstm-emulator"]))
    cli = config.getoption(opt.dest, default=None)
    if cli is not None:
        project, source = str(cli), "cli"
    elif PROJECT_ENV in os.environ:
        project, source = os.environ[PROJECT_ENV], "env"
    else:
        project, source = str(_ini(config, opt) or ""), "ini"
    if emulator:
        return Activation(True)
    if not project.strip():
        return Activation(False)
    asked = bool(_raw(config, opts["--bstm-strict"]) or _raw(config, opts["--bstm-dry-run"]))
    missing = missing_credentials(os.environ)
    if source == "ini" and missing and not asked:
        where = config.inipath.name if config.inipath else "the ini file"
        return Activation(
            False,
            f"off: {' and '.join(missing)} not set (bstm_project = {project.strip()} in "
            f"{where}); set both to report, or try it with --bstm-emulator",
        )
    return Activation(True)


def is_enabled(config: pytest.Config) -> bool:
    return activation(config).enabled


def resolve(config: pytest.Config, now: datetime | None = None) -> Settings:
    """Resolve and validate every option; raise one ``pytest.UsageError`` naming every problem."""
    import pytest  # noqa: PLC0415 (the sender process never imports pytest)

    opts = {o.flag: o for o in OPTIONS}

    def text(flag: str) -> str | None:
        value = _raw(config, opts[flag])
        return None if value in (None, "") else str(value)

    def flag(name: str) -> bool:
        return bool(_raw(config, opts[name]))

    def pair(a: str, b: str, value: Callable[[str], T]) -> tuple[T | None, T | None]:
        """An exclusive pair: a half from a stronger source (command line > environment >
        ini) hides the other; two halves from one source stay an error."""
        va, vb = value(a), value(b)
        if va and vb:
            ra, rb = _rank(config, opts[a]), _rank(config, opts[b])
            if ra != rb:
                return (va, None) if ra > rb else (None, vb)
        return va, vb

    c = Problems()
    now = now or datetime.now()
    emulator = flag("--bstm-emulator")
    project = text("--bstm-project") or ("PR-1" if emulator else "")
    c.ident(project, PROJECT_RE, "--bstm-project", "PR-1")
    run_id, clone_id = pair("--bstm-run", "--bstm-clone", text)
    c.ident(run_id, RUN_RE, "--bstm-run", "TR-5")
    c.ident(clone_id, RUN_RE, "--bstm-clone", "TR-5")
    c.check(not (run_id and clone_id), "--bstm-run and --bstm-clone exclude each other: pick one")
    statuses = tuple(s.lower() for s in split(text("--bstm-clone-statuses")))
    c.check(not statuses or bool(clone_id), "--bstm-clone-statuses needs --bstm-clone TR-N")
    for status in statuses:
        c.check(bool(STATUS_RE.fullmatch(status)), f"--bstm-clone-statuses: {status!r}: no status")
    test_plan, sub_plan = pair("--bstm-test-plan", "--bstm-sub-test-plan", text)
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
    for part in split(text("--bstm-configurations")):
        c.check(
            part.isdigit(), f"--bstm-configurations: {part!r} is not a numeric configuration ID"
        )
        if part.isdigit():
            configurations.append(int(part))
    prune, select = flag("--bstm-prune"), flag("--bstm-select")
    joined = bool(run_id or clone_id)
    c.check(not prune or joined, "--bstm-prune needs --bstm-run or --bstm-clone")
    c.check(not select or joined, "--bstm-select needs --bstm-run or --bstm-clone")
    close, no_close = map(bool, pair("--bstm-close", "--bstm-no-close", flag))
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
    c.check(0 < drain < math.inf, "--bstm-drain-timeout must be a positive number of seconds")
    try:
        window = float(os.environ.get(RATE_LIMIT_WINDOW_ENV) or 60.0)
    except ValueError:
        window = -1.0
    c.check(window > 0, f"{RATE_LIMIT_WINDOW_ENV} must be a positive number of seconds")
    try:
        run_name = render_run_name(text("--bstm-run-name") or "", now, os.environ)
        run_name = run_name or render_run_name(DEFAULT_RUN_NAME, now, os.environ)
    except ValueError as exc:
        run_name = ""
        c.problems.append(f"--bstm-run-name: {exc}")
    status_map, notices = parse_status_map(list(config.getini("bstm_status_map")), c)
    config_map = values.parse_configuration_map(list(config.getini("bstm_configuration_map")), c)
    dry_run = flag("--bstm-dry-run")
    username, access_key = os.environ.get(USERNAME_ENV), os.environ.get(ACCESS_KEY_ENV)
    missing = missing_credentials(os.environ)
    c.check(
        emulator or dry_run or not missing,
        f"{credentials_hint(missing)} (or use --bstm-emulator / --bstm-dry-run)",
    )
    journal = text("--bstm-journal")
    token = uuid.uuid4().hex[:12]
    journal_path = (
        Path(journal)
        if journal
        else config.rootpath / DEFAULT_JOURNAL_DIR / f"journal-{now:%Y%m%d-%H%M%S}-{token}.jsonl"
    )
    c.check(*values.writable(journal_path))
    if journal and not dry_run:
        c.check(*values.unfinished(journal_path))
    if c.problems:
        raise pytest.UsageError("pytest-bstm configuration:\n  " + "\n  ".join(c.problems))
    mode: RunMode = "join" if run_id else "clone" if clone_id else "create"
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
        tags=split(text("--bstm-tags")),
        issues=split(text("--bstm-issues")),
        test_plan=test_plan,
        sub_test_plan=sub_plan,
        configurations=tuple(configurations),
        configuration_param=text("--bstm-configuration-param"),
        configuration_map=config_map,
        configuration_from_session=flag("--bstm-configuration-from-session"),
        case_assignee=case_assignee,
        prune=prune,
        select=select,
        close=False if no_close else (close or mode != "join"),
        dry_run=dry_run,
        emulator=emulator,
        strict=flag("--bstm-strict"),
        attach_output=flag("--bstm-attach-output"),
        journal=journal_path,
        journal_named=bool(journal),
        token=token,
        drain_timeout=drain,
        rate_limit_window=window,
        status_map=status_map,
        notices=tuple(notices),
        username=None if emulator else username,
        access_key=None if emulator else access_key,
    )

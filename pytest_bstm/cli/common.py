"""Shared pieces of the ``bstm`` command: argument types, the client, output helpers."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

from pytest_bstm import masking
from pytest_bstm.api import DEFAULT_BASE_URL, Client, errors
from pytest_bstm.cli import ini
from pytest_bstm.delivery.failures import said_404, unseen_project
from pytest_bstm.masking import Redactor
from pytest_bstm.vocabulary import (
    ACCESS_KEY_ENV,
    CASE_ID_RE,
    CREDENTIALS_REFUSED,
    EMAIL_RE,
    PLAN_RE,
    PROJECT_ENV,
    PROJECT_RE,
    RUN_RE,
    RUN_STATES,
    STATUS_RE,
    SUB_PLAN_RE,
    URL_ENV,
    USERNAME_ENV,
    check_url,
    credentials_hint,
    missing_credentials,
    parse_date,
)

Handler = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """A problem with how ``bstm`` was called (exit status 2)."""


# -- argument types ------------------------------------------------------------------------


def _ident(pattern: re.Pattern[str], example: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        value = value.strip()
        if not pattern.fullmatch(value):
            raise argparse.ArgumentTypeError(f"{value!r} is not an ID like {example}")
        return value

    check.__name__ = example  # argparse names the type in its messages
    return check


project_id = _ident(PROJECT_RE, "PR-1")
run_id = _ident(RUN_RE, "TR-5")
plan_id = _ident(PLAN_RE, "TP-1")
sub_plan_id = _ident(SUB_PLAN_RE, "STP-1")


def email(value: str) -> str:
    if not EMAIL_RE.fullmatch(value.strip()):
        raise argparse.ArgumentTypeError(f"{value!r} is not an email address (name@example.com)")
    return value.strip()


def csv_of(item: Callable[[str], Any], what: str) -> Callable[[str], list[Any]]:
    """A comma-separated list whose items pass ``item``."""

    def parse(value: str) -> list[Any]:
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if not parts:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list of {what}")
        try:
            return [item(part) for part in parts]
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def _matching(pattern: re.Pattern[str], example: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"{value!r} is not like {example}")
        return value

    return check


def _state(value: str) -> str:
    if value not in RUN_STATES:
        raise ValueError(f"unknown state {value!r} (one of {', '.join(RUN_STATES)})")
    return value


def _integer(value: str) -> int:
    if not value.isdigit():
        raise ValueError(f"{value!r} is not a configuration ID (a number)")
    return int(value)


case_ids = csv_of(_matching(CASE_ID_RE, "TC-1"), "test case IDs (TC-1,TC-2)")
emails = csv_of(_matching(EMAIL_RE, "name@example.com"), "email addresses")
labels = csv_of(str, "values")
configuration_ids = csv_of(_integer, "configuration IDs (101,102)")
states = csv_of(_state, "run states")
statuses = csv_of(_matching(STATUS_RE, "failed"), "result statuses (failed,blocked)")


def date(value: str) -> dt.date:
    parsed = parse_date(value)
    if parsed is not None:
        return parsed
    raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD or DD-MM-YYYY)")


def base_url(value: str) -> str:
    """The API base URL by the one URL rule (:func:`pytest_bstm.vocabulary.check_url`)."""
    try:
        return check_url(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def common_options(*, project_env: bool = True) -> argparse.ArgumentParser:
    """A parent parser with ``--url`` and ``--project`` (defaults from the environment).

    ``--project`` is never required by argparse (the usage would show it as mandatory,
    though ``BSTM_PROJECT`` or a journal may name the project): :func:`project` checks it."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--url",
        type=base_url,
        metavar="URL",
        default=os.environ.get(URL_ENV) or None,
        help=f"API base URL (env {URL_ENV}, ini bstm_url; default {DEFAULT_BASE_URL})",
    )
    env_project = (os.environ.get(PROJECT_ENV) or None) if project_env else None
    parent.add_argument(
        "--project",
        type=project_id,
        metavar="PR-1",
        default=env_project,  # argparse checks a string default with the type
        help=f"project ID, e.g. PR-1 (env {PROJECT_ENV}, ini bstm_project)",
    )
    return parent


def project(args: argparse.Namespace) -> str:
    """The project of a command that needs one: ``--project``, ``BSTM_PROJECT``, the ini file."""
    if args.project:
        return str(args.project)
    found = ini_project()
    if found is None:
        raise UsageError(
            f"no project: pass --project PR-N, set {PROJECT_ENV}, or set bstm_project in the "
            "suite's ini file (pytest.ini, pyproject.toml, ...)"
        )
    return found


def ini_project() -> str | None:
    """``bstm_project`` of the ini file pytest would read here, checked; None when unset."""
    found = ini.find()
    value = found.get("bstm_project")
    if value is not None and not PROJECT_RE.fullmatch(value):
        raise UsageError(f"{found.source('bstm_project')}: {value!r} is not an ID like PR-1")
    return value


def ini_url() -> str | None:
    """``bstm_url`` of the ini file pytest would read here, checked; None when unset."""
    found = ini.find()
    value = found.get("bstm_url")
    if value is None:
        return None
    try:
        return check_url(value)
    except ValueError as exc:
        raise UsageError(f"{found.source('bstm_url')}: {exc}") from None


# -- client and output ---------------------------------------------------------------------


def credentials(environ: Mapping[str, str]) -> tuple[str, str]:
    missing = missing_credentials(environ)
    if missing:
        raise UsageError(credentials_hint(missing))
    return environ[USERNAME_ENV], environ[ACCESS_KEY_ENV]


def env_project() -> str | None:
    """``BSTM_PROJECT`` when set and well-formed, else None."""
    value = os.environ.get(PROJECT_ENV, "").strip()
    return value if PROJECT_RE.fullmatch(value) else None


def make_client(url: str | None) -> Client:
    """A client for ``url`` (default: ``bstm_url`` of the ini file, else the public service),
    credentials from the environment."""
    user, key = credentials(os.environ)
    return Client(base_url=url or ini_url() or DEFAULT_BASE_URL, username=user, access_key=key)


def not_found(exc: errors.NotFoundError, args: argparse.Namespace) -> str:
    """A 404 in one line naming what to check: an unknown project (with the projects the
    credentials see, one listing) or the run the command named; else the error itself."""
    project, run = getattr(args, "project", None), getattr(args, "run", None)
    if project:
        with make_client(args.url) as client:
            seen = unseen_project(client, project)
        if seen is not None:
            return (
                f"project {project} not found ({said_404(exc)}; {seen}): check --project "
                f"(or {PROJECT_ENV}, bstm_project), and --url for the project's region"
            )
        if run:
            return (
                f"run {run} not found in {project} ({said_404(exc)}: unknown or deleted): "
                "check the run ID; `bstm runs list --include-closed` lists the project's runs"
            )
    return str(exc)


def said(exc: errors.BstmError, args: argparse.Namespace) -> str:
    """A service error as ``bstm`` says it: a 404 by :func:`not_found`, a 401 in the plugin's
    words, anything else as the error itself."""
    if isinstance(exc, errors.NotFoundError):
        return not_found(exc, args)
    if isinstance(exc, errors.AuthenticationError):
        return CREDENTIALS_REFUSED
    return str(exc)


def out(text: str = "") -> None:
    print(text, flush=True)


def one_line(text: str) -> str:
    """``text`` on one line, masked by the one rule: the access key (should a message ever
    hold it), a URL's credentials and query values (``BSTM_URL=...?token=...``)."""
    key = os.environ.get(ACCESS_KEY_ENV, "")
    return masking.urls(Redactor(key if len(key) >= 4 else "")(" ".join(text.split())))


def err(text: str) -> None:
    print(f"bstm: {one_line(text)}", file=sys.stderr, flush=True)


def print_json(data: Any) -> None:
    out(json.dumps(data, indent=2, sort_keys=True, default=str))

"""The ``bstm`` command: manage Test Management runs, upload journals, serve the emulator.

``bstm runs list|show|create|clone|close|delete``, ``bstm cases sync [PATH ...]``,
``bstm journal upload PATH`` and ``bstm emulator``. Credentials come only from
``BROWSERSTACK_USERNAME`` and ``BROWSERSTACK_ACCESS_KEY``. Every service error is one
``bstm: error: ...`` line on stderr with exit status 1; usage errors exit with 2.
"""

from __future__ import annotations

import argparse
import sys

from pytest_bstm import __version__
from pytest_bstm.api import errors
from pytest_bstm.cli import cases as cli_cases
from pytest_bstm.cli import common as c
from pytest_bstm.cli import journal as cli_journal
from pytest_bstm.cli import runs as cli_runs
from pytest_bstm.emulator import serve
from pytest_bstm.vocabulary import ACCESS_KEY_ENV, PROJECT_ENV, URL_ENV, USERNAME_ENV

EPILOG = (
    f"Credentials: {USERNAME_ENV} and {ACCESS_KEY_ENV}. "
    f"Defaults: --url from {URL_ENV}, --project from {PROJECT_ENV}, else bstm_url and "
    "bstm_project of the ini file pytest reads here (pytest.ini, pyproject.toml, ...). "
    "Run `bstm COMMAND ACTION --help` for an action's options."
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bstm",
        description="BrowserStack Test Management runs and results, from the command line.",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="version", version=f"bstm {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    cli_runs.add_parser(commands)
    cli_cases.add_parser(commands)
    cli_journal.add_parser(commands)
    commands.add_parser(
        "emulator",
        add_help=False,
        help="serve the Test Management emulator: [--port 8765] [--host H] [--seed FILE]",
    )
    return parser


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


def _fail(message: str, code: int) -> int:
    c.err(f"error: {message}")
    return code


def main(argv: list[str] | None = None) -> int:
    """Run ``bstm`` with ``argv`` (default: the process arguments); the exit status."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(arguments)
        if args.command == "emulator":
            return serve(extra, prog="bstm emulator")
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return _exit_code(exc)
    try:
        return int(args.handler(args))
    except c.UsageError as exc:
        return _fail(str(exc), 2)
    except errors.BstmError as exc:
        return _fail(c.said(exc, args), 1)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)

"""``bstm cases sync``'s arguments; the work is :mod:`pytest_bstm.onboard.sync`'s."""

from __future__ import annotations

import argparse
import os

from pytest_bstm.api import errors
from pytest_bstm.cli import common as c
from pytest_bstm.onboard.inventory import CollectionFailed, collect
from pytest_bstm.onboard.sync import Options
from pytest_bstm.onboard.sync import sync as onboard

DEFAULT_FOLDER = "pytest"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cases = commands.add_parser("cases", help="create TM test cases for the suite's tests")
    actions = cases.add_subparsers(dest="action", required=True, metavar="ACTION")
    text = (
        "Create a TM test case for every test function and pytest-bdd scenario without one, "
        "in a folder tree that mirrors the test files, optionally write the tc markers (and "
        "case tags) into the source, and mark every mapped case automated."
    )
    p = actions.add_parser("sync", parents=[c.common_options()], help=text, description=text)
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="test files or directories, as for pytest (default: pytest's own choice)",
    )
    p.add_argument(
        "--folder",
        type=_folder_name,
        default=DEFAULT_FOLDER,
        metavar="NAME",
        help=f"top-level TM folder of the tree (default: {DEFAULT_FOLDER})",
    )
    p.add_argument(
        "--write-markers",
        action="store_true",
        help='add @pytest.mark.tc("TC-n") to each function, @TC-n above each scenario',
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="read the project and print what would be created or written; change nothing",
    )
    p.set_defaults(handler=sync)


def _folder_name(value: str) -> str:
    if not value.strip():
        raise argparse.ArgumentTypeError("the folder name must not be blank")
    return value.strip()


class _Say:
    out = staticmethod(c.out)
    err = staticmethod(c.err)


def sync(args: argparse.Namespace) -> int:
    args.project = c.project(args)
    c.credentials(os.environ)  # before the collection, which takes a while on a large suite
    try:
        inventory = collect(args.paths)
    except CollectionFailed as exc:
        raise c.UsageError(str(exc)) from None
    options = Options(args.project, args.folder, args.write_markers, args.dry_run)

    def explain(exc: errors.BstmError) -> str:
        return c.said(exc, args)

    return onboard(inventory, options, lambda: c.make_client(args.url), explain, _Say())

"""``python -m pytest_bstm.emulator`` / ``bstm emulator``: serve the emulator until Ctrl-C.

The accepted credentials are ``--username``/``--access-key``, else ``BROWSERSTACK_USERNAME``/
``BROWSERSTACK_ACCESS_KEY`` when set (so a shell set up for the plugin and ``bstm`` works
unchanged), else the built-in account's.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Mapping
from types import FrameType
from typing import Any

from .emulator import DEFAULT_ACCESS_KEY, DEFAULT_USERNAME, Emulator

USERNAME_ENV = "BROWSERSTACK_USERNAME"
ACCESS_KEY_ENV = "BROWSERSTACK_ACCESS_KEY"
DEFAULT_PROG = "python -m pytest_bstm.emulator"


def _rate_limit(value: str) -> tuple[int, float]:
    count, _, window = value.partition("/")
    try:
        parsed = int(count), float(window or "60")
    except ValueError:
        parsed = (0, 0.0)
    if parsed[0] < 1 or parsed[1] <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not COUNT/SECONDS, e.g. 300/60")
    return parsed


def _variant(value: str) -> tuple[str, Any]:
    name, sep, raw = value.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{value!r} is not NAME=VALUE, e.g. run_key=top")
    flags = {"true": True, "false": False}
    return name.strip(), flags.get(raw.strip().lower(), raw.strip())


def _parser(prog: str, environ: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve the BrowserStack Test Management API emulator.",
        epilog=(
            "The built-in account (without --seed): projects PR-1 (TC-1..TC-60, test plan TP-1 "
            "with sub test plan STP-1) and PR-2 (TC-1001..TC-1005), configurations 101, 102 "
            "and 103, custom status 'flaky'. Credentials default to "
            f"{USERNAME_ENV}/{ACCESS_KEY_ENV} when set, else {DEFAULT_USERNAME}/"
            f"{DEFAULT_ACCESS_KEY}."
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=8765, help="port; 0 picks a free one (default: %(default)s)"
    )
    parser.add_argument("--seed", help="JSON seed file (default: the built-in demo account)")
    parser.add_argument(
        "--username",
        default=environ.get(USERNAME_ENV) or DEFAULT_USERNAME,
        help=f"accepted username (default: {USERNAME_ENV} or {DEFAULT_USERNAME})",
    )
    parser.add_argument(
        "--access-key",
        default=environ.get(ACCESS_KEY_ENV) or DEFAULT_ACCESS_KEY,
        help=f"accepted access key (default: {ACCESS_KEY_ENV} or the built-in one)",
    )
    parser.add_argument(
        "--apply-delay", type=float, default=0.05, help="seconds until a 202 change lands"
    )
    parser.add_argument(
        "--clone-delay", type=float, default=0.05, help="seconds until clone cases appear"
    )
    parser.add_argument(
        "--rate-limit",
        type=_rate_limit,
        metavar="COUNT/SECONDS",
        help="answer 429 beyond COUNT requests in any SECONDS (the service: 300/60; default: off)",
    )
    parser.add_argument(
        "--variant",
        type=_variant,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an answer variant, e.g. run_key=top, case_not_in_run=add (repeatable)",
    )
    return parser


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve(argv: list[str] | None = None, *, prog: str = DEFAULT_PROG) -> int:
    """Serve until interrupted (Ctrl-C or SIGTERM); the exit status.

    ``prog`` is the command as the user typed it, for ``--help`` and usage errors.
    """
    args = _parser(prog, os.environ).parse_args(argv)
    try:
        emulator = Emulator(
            host=args.host,
            port=args.port,
            username=args.username,
            access_key=args.access_key,
            seed=args.seed,
            apply_delay=args.apply_delay,
            clone_delay=args.clone_delay,
            variants=dict(args.variant),
        )
        if args.rate_limit is not None:
            emulator.faults.rate_limit(*args.rate_limit)
        emulator.start()
    except (OSError, ValueError) as exc:
        print(f"pytest-bstm emulator: cannot start: {exc}", file=sys.stderr)
        return 1
    try:
        previous = signal.signal(signal.SIGTERM, _interrupt)
    except ValueError:  # not the main thread
        previous = None
    try:
        print(
            f"pytest-bstm emulator serving on {emulator.url} (user: {emulator.username})",
            flush=True,
        )
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return 0

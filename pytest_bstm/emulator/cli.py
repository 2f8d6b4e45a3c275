"""``python -m pytest_bstm.emulator`` / ``bstm emulator``: serve the emulator until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from types import FrameType

from .emulator import DEFAULT_ACCESS_KEY, DEFAULT_USERNAME, Emulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_bstm.emulator",
        description="Serve the BrowserStack Test Management API emulator.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=8765, help="port; 0 picks a free one (default: %(default)s)"
    )
    parser.add_argument("--seed", help="JSON seed file (default: the built-in demo account)")
    parser.add_argument("--username", default=DEFAULT_USERNAME, help="accepted username")
    parser.add_argument("--access-key", default=DEFAULT_ACCESS_KEY, help="accepted access key")
    parser.add_argument(
        "--apply-delay", type=float, default=0.05, help="seconds until a 202 change lands"
    )
    parser.add_argument(
        "--clone-delay", type=float, default=0.05, help="seconds until clone cases appear"
    )
    return parser


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve(argv: list[str] | None = None) -> int:
    """Serve until interrupted (Ctrl-C or SIGTERM); the exit status."""
    args = _parser().parse_args(argv)
    try:
        emulator = Emulator(
            host=args.host,
            port=args.port,
            username=args.username,
            access_key=args.access_key,
            seed=args.seed,
            apply_delay=args.apply_delay,
            clone_delay=args.clone_delay,
        ).start()
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

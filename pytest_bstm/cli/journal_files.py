"""The journal files of ``bstm journal``: which ones a command names, holding one exclusively,
and setting one aside so that folder uploads leave it out."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from pathlib import Path

from pytest_bstm.cli import common as c
from pytest_bstm.delivery import driver

ASIDE = ".aside"  # a set-aside journal's suffix: out of `*.jsonl`, so folder uploads skip it


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


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold the journal as the sender process does (:func:`driver.exclusive`), so that two
    deliveries of one journal at once cannot both make a run or post its results."""
    try:
        with driver.exclusive(path):
            yield
    except driver.Busy:
        raise c.UsageError(
            f"another `bstm journal upload` of {path} is running: wait for it to end"
        ) from None


def set_aside(args: argparse.Namespace) -> int:
    for path in args.paths:
        if not path.is_file():
            raise c.UsageError(f"cannot set aside {path}: no such file")
        if path.name.endswith(ASIDE):
            raise c.UsageError(f"{path} is set aside already")
        target = path.with_name(path.name + ASIDE)
        number = 1
        while target.exists():  # an earlier journal set aside under this name: never replaced
            number += 1
            target = path.with_name(f"{path.name}-{number}{ASIDE}")
        with exclusive(path):
            path.rename(target)
        c.out(
            f"set aside {path} as {target}: folder uploads leave it out; "
            f"upload it by name once it can succeed (bstm journal upload {target})"
        )
    return 0

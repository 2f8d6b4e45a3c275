"""The journal files of ``bstm journal``: which ones a command names, holding one exclusively,
and setting one aside so that folder uploads leave it out."""

from __future__ import annotations

import argparse
import contextlib
import time
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


#: How long a command waits for the journal's holder: a sender process outliving a killed
#: session delivers within its drain deadline (60 s by default). Our choice.
HOLDER_WAIT = 120.0


@contextlib.contextmanager
def exclusive(path: Path, wait: float = HOLDER_WAIT) -> Iterator[bool]:
    """Hold the journal as the sender process does (:func:`driver.exclusive`), so that two
    deliveries of one journal at once cannot both make a run or post its results. While a
    sender process (a session's, still delivering after pytest's process ended) or another
    upload holds it, wait up to ``wait`` seconds for it to end, saying so once on stderr.
    Yields False when the holder finished the journal and removed it meanwhile."""
    deadline = time.monotonic() + wait
    said = False
    with contextlib.ExitStack() as held:
        while True:
            try:
                held.enter_context(driver.exclusive(path))
                break
            except driver.Busy:
                if time.monotonic() >= deadline:
                    raise c.UsageError(
                        f"{path} is still being delivered by a sender process or another "
                        f"`bstm journal upload` after {wait:.0f} s: run the command again once "
                        "it has ended"
                    ) from None
                if not said:
                    c.err(
                        f"waiting for the delivery that holds {path} (a session's sender "
                        f"process or another upload) to end, up to {wait:.0f} s"
                    )
                    said = True
                time.sleep(0.2)
        if said and path.stat().st_size == 0:  # removed by its holder; the lock made it anew
            path.unlink()
            yield False
        else:
            yield True


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
        with exclusive(path) as present:
            if not present:
                raise c.UsageError(f"cannot set aside {path}: it was uploaded meanwhile")
            path.rename(target)
        c.out(
            f"set aside {path} as {target}: folder uploads leave it out; "
            f"upload it by name once it can succeed (bstm journal upload {target})"
        )
    return 0

"""``--shard K/N``: run only every N-th collected test, starting at the K-th (1-based).

A tiny stand-in for a real sharding plugin; any deterministic split works, e.g. ``-k`` or
one directory per shard. Every shard joins the same TM run with ``--bstm-run``.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shard", metavar="K/N", help="run only shard K of N (1-based), e.g. --shard 2/3"
    )


def _shard(value: str) -> tuple[int, int]:
    try:
        index, total = (int(part) for part in value.split("/"))
    except ValueError:
        raise pytest.UsageError(f"--shard {value!r}: expected K/N, e.g. 2/3") from None
    if not 1 <= index <= total:
        raise pytest.UsageError(f"--shard {value!r}: K must be between 1 and N")
    return index, total


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    value = config.getoption("shard")
    if not value:
        return
    index, total = _shard(value)
    ordered = sorted(items, key=lambda item: item.nodeid)
    keep = {item.nodeid for n, item in enumerate(ordered) if n % total == index - 1}
    deselected = [item for item in items if item.nodeid not in keep]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item.nodeid in keep]

"""Reading a run's (case, configuration) pairs, and waiting for asynchronous changes to land."""

from __future__ import annotations

import time

from pytest_bstm.api import Client
from pytest_bstm.results.model import Key

ASYNC_TIMEOUT = 30.0


class ChangeNotVisibleError(TimeoutError):
    """An accepted (202) change did not show in the run within the wait."""


def run_pairs(client: Client, project: str, run_id: str) -> set[Key]:
    return {
        (case.identifier, case.configuration_id)
        for case in client.iter_run_test_cases(project, run_id, page_size=300, minify=False)
    }


def wait_for_pairs(
    client: Client,
    project: str,
    run_id: str,
    present: set[Key],
    absent: set[Key] | None = None,
    *,
    timeout: float = ASYNC_TIMEOUT,
    at_least: int = 0,
) -> set[Key]:
    """Poll the run (with backoff) until it holds ``present``, none of ``absent``, and at least
    ``at_least`` pairs; return its pairs. Raise :class:`ChangeNotVisibleError` after ``timeout``."""
    absent = absent or set()
    deadline = time.monotonic() + timeout
    pause = 0.05
    while True:
        pairs = run_pairs(client, project, run_id)
        if present <= pairs and not (absent & pairs) and len(pairs) >= at_least:
            return pairs
        if time.monotonic() + pause > deadline:
            missing = len(present - pairs) + len(absent & pairs)
            raise ChangeNotVisibleError(
                f"run {run_id}: {missing} case change(s) not visible after {timeout:.0f}s; "
                "the service may be slow, results stay in the journal"
            )
        client.wait(pause)
        pause = min(pause * 2, 2.0)

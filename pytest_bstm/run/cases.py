"""Reading a run's (case, configuration) pairs, and waiting for asynchronous changes to land."""

from __future__ import annotations

import time
from collections.abc import Set as AbstractSet

from pytest_bstm.api import Client
from pytest_bstm.results.model import Key

ASYNC_TIMEOUT = 30.0
PAGE = 300  # run entries per page read


class ChangeNotVisibleError(TimeoutError):
    """An accepted (202) change did not show in the run within the wait."""


def run_pairs(client: Client, project: str, run_id: str) -> set[Key]:
    return {
        (case.identifier, case.configuration_id)
        for case in client.iter_run_test_cases(project, run_id, page_size=PAGE, minify=False)
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
    current: AbstractSet[Key] | None = None,
) -> set[Key]:
    """Poll the run (with backoff) until it holds ``present``, none of ``absent``, and at least
    ``at_least`` pairs; return its pairs. Raise :class:`ChangeNotVisibleError` after ``timeout``.

    With ``current`` (the run's pairs before an addition) and a run of more than one page,
    each poll first asks only for the count (one request) and reads every page only once the
    count can hold ``present``: the account's request budget is shared (our choice)."""
    absent = absent or set()
    deadline = time.monotonic() + timeout
    pause = 0.05
    probe = current is not None and not absent and len(current | present) > PAGE
    target = len(current | present) if current is not None else 0
    while True:
        if probe and (client.count_run_test_cases(project, run_id) or target) < target:
            pairs = set()
        else:
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

"""``--bstm-select``: deselect the tests that cover no case of the joined run (serial
sessions and xdist workers alike)."""

from __future__ import annotations

import pytest

from pytest_bstm.collect.mapping import CaseRef


def deselect(
    config: pytest.Config,
    items: list[pytest.Item],
    mapping: dict[str, list[CaseRef]],
    in_run: set[str],
) -> int:
    """Keep the tests covering a case of the run; return how many went."""
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        covers = any(r.case_id in in_run for r in mapping.get(item.nodeid, []))
        (keep if covers else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
    return len(dropped)

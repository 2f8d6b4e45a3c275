"""pytest-bstm hooks implemented in a plain conftest.py.

- ``pytest_bstm_case_ids``: map tests by name (``test_tc_123_*`` -> TC-123) instead of markers.
- ``pytest_bstm_result``: attach custom fields and issues; drop tests marked ``no_report``.
- ``pytest_bstm_run_payload``: add a tag taken from the ``RELEASE_CHANNEL`` environment variable.
- ``pytest_bstm_run_ready`` / ``pytest_bstm_session_finished``: print one line each.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_bstm.results.tracker import Result
    from pytest_bstm.run.lifecycle import RunInfo
    from pytest_bstm.session.summary import Summary

NAME_RE = re.compile(r"test_tc_(\d+)(?:_|$)")
NO_REPORT = pytest.StashKey[set[str]]()


def _say(config: pytest.Config, line: str) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(line)


def pytest_bstm_case_ids(item: pytest.Item) -> list[str] | None:
    """``test_tc_123_refund`` covers TC-123; other tests fall back to the ``tc`` marker."""
    found = NAME_RE.match(getattr(item, "originalname", item.name))
    return [f"TC-{found.group(1)}"] if found else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Results name node IDs, not items: remember which tests must stay out of the report.
    config.stash[NO_REPORT] = {i.nodeid for i in items if i.get_closest_marker("no_report")}


def pytest_bstm_result(config: pytest.Config, result: Result) -> bool | None:
    if set(result.nodeids) <= config.stash.get(NO_REPORT, set()):
        return False  # every test behind this result is marked no_report: drop it
    result.custom_fields = {**(result.custom_fields or {}), "component": "payments"}
    if result.status == "failed":
        result.issues = [*(result.issues or []), "SHOP-101"]
    else:
        result.issues = [*(result.issues or []), "SHOP-100"]
    return None


def pytest_bstm_run_payload(config: pytest.Config, payload: dict[str, Any]) -> None:
    channel = os.environ.get("RELEASE_CHANNEL", "local")
    payload["tags"] = [*payload.get("tags", []), f"channel-{channel}"]


def pytest_bstm_run_ready(config: pytest.Config, run: RunInfo) -> None:
    _say(config, f"custom-hooks: reporting into {run.run_id} ({run.mode})")


def pytest_bstm_session_finished(
    config: pytest.Config, run: RunInfo | None, summary: Summary
) -> None:
    total = sum(summary.uploaded.values())
    _say(
        config,
        f"custom-hooks: {run.run_id if run else 'no run'} finished with {total} results, "
        f"{summary.dropped} dropped",
    )

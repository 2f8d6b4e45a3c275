"""pytest entry point (``pytest11`` name ``bstm``): options, marker, hooks, and the reporter.

Inert unless enabled: without ``--bstm-project`` (or ``bstm_project``, ``BSTM_PROJECT``,
``--bstm-emulator``) it only registers its options, the ``tc`` marker and its hooks.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_bstm import hookspecs
from pytest_bstm.collect import mapping
from pytest_bstm.config.options import add_options
from pytest_bstm.config.settings import Settings, is_enabled, resolve

if TYPE_CHECKING:
    from pytest_bstm.session.reporter import Reporter

REPORTER_KEY: pytest.StashKey[Reporter] = pytest.StashKey()
RUN_FILE = "run.json"


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


class WorkerMapper:
    """xdist worker side: map and deselect items, and hand the mapping to the controller."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.settings = settings
        self.workerinput: dict[str, Any] = config.workerinput  # type: ignore[attr-defined]

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        found = mapping.map_items(config, items)
        run_cases = self.workerinput.get("bstm_run_cases")
        if self.settings.select and run_cases is not None:
            in_run = set(run_cases)
            keep = [i for i in items if any(r.case_id in in_run for r in found[i.nodeid])]
            dropped = [i for i in items if i not in keep]
            if dropped:
                config.hook.pytest_deselected(items=dropped)
                items[:] = keep

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        folder = self.workerinput.get("bstm_dir")
        if not folder:
            return
        data = {
            item.nodeid: [r.to_json() for r in mapping.refs_from_properties(item.user_properties)]
            for item in session.items
        }
        target = Path(folder) / f"{self.workerinput['workerid']}.json"
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, target)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", mapping.MARKER_HELP)
    if not is_enabled(config):
        return
    settings = resolve(config)
    config.pluginmanager.register(mapping, "bstm-mapping")
    if hasattr(config, "workerinput"):
        config.pluginmanager.register(WorkerMapper(config, settings), "bstm-worker")
        return
    # imported only when enabled: the client stack (requests, pydantic) costs a plain run nothing
    from pytest_bstm.session.reporter import Reporter  # noqa: PLC0415

    reporter = Reporter(config, settings)
    config.stash[REPORTER_KEY] = reporter
    config.pluginmanager.register(reporter, "bstm-reporter")


def pytest_unconfigure(config: pytest.Config) -> None:
    reporter = config.stash.get(REPORTER_KEY, None)
    if reporter is not None:
        reporter.shutdown()
        del config.stash[REPORTER_KEY]
        config.pluginmanager.unregister(reporter)


def current_run(config: pytest.Config) -> str | None:
    """The ID of the run this session reports into, in the main process and on xdist workers.

    On a worker it is known once the controller prepared the run, i.e. from the first test on.
    """
    reporter = config.stash.get(REPORTER_KEY, None)
    if reporter is not None:
        return reporter.summary.run.run_id if reporter.summary.run else None
    workerinput: dict[str, Any] = getattr(config, "workerinput", {})
    if workerinput.get("bstm_run"):
        return str(workerinput["bstm_run"])
    folder = workerinput.get("bstm_dir")
    if folder:
        try:
            data = json.loads((Path(folder) / RUN_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return str(data["run"]) if data.get("run") else None
    return None

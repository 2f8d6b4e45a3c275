"""The controller's half of the xdist channel (:mod:`pytest_bstm.collect.xdist` holds the
workers' half and the channel's description): registered on the xdist controller only, it
makes the channel's folder, hands workers their input, reads each worker's mapping (or usage
error) as xdist reports its collection, and tells the workers the run ID."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_bstm.collect.configurations import WORKER_INPUT as CONFIGURATIONS
from pytest_bstm.collect.configurations import Configurations
from pytest_bstm.collect.mapping import CaseRef
from pytest_bstm.collect.xdist import (
    FOLDER,
    RUN_CASES,
    RUN_FILE,
    RUNS_EACH,
    USAGE_ERROR,
    EvidenceInbox,
    atomic_write,
)

#: a worker's mapping, its tests that may record a case at run time, how many tests
#: ``--bstm-select`` deselected, and the node IDs it runs more than once
Found = tuple[dict[str, list[CaseRef]], set[str], int, dict[str, int]]
Handed = tuple[set[str] | None, Configurations | None]


def controls(config: pytest.Config) -> bool:
    """This process will be the xdist controller: pytest-xdist registers its ``dsession``
    (in its own ``trylast`` pytest_configure, after this plugin's) for exactly these options:
    not ``--collect-only``, a distribution mode and test environments (``-n``, ``--tx``)."""
    if hasattr(config, "workerinput") or config.getoption("collectonly", False):
        return False
    return config.getoption("dist", "no") != "no" and bool(config.getoption("tx", None))


class Controller:
    """``handed()``: what workers get (``--bstm-select``'s cases, the configurations);
    ``collected(found, session, tests)``: the first worker's mapping, and whether it has
    tests; ``aborted()``: a worker's collection found a usage error (raised after it)."""

    def __init__(
        self,
        config: pytest.Config,
        inbox: EvidenceInbox,
        handed: Callable[[], Handed],
        collected: Callable[[Found, pytest.Session | None, bool], None],
        aborted: Callable[[], None],
    ) -> None:
        self.config = config
        self.inbox = inbox
        self.handed = handed
        self.collected = collected
        self.aborted = aborted
        self.folder: str | None = None
        self.session: pytest.Session | None = None
        self.mapped = False  # a worker's mapping was read (every worker maps the same items)

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Before xdist starts the workers (its ``trylast`` pytest_sessionstart)."""
        self.session = session
        self.folder = tempfile.mkdtemp(prefix="pytest-bstm-")
        self.inbox.open(self.folder)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        run_cases, configurations = self.handed()
        configure_node(self.config, node, self.folder, run_cases, configurations)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        if self.folder is None:
            return
        try:  # a worker's usage error ends the session as it ends a serial one
            raise_usage_error(self.folder, node.gateway.id)
        except pytest.UsageError:
            self.aborted()
            raise
        if self.mapped:
            return
        found = read_worker(self.folder, node.gateway.id)
        if found is not None:
            self.mapped = True
            self.collected(found, self.session, bool(ids))

    def write_run(self, run_id: str | None) -> None:
        """Tell the workers the run ID (None: there will be none)."""
        if self.folder is not None:
            atomic_write(Path(self.folder) / RUN_FILE, {"run": run_id})

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        """After the reporter's shutdown (the evidence files closed)."""
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def configure_node(
    config: pytest.Config,
    node: Any,
    folder: str | None,
    run_cases: set[str] | None,
    configurations: Configurations | None = None,
) -> None:
    """Controller: hand a worker the channel's folder, for ``--bstm-select`` the cases, for
    ``bstm_configuration_param`` the configurations, and for ``--dist each`` (every worker
    runs every test) how many times each test runs."""
    node.workerinput[FOLDER] = folder
    if run_cases is not None:
        node.workerinput[RUN_CASES] = sorted(run_cases)
    if configurations is not None:
        node.workerinput[CONFIGURATIONS] = configurations.to_json()
    if config.getoption("dist", None) == "each":
        node.workerinput[RUNS_EACH] = node.workerinput.get("workercount", 1)


def read_worker(folder: str, worker_id: str) -> Found | None:
    """Controller: a worker's mapping, its tests that may record a case at run time, how
    many tests ``--bstm-select`` deselected, and the node IDs it runs more than once; None
    when it wrote none."""
    try:
        data = json.loads((Path(folder) / f"{worker_id}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    mapping = {n: [CaseRef.from_json(r) for r in refs] for n, refs in data["mapping"].items()}
    again = {str(n): int(t) for n, t in data.get("repeats", {}).items()}
    return mapping, set(data["recording"]), int(data.get("deselected", 0)), again


def raise_usage_error(folder: str, worker_id: str) -> None:
    """Controller: raise the usage error a worker's collection found (a malformed marker or
    case tag, a configuration nobody has), with the message a serial session gives; xdist
    reports a worker's collection before it schedules any test, so nothing runs."""
    try:
        text = (Path(folder) / USAGE_ERROR.format(worker=worker_id)).read_text(encoding="utf-8")
    except OSError:
        return
    raise pytest.UsageError(text)

"""The one channel between xdist workers and the controller.

Controller -> workers: ``workerinput`` carries a folder, with ``--bstm-select`` the cases
of the joined run, with ``bstm_configuration_param`` the configurations by name, and with
``--dist each`` how many workers run each test. Workers -> controller: at collection finish
each worker writes its mapping (node ID -> case references, which tests may record a case at
run time, and which run more than once) into the folder;
the controller reads it when xdist reports that worker's collection, and a usage error the
worker's mapping raised (written to ``<worker>.usage-error.txt``), which the controller raises
as a serial session does, before xdist schedules a test. Every later report,
including the one xdist makes for a test that crashed its worker, is resolved against that
mapping by node ID; nothing of the plugin travels inside reports or ``user_properties`` (a
pytest-bdd scenario's own step report goes along, as pytest-bdd 8 sends it itself).
What tests record with ``bstm.attach``/``bstm.link`` goes through the folder too: one file per
worker (``evidence-<worker>.jsonl``), read by :class:`EvidenceInbox` as tests finish.
Controller -> workers again: the run ID, in a file of the folder, once the run is prepared.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Generator
from pathlib import Path
from typing import IO, Any

import pytest

from pytest_bstm.collect import bdd
from pytest_bstm.collect.configurations import WORKER_INPUT as CONFIGURATIONS
from pytest_bstm.collect.configurations import Configurations
from pytest_bstm.collect.mapping import CaseRef, map_items, may_record, repeats
from pytest_bstm.collect.select import deselect
from pytest_bstm.results.evidence import EVIDENCE_KEY

FOLDER = "bstm_dir"
RUN_CASES = "bstm_run_cases"
RUN_FILE = "run.json"
RUNS_EACH = "bstm_runs_each"
USAGE_ERROR = "{worker}.usage-error.txt"  # what a worker's collection found wrong
WAIT_FOR_RUN = 10.0  # seconds a worker's current_run() waits for the controller


def atomic_write(target: Path, data: Any) -> None:
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, target)


def evidence_file(workerinput: dict[str, Any] | None) -> Path | None:
    """A worker's file of ``bstm.attach``/``bstm.link`` records (None off xdist)."""
    if not workerinput or not workerinput.get(FOLDER):
        return None
    return Path(workerinput[FOLDER]) / f"evidence-{workerinput.get('workerid', 'gw')}.jsonl"


class EvidenceInbox:
    """Where the reporter takes a finished test's ``bstm.attach``/``bstm.link`` records: the
    process's recorder, or on the xdist controller (:meth:`open`) the workers' files, read
    when a test finishes (a worker writes a test's records before the report that ends it)."""

    def __init__(self, config: pytest.Config) -> None:
        self.recorder = config.stash.get(EVIDENCE_KEY, None)
        self.folder: Path | None = None
        self._mtime = 0
        self._files: dict[str, IO[str]] = {}
        self._tails: dict[str, str] = {}
        self._by_node: dict[str, list[dict[str, Any]]] = {}

    def open(self, folder: str | None) -> None:
        self.folder = Path(folder) if folder else None

    def take(self, nodeid: str) -> list[dict[str, Any]]:
        if self.folder is None:
            return self.recorder.take(nodeid) if self.recorder is not None else []
        with contextlib.suppress(OSError):
            mtime = self.folder.stat().st_mtime_ns
            if mtime != self._mtime:  # a worker's first record made its file
                self._mtime = mtime
                for path in self.folder.glob("evidence-*.jsonl"):
                    if path.name not in self._files:
                        self._files[path.name] = path.open(encoding="utf-8")
        for name, handle in self._files.items():
            text = self._tails.pop(name, "") + handle.read()
            *lines, tail = text.split("\n")
            if tail:
                self._tails[name] = tail  # a line still being written
            for line in lines:
                record = json.loads(line)
                self._by_node.setdefault(record.pop("nodeid"), []).append(record)
        return self._by_node.pop(nodeid, []) if self._by_node else []

    def rest(self) -> list[dict[str, Any]]:
        """Every record no finished test took (interrupted tests', those of tests that never
        finished): read to the end now."""
        if self.folder is None:
            return self.recorder.take_all() if self.recorder is not None else []
        self.take("")
        rest = [r for records in self._by_node.values() for r in records]
        self._by_node.clear()
        return rest

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()


class Worker:
    """Registered on xdist workers: maps (and, for ``--bstm-select``, deselects) items, and
    sends the mapping to the controller."""

    def __init__(self, config: pytest.Config, select: bool) -> None:
        self.workerinput: dict[str, Any] = config.workerinput  # type: ignore[attr-defined]
        self.select = select
        self.found: dict[str, list[CaseRef]] = {}
        self.folder: str | None = self.workerinput.get(FOLDER)
        self.deselected = 0
        self.runs_each = int(self.workerinput.get(RUNS_EACH, 1))

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        table = self.workerinput.get(CONFIGURATIONS)
        configurations = Configurations.from_json(table) if table else None
        recorder = config.stash.get(EVIDENCE_KEY, None)
        if recorder is not None:  # a BrowserStack session's names choose one as it runs
            recorder.configurations = configurations
        try:
            self.found = map_items(config, items, configurations)
        except pytest.UsageError as exc:  # the controller raises it, as a serial session does
            if not self.folder:
                raise
            name = USAGE_ERROR.format(worker=self.workerinput["workerid"])
            (Path(self.folder) / name).write_text(str(exc), encoding="utf-8")
            return
        run_cases = self.workerinput.get(RUN_CASES)
        if self.select and run_cases is not None:
            self.deselected = deselect(config, items, self.found, set(run_cases))

    @pytest.hookimpl(wrapper=True)
    def pytest_report_to_serializable(
        self, config: pytest.Config, report: pytest.TestReport
    ) -> Generator[None, dict[str, Any] | None, dict[str, Any] | None]:
        """pytest-bdd's report of a scenario's steps travels with its test's report, as
        pytest-bdd 8 sends it itself (9 keeps it in the worker; the description needs it)."""
        data = yield
        if data is not None and "scenario" not in data:
            scenario = bdd.scenario_report(report)
            if scenario is not None:
                data["scenario"] = scenario
        return data

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        folder = self.folder
        if not folder:
            return
        found = self.found
        data = {
            "mapping": {
                i.nodeid: [r.to_json() for r in found.get(i.nodeid, [])] for i in session.items
            },
            "recording": [i.nodeid for i in session.items if may_record(i)],
            "repeats": repeats(session.items, self.runs_each),
            "deselected": self.deselected,
        }
        atomic_write(Path(folder) / f"{self.workerinput['workerid']}.json", data)


def worker_run(workerinput: dict[str, Any], wait: float = WAIT_FOR_RUN) -> str | None:
    """Worker: the run ID, waiting up to ``wait`` seconds for the controller to prepare it."""
    folder = workerinput.get(FOLDER)
    if not folder:
        return None
    deadline = time.monotonic() + wait
    while True:
        try:
            data = json.loads((Path(folder) / RUN_FILE).read_text(encoding="utf-8"))
            return str(data["run"]) if data["run"] else None
        except (OSError, ValueError, KeyError):
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)

"""The :class:`Emulator`: a stateful stand-in for the Test Management API on a real socket."""

from __future__ import annotations

import copy
import os
import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from .faults import Faults
from .seed import load_seed, make_case, make_project, populate
from .server import Dispatcher, EmulatorHTTPServer, RequestLog
from .snapshots import case_record, folder_record, result_record, run_record, test_case_record
from .state import State
from .variants import Variants

DEFAULT_USERNAME = "bstm-emulator"
DEFAULT_ACCESS_KEY = "bstm-emulator-key"


class Emulator:
    """Serves ``/api/v2`` on ``host:port`` from an in-memory account built from a seed.

    ``variants`` (names of :class:`~pytest_bstm.emulator.variants.Variants`) override the
    seed's ``"variants"``; both are restored by :meth:`reset`.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        username: str = DEFAULT_USERNAME,
        access_key: str = DEFAULT_ACCESS_KEY,
        seed: dict[str, Any] | str | os.PathLike[str] | None = None,
        apply_delay: float = 0.05,
        clone_delay: float = 0.05,
        max_cases_per_request: int = 1000,
        variants: Mapping[str, Any] | None = None,
    ) -> None:
        self.host = host
        self.username = username
        self.access_key = access_key
        self._port = port
        self._seed = load_seed(seed)
        self._state = State(
            username=username,
            apply_delay=apply_delay,
            clone_delay=clone_delay,
            limit=max_cases_per_request,
        )
        populate(self._state, self._seed)
        seeded = self._seed.get("variants") or {}
        if not isinstance(seeded, dict):
            raise ValueError("invalid emulator seed: 'variants' must be an object")
        self._variants = Variants().changed(seeded).changed(variants or {})
        self._state.variants = self._variants
        self._log = RequestLog()
        self.faults = Faults(self._set_down)
        self._dispatcher = Dispatcher(self._state, self.faults, self._log, (username, access_key))
        self._lifecycle = threading.Lock()
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> Emulator:
        """Start serving on a daemon thread."""
        with self._lifecycle:
            if self._server is None:
                self._listen()
        return self

    def stop(self) -> None:
        """Stop serving and close every connection."""
        with self._lifecycle:
            self._halt()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _listen(self) -> None:
        server = EmulatorHTTPServer((self.host, self._port), self._dispatcher)
        self._port = server.server_address[1]
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"bstm-emulator:{self._port}",
            daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()

    def _halt(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.cut_connections()
        if thread is not None:
            thread.join(timeout=5)

    def _set_down(self, is_down: bool) -> None:
        with self._lifecycle:
            if is_down:
                self._halt()
            elif self._server is None:
                self._listen()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        """The base URL; API paths are under ``/api/v2``."""
        return f"http://{self.host}:{self._port}"

    # -- state -------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the seed: runs, results, faults and the request log cleared, IDs restart."""
        self.faults.clear()
        with self._state.lock:
            self._state.clear()
            populate(self._state, copy.deepcopy(self._seed))
            self._state.variants = self._variants
        self._log.clear()

    @property
    def variants(self) -> Variants:
        """The answer variants in force."""
        with self._state.session() as state:
            return state.variants

    def set_variants(self, **changes: Any) -> None:
        """Switch answer variants (``run_key="top"``...) until the next :meth:`reset`."""
        with self._state.session() as state:
            state.variants = state.variants.changed(changes)

    def add_project(
        self, identifier: str, *, name: str | None = None, numeric_id: int | None = None
    ) -> None:
        """Add a project (until the next ``reset()``); an existing one keeps its test cases."""
        entry: dict[str, Any] = {"identifier": identifier, "name": name or identifier}
        if numeric_id is not None:
            entry["id"] = numeric_id
        with self._state.session() as state:
            project = make_project(entry)
            existing = state.projects.get(identifier)
            if existing is not None:
                project.test_cases, project.test_plans = existing.test_cases, existing.test_plans
                project.folders = existing.folders
            state.projects[identifier] = project

    def add_test_cases(self, project_id: str, cases: list[str] | list[dict[str, Any]]) -> None:
        """Add test cases (identifiers, or seed-shaped objects) to a project."""
        with self._state.session() as state:
            project = state.project(project_id)
            for entry in cases:
                case = make_case(entry)
                project.test_cases[case.identifier] = case

    def add_configurations(self, configurations: list[dict[str, Any]]) -> None:
        """Add configurations (``{"id": 104, "name": "Safari"}``, other keys optional)."""
        defaults = {"os": None, "os_version": None, "device": None, "browser": None}
        with self._state.session() as state:
            for config in configurations:
                record = defaults | {"browser_version": None, "is_system": False} | dict(config)
                state.configurations[int(config["id"])] = record

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until every pending asynchronous change has landed; False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            with self._state.session() as state:
                due = state.next_due()
            if due is None:
                return True
            now = time.monotonic()
            if now >= deadline:
                return False
            time.sleep(max(0.001, min(due, deadline) - now))

    # -- inspection --------------------------------------------------------------------
    def runs(self, project_id: str | None = None) -> list[dict[str, Any]]:
        """Every run (closed ones too), optionally of one project."""
        with self._state.session() as state:
            return [
                run_record(r)
                for r in state.runs.values()
                if project_id is None or r.project_id == project_id
            ]

    def run(self, run_id: str) -> dict[str, Any]:
        """One run; ``KeyError`` if unknown."""
        with self._state.session() as state:
            return run_record(state.runs[run_id])

    def run_cases(self, run_id: str) -> list[dict[str, Any]]:
        with self._state.session() as state:
            return [case_record(c) for c in state.runs[run_id].cases]

    def results(self, run_id: str) -> list[dict[str, Any]]:
        with self._state.session() as state:
            return [result_record(r) for r in state.runs[run_id].results]

    def folders(self, project_id: str) -> list[dict[str, Any]]:
        """A project's folders (every level), by ID: id, name, description, parent_id."""
        with self._state.session() as state:
            folders = state.project(project_id).folders
            return [folder_record(folders[i]) for i in sorted(folders)]

    def test_cases(self, project_id: str) -> list[dict[str, Any]]:
        """A project's test cases, in creation order (seeded ones first)."""
        with self._state.session() as state:
            return [test_case_record(c) for c in state.project(project_id).test_cases.values()]

    def async_events(self) -> list[dict[str, Any]]:
        """Completed update-test-cases operations: unique_id, operation, affected_mapping_count."""
        with self._state.session() as state:
            return copy.deepcopy(state.async_events)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The request log: method, path, query, status (None if dropped), parsed body."""
        return self._log.entries()

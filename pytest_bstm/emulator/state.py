"""The in-memory model of one emulated account, guarded by a single lock.

Asynchronous work (a 202 add/remove of test cases, a clone's population) is queued with a due
time and applied by :meth:`State.settle`, which every access calls first: a change becomes
visible to every reader exactly once its delay has passed.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .errors import not_found, run_invalid
from .variants import Variants

SYSTEM_STATUSES = ("untested", "passed", "retest", "failed", "blocked", "skipped", "in_progress")
CASE_ID = re.compile(r"TC-\d+")  # a well-formed test case ID (the reference's ``TC-1``)
RUN_STATES = ("new_run", "in_progress", "under_review", "rejected", "done", "closed")


def now_iso() -> str:
    """The current UTC time as ISO 8601 with milliseconds and ``Z``."""
    now = dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


@dataclass
class TestCase:
    identifier: str
    title: str
    description: str = ""
    status: str = "Active"
    priority: str = "Medium"
    case_type: str = "Functional"
    folder_id: int | None = None
    tags: list[str] = field(default_factory=list)
    owner: str | None = None
    automation_status: str = "not_automated"
    steps: list[dict[str, Any]] = field(default_factory=list)
    custom_fields: dict[str, Any] = field(default_factory=dict)
    created_at: str = "2024-01-01T00:00:00.000Z"


@dataclass
class Folder:
    """A test case folder; ``parent_id`` None is the project's top level."""

    id: int
    name: str
    description: str = ""
    parent_id: int | None = None


@dataclass
class TestPlan:
    identifier: str
    name: str
    sub_test_plans: dict[str, str] = field(default_factory=dict)  # STP id -> name


@dataclass
class Project:
    identifier: str
    numeric_id: int
    name: str
    test_cases: dict[str, TestCase] = field(default_factory=dict)
    test_plans: dict[str, TestPlan] = field(default_factory=dict)
    folders: dict[int, Folder] = field(default_factory=dict)

    def sub_plan_parent(self, sub_id: str) -> TestPlan | None:
        for plan in self.test_plans.values():
            if sub_id in plan.sub_test_plans:
                return plan
        return None


@dataclass
class RunCase:
    test_case_id: str
    configuration_id: int | None
    assignee: str | None = None
    latest_status: str = "untested"
    latest_result_id: int | None = None

    @property
    def key(self) -> tuple[str, int | None]:
        return (self.test_case_id, self.configuration_id)


@dataclass
class Result:
    id: int
    run_id: str
    test_case_id: str
    configuration_id: int | None
    status: str
    description: str | None
    issues: list[str]
    custom_fields: dict[str, Any]
    duration_in_ms: int | None
    created_at: str
    created_by: str
    attachments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Run:
    identifier: str
    project_id: str
    name: str
    created_at: str
    description: str = ""
    run_state: str = "new_run"
    active_state: str = "active"
    assignee: str | None = None
    test_case_assignee: str | None = None
    tags: list[str] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)
    issue_tracker: dict[str, Any] | None = None
    configurations: list[int] = field(default_factory=list)
    test_plan_id: str | None = None
    sub_test_plan_id: str | None = None
    updated_at: str = ""
    closed_at: str | None = None
    automated: bool = False
    cases: list[RunCase] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)

    @property
    def closed(self) -> bool:
        return self.active_state == "closed"

    def close(self, when: str) -> None:
        self.active_state = "closed"
        self.run_state = "closed"
        self.closed_at = when
        self.updated_at = when


@dataclass(order=True)
class _Pending:
    due: float
    seq: int
    apply: Callable[[], None] = field(compare=False)


class State:
    """Projects, configurations, runs and results; every access goes through :meth:`session`."""

    def __init__(
        self, *, username: str, apply_delay: float, clone_delay: float, limit: int
    ) -> None:
        self.lock = threading.RLock()
        self.username = username
        self.apply_delay = apply_delay
        self.clone_delay = clone_delay
        self.max_cases_per_request = limit
        self.projects: dict[str, Project] = {}
        self.configurations: dict[int, dict[str, Any]] = {}
        self.custom_statuses: list[str] = []
        self.any_case = False  # the seed's "any_case": every well-formed case ID exists
        self.runs: dict[str, Run] = {}
        self.async_events: list[dict[str, Any]] = []
        self.variants = Variants()
        self._next_run = 1
        self._next_result = 1
        self._next_uuid = 1
        self._seq = 0
        self._pending: list[_Pending] = []

    def clear(self) -> None:
        """Forget everything (the caller then loads the seed)."""
        self.projects.clear()
        self.configurations.clear()
        self.custom_statuses = []
        self.any_case = False
        self.runs.clear()
        self.async_events.clear()
        self._next_run = self._next_result = self._next_uuid = 1
        self._pending.clear()

    @contextmanager
    def session(self) -> Iterator[State]:
        """Hold the lock, with every due asynchronous change applied first."""
        with self.lock:
            self.settle()
            yield self

    # -- asynchronous work -------------------------------------------------------------
    def schedule(self, delay: float, apply: Callable[[], None]) -> None:
        self._seq += 1
        self._pending.append(_Pending(time.monotonic() + delay, self._seq, apply))
        self._pending.sort()

    def settle(self) -> None:
        now = time.monotonic()
        while self._pending and self._pending[0].due <= now:
            self._pending.pop(0).apply()

    def next_due(self) -> float | None:
        return self._pending[-1].due if self._pending else None

    # -- identifiers -------------------------------------------------------------------
    def new_run_id(self) -> str:
        run_id = f"TR-{self._next_run}"
        self._next_run += 1
        return run_id

    def reserve_run_id(self, identifier: object = None) -> str:
        """``identifier`` (``"TR-5"``), after which new runs are numbered; else a new one."""
        if not identifier:
            return self.new_run_id()
        run_id = str(identifier)
        self._next_run = max(self._next_run, int(run_id[3:]) + 1)
        return run_id

    def new_result_id(self) -> int:
        result_id = self._next_result
        self._next_result += 1
        return result_id

    def new_folder_id(self) -> int:
        """Folder IDs are account-wide: one above any folder or case folder_id seen."""
        used = [0]
        for project in self.projects.values():
            used += list(project.folders)
            used += [c.folder_id for c in project.test_cases.values() if c.folder_id is not None]
        return max(used) + 1

    def new_case_id(self) -> str:
        """Case identifiers are account-wide: ``TC-`` one above the highest in any project."""
        numbers = [0]
        for project in self.projects.values():
            numbers += [int(i[3:]) for i in project.test_cases if i[3:].isdigit()]
        return f"TC-{max(numbers) + 1}"

    def new_uuid(self) -> str:
        value = uuid.UUID(int=(0xB5713 << 100) | self._next_uuid, version=4)
        self._next_uuid += 1
        return str(value)

    # -- lookups -----------------------------------------------------------------------
    @property
    def statuses(self) -> tuple[str, ...]:
        return SYSTEM_STATUSES + tuple(self.custom_statuses)

    def status(self, name: object) -> str | None:
        """The status ``name`` stands for, matched case-insensitively (system and custom
        statuses alike: the live service takes ``Passed`` and ``passed``); None if unknown."""
        if not isinstance(name, str):
            return None
        lowered = name.strip().lower()
        return lowered if lowered in self.statuses else None

    def project(self, project_id: str) -> Project:
        project = self.projects.get(project_id)
        if project is None:
            raise not_found(f"Project {project_id} not found")
        return project

    def case(self, project: Project, identifier: object) -> TestCase | None:
        """The project's case ``identifier``; with the seed's ``any_case`` switch, a
        well-formed ID the project lacks is created on first use (an account that has every
        case); None if unknown."""
        if not isinstance(identifier, str):
            return None
        case = project.test_cases.get(identifier)
        if case is None and self.any_case and CASE_ID.fullmatch(identifier):
            case = project.test_cases[identifier] = TestCase(identifier, f"Test case {identifier}")
        return case

    def run(self, project_id: str, run_id: str, *, write: bool = False) -> Run:
        """The run ``run_id`` of ``project_id``; 404 when unknown, foreign, or closed on write."""
        self.project(project_id)
        run = self.runs.get(run_id)
        if run is None or run.project_id != project_id or (write and run.closed):
            raise run_invalid()
        return run

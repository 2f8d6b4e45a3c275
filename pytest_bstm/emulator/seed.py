"""The account an emulator starts from: the built-in default or a JSON document.

Seed shape (every key optional except ``projects``)::

    {
      "any_case": false,   # true: every well-formed case ID exists, created on first use
      "custom_statuses": ["flaky"],
      "configurations": [{"id": 101, "name": "Chrome/Windows", "os": "Windows", ...}],
      "projects": [
        {"identifier": "PR-1", "id": 1, "name": "Demo project",
         "test_cases": ["TC-1", {"identifier": "TC-2", "title": "...", "priority": "High",
                                 "case_type": "Smoke & Sanity", "folder_id": 1, "tags": [],
                                 "owner": "a@example.com", "steps": [...], "created_at": "..."}],
         "test_plans": [{"identifier": "TP-1", "name": "...",
                         "sub_test_plans": [{"identifier": "STP-1", "name": "..."}]}],
         "folders": [{"id": 1, "name": "Login", "description": "", "parent_id": null}]}
      ],
      "runs": [{"project_id": "PR-1", "name": "Nightly", "test_cases": ["TC-1"],
                "configurations": [101], "automated": false, "closed": false}]
    }

A run's ``"entries"`` (``[["TC-1", 101], ["TC-2", null]]``), when given, are its exact (case,
configuration) pairs instead of every case under every configuration.

Runs listed in the seed take the first ``TR-`` identifiers, in order, unless an entry names its
own ``"identifier"`` (then later runs must not reach it: the dry run seeds only that one).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .state import Folder, Project, Run, RunCase, State, TestCase, TestPlan

_PRIORITIES = ("Low", "Medium", "High", "Critical")
_CASE_TYPES = ("Functional", "Regression", "Smoke & Sanity", "Acceptance")
_SEED_TIME = "2024-01-01T00:00:00.000Z"


def _demo_case(number: int) -> dict[str, Any]:
    return {
        "identifier": f"TC-{number}",
        "title": f"Demo test case {number}",
        "priority": _PRIORITIES[number % 4],
        "case_type": _CASE_TYPES[number % 4],
        "folder_id": 1 + (number - 1) // 20,
        "tags": ["smoke"] if number % 10 == 0 else [],
        "owner": "owner@example.com",
        "created_at": f"2024-01-{1 + (number - 1) // 10:02d}T00:00:00.000Z",
        "steps": [
            {"description": f"Step {step} of case {number}", "result": "It works"}
            for step in (1, 2)
        ],
    }


def default_seed() -> dict[str, Any]:
    """The built-in account: PR-1 (TC-1..TC-60 in folders 1-3, TP-1/STP-1), PR-2 (TC-1001..1005)."""
    return {
        "custom_statuses": ["flaky"],
        "configurations": [
            _config(101, "Chrome/Windows", os=("Windows", "11"), browser="Chrome"),
            _config(102, "Firefox/macOS", os=("macOS", "14"), browser="Firefox"),
            _config(103, "Safari/iOS", os=("iOS", "17"), browser="Safari", device="iPhone 15"),
        ],
        "projects": [
            {
                "identifier": "PR-1",
                "id": 1,
                "name": "Demo project",
                "test_cases": [_demo_case(n) for n in range(1, 61)],
                "folders": [{"id": n, "name": f"Demo folder {n}"} for n in (1, 2, 3)],
                "test_plans": [
                    {
                        "identifier": "TP-1",
                        "name": "Release plan",
                        "sub_test_plans": [{"identifier": "STP-1", "name": "Release smoke"}],
                    }
                ],
            },
            {
                "identifier": "PR-2",
                "id": 2,
                "name": "Second project",
                "test_cases": [f"TC-{n}" for n in range(1001, 1006)],
            },
        ],
    }


def _config(
    config_id: int, name: str, *, os: tuple[str, str], browser: str, device: str | None = None
) -> dict[str, Any]:
    return {
        "id": config_id,
        "name": name,
        "os": os[0],
        "os_version": os[1],
        "device": device,
        "browser": browser,
        "browser_version": "latest",
        "is_system": True,
    }


def load_seed(source: dict[str, Any] | str | os.PathLike[str] | None) -> dict[str, Any]:
    """The seed document: the default, a dict, or the JSON file at a path."""
    if source is None:
        return default_seed()
    if isinstance(source, dict):
        seed = json.loads(json.dumps(source))
    else:
        seed = json.loads(Path(source).read_text(encoding="utf-8"))
    if not isinstance(seed, dict) or not isinstance(seed.get("projects"), list):
        raise ValueError("an emulator seed must be a JSON object with a 'projects' array")
    return seed


def make_case(entry: str | dict[str, Any]) -> TestCase:
    """A project test case from a seed entry (an identifier or an object)."""
    if isinstance(entry, str):
        entry = {"identifier": entry}
    identifier = str(entry["identifier"])
    steps = [
        {"id": 1000 * index + 1, "order": index, **step}
        for index, step in enumerate(entry.get("steps", []), start=1)
    ]
    return TestCase(
        identifier=identifier,
        title=str(entry.get("title", f"Test case {identifier}")),
        description=str(entry.get("description", "")),
        status=str(entry.get("status", "Active")),
        priority=str(entry.get("priority", "Medium")),
        case_type=str(entry.get("case_type", "Functional")),
        folder_id=entry.get("folder_id"),
        tags=list(entry.get("tags", [])),
        owner=entry.get("owner"),
        automation_status=str(entry.get("automation_status", "not_automated")),
        steps=steps,
        custom_fields=dict(entry.get("custom_fields", {})),
        created_at=str(entry.get("created_at", _SEED_TIME)),
    )


def make_project(entry: dict[str, Any]) -> Project:
    """A project from a seed entry."""
    identifier = str(entry["identifier"])
    project = Project(identifier, int(entry.get("id", identifier.rsplit("-", 1)[-1])), "")
    project.name = str(entry.get("name", identifier))
    for case_entry in entry.get("test_cases", []):
        case = make_case(case_entry)
        project.test_cases[case.identifier] = case
    for plan in entry.get("test_plans", []):
        subs = {
            str(s["identifier"]): str(s.get("name", "")) for s in plan.get("sub_test_plans", [])
        }
        tp = TestPlan(str(plan["identifier"]), str(plan.get("name", plan["identifier"])), subs)
        project.test_plans[tp.identifier] = tp
    for folder in entry.get("folders", []):
        parent = folder.get("parent_id")
        project.folders[int(folder["id"])] = Folder(
            int(folder["id"]),
            str(folder.get("name", f"Folder {folder['id']}")),
            str(folder.get("description") or ""),
            None if parent is None else int(parent),
        )
    return project


def populate(state: State, seed: dict[str, Any]) -> None:
    """Fill a cleared ``state`` from ``seed``."""
    try:
        state.custom_statuses = [str(s).lower() for s in seed.get("custom_statuses", [])]
        state.any_case = seed.get("any_case") is True
        for config in seed.get("configurations", []):
            state.configurations[int(config["id"])] = dict(config)
        for entry in seed["projects"]:
            project = make_project(entry)
            state.projects[project.identifier] = project
        for entry in seed.get("runs", []):
            _seed_run(state, entry)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"invalid emulator seed: {exc!r}") from exc


def _seed_run(state: State, entry: dict[str, Any]) -> None:
    run = Run(
        identifier=state.reserve_run_id(entry.get("identifier")),
        project_id=str(entry["project_id"]),
        name=str(entry.get("name", "Seeded run")),
        created_at=_SEED_TIME,
        updated_at=_SEED_TIME,
        automated=bool(entry.get("automated", False)),
        configurations=[int(c) for c in entry.get("configurations", [])],
    )
    configs: list[int | None] = list(run.configurations) or [None]
    run.cases = [RunCase(str(tc), cfg) for tc in entry.get("test_cases", []) for cfg in configs]
    if "entries" in entry:  # exact (case, configuration) pairs, not every case x configuration
        run.cases = [RunCase(str(tc), None if c is None else int(c)) for tc, c in entry["entries"]]
    if entry.get("closed"):
        run.close(_SEED_TIME)
    state.project(run.project_id)
    state.runs[run.identifier] = run

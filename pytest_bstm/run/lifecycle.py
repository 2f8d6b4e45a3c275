"""The run's lifecycle on the controller: create, clone or join; case delta; assignment; close."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_bstm import __version__
from pytest_bstm.api import Client, errors, models
from pytest_bstm.collect.mapping import CaseRef
from pytest_bstm.config.settings import Settings
from pytest_bstm.results.tracker import Key, keys_for
from pytest_bstm.run.cases import run_pairs, wait_for_pairs

ASSIGN_CHUNK = 500


@dataclass(frozen=True)
class RunInfo:
    """The run this session reports into."""

    project: str
    run_id: str
    name: str | None
    mode: str
    web_url: str | None = None
    created: bool = False


@dataclass
class Plan:
    """What the collected tests ask of the run, computed without any request."""

    pairs: set[Key] = field(default_factory=set)
    case_configs: dict[str, set[int | None]] = field(default_factory=dict)
    assignees: dict[Key, str] = field(default_factory=dict)
    nodeids: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, mapping: Mapping[str, list[CaseRef]], settings: Settings) -> Plan:
        plan = cls()
        for nodeid, refs in mapping.items():
            for ref in refs:
                plan.nodeids.setdefault(ref.case_id, []).append(nodeid)
                for key in keys_for([ref], settings.configurations):
                    plan.pairs.add(key)
                    plan.case_configs.setdefault(key[0], set()).add(key[1])
                    assignee = ref.assignee or settings.case_assignee
                    if ref.assignee or (assignee and key not in plan.assignees):
                        plan.assignees[key] = assignee  # type: ignore[assignment]
        return plan

    def without(self, cases: set[str]) -> Plan:
        return Plan(
            pairs={k for k in self.pairs if k[0] not in cases},
            case_configs={c: v for c, v in self.case_configs.items() if c not in cases},
            assignees={k: v for k, v in self.assignees.items() if k[0] not in cases},
            nodeids={c: v for c, v in self.nodeids.items() if c not in cases},
        )


def footer(token: str) -> str:
    return f"Reported by pytest-bstm {__version__} (session {token})"


def create_payload(settings: Settings, plan: Plan, token: str) -> dict[str, Any]:
    """The ``test_run`` body of the create request."""
    description = "\n\n".join(filter(None, [settings.run_description, footer(token)]))
    payload: dict[str, Any] = {
        "name": settings.run_name,
        "description": description,
        "test_cases": sorted(plan.case_configs, key=lambda c: int(c[3:])),
    }
    optional = {
        "assignee": settings.assignee,
        "test_case_assignee": settings.case_assignee,
        "tags": list(settings.tags) or None,
        "issues": list(settings.issues) or None,
        "test_plan_id": settings.test_plan,
        "sub_test_plan_id": settings.sub_test_plan,
        "configurations": list(settings.configurations) or None,
    }
    payload.update({k: v for k, v in optional.items() if v is not None})
    default: set[int | None] = set(settings.configurations) or {None}
    groups: dict[tuple[int, ...], list[str]] = {}
    for case_id in payload["test_cases"]:
        configs = plan.case_configs[case_id]
        if configs != default and None not in configs:
            groups.setdefault(tuple(sorted(c for c in configs if c is not None)), []).append(
                case_id
            )
    if groups:
        payload["configuration_map"] = [
            {"test_case_id": ids[0] if len(ids) == 1 else ids, "configuration_ids": list(cfgs)}
            for cfgs, ids in groups.items()
        ]
    return payload


def selections(pairs: set[Key]) -> list[models.CaseSelection]:
    by_config: dict[int | None, list[str]] = {}
    for case_id, cfg in sorted(pairs, key=lambda k: (k[1] or 0, int(k[0][3:]))):
        by_config.setdefault(cfg, []).append(case_id)
    return [
        models.CaseSelection(test_case_ids=ids, configuration_ids=None if cfg is None else [cfg])
        for cfg, ids in by_config.items()
    ]


class Lifecycle:
    """Performs the run's API calls for one session (the controller's only writer at start/end)."""

    def __init__(self, settings: Settings, client: Client, config: pytest.Config, token: str):
        self.settings = settings
        self.client = client
        self.config = config
        self.token = token
        self.added = 0
        self.removed = 0
        self.assigned = 0
        self.maybe_created = False  # a create whose answer was lost
        self.created_count: int | None = None

    @property
    def project(self) -> str:
        return self.settings.project

    def project_cases(self) -> set[str]:
        return {c.identifier for c in self.client.iter_project_test_cases(self.project)}

    def existing(self) -> tuple[RunInfo, set[Key]]:
        """Join (read) or clone the run named in the settings, and return it with its pairs."""
        s = self.settings
        if s.mode == "join":
            assert s.run_id is not None
            run = self.client.get_run_minified(self.project, s.run_id)
            link = run.web_url or self.client.run_web_url(self.project, run.identifier)
            info = RunInfo(self.project, run.identifier, run.name, "join", link)
            return info, run_pairs(self.client, self.project, run.identifier)
        assert s.clone_id is not None
        body: dict[str, Any] = {"name": s.run_name}
        if s.clone_statuses:
            body["test_case_selection"] = "by_results"
            body["statuses"] = list(s.clone_statuses)
        self.config.hook.pytest_bstm_run_payload(config=self.config, payload=body)
        run = self.client.clone_run(self.project, s.clone_id, **body)
        expected = sum((run.test_case_summary or {}).values())
        pairs = wait_for_pairs(self.client, self.project, run.identifier, set(), at_least=expected)
        info = RunInfo(self.project, run.identifier, run.name, "clone", run.web_url, created=True)
        return info, pairs

    def create(self, plan: Plan) -> RunInfo:
        payload = create_payload(self.settings, plan, self.token)
        self.config.hook.pytest_bstm_run_payload(config=self.config, payload=payload)
        body = models.NewTestRun(**payload)
        since = dt.date.today() - dt.timedelta(days=1)
        found = self._find_created(payload["name"], since) if self.maybe_created else None
        try:
            run = found or self.client.create_run(self.project, body)
        except errors.AmbiguousRequestError:
            self.maybe_created = True
            found = self._find_created(payload["name"], since)
            run = found if found is not None else self.client.create_run(self.project, body)
        self.maybe_created = False
        self.created_count = run.test_cases_count
        self.added = len(plan.pairs)
        return RunInfo(self.project, run.identifier, run.name, "create", run.web_url, created=True)

    def _find_created(self, name: str, since: dt.date) -> models.TestRun | None:
        """After a create whose answer was lost: the run with our name and session token."""
        for run in self.client.list_runs(self.project, created_after=since):
            if run.name != name:
                continue
            details = self.client.get_run(self.project, run.identifier)
            if self.token in (details.description or ""):
                return details
        return None

    def apply_delta(self, run: RunInfo, current: set[Key], plan: Plan) -> set[Key]:
        """Add what was collected and is missing; with ``prune`` remove what nothing covers."""
        add = plan.pairs - current
        remove = current - plan.pairs if self.settings.prune else set()
        if not add and not remove:
            return current
        self.client.update_test_cases(
            self.project,
            run.run_id,
            add=selections(add),
            remove=selections(remove),
            preserve_existing_results=True,
        )
        pairs = wait_for_pairs(self.client, self.project, run.run_id, add, remove)
        self.added, self.removed = len(add), len(remove)
        return pairs

    def assign(self, run: RunInfo, plan: Plan, pairs: set[Key], created: bool) -> None:
        wanted = {
            key: who
            for key, who in plan.assignees.items()
            if key in pairs and not (created and who == self.settings.case_assignee)
        }
        items = [
            models.Assignment(test_case_id=case, configuration_id=cfg, assignee=who)
            for (case, cfg), who in sorted(wanted.items(), key=lambda kv: str(kv[0]))
        ]
        for start in range(0, len(items), ASSIGN_CHUNK):
            self.client.assign(self.project, run.run_id, items[start : start + ASSIGN_CHUNK])
        by_default = pairs & plan.pairs if created and self.settings.case_assignee else set()
        self.assigned = len(by_default | set(wanted))

    def close(self, run: RunInfo) -> RunInfo:
        closed = self.client.close_run(self.project, run.run_id)
        return RunInfo(
            run.project, run.run_id, run.name, run.mode, closed.web_url or run.web_url, run.created
        )

"""The run's API calls: create, clone or join; case delta; assignment; close.

Every call takes its inputs from a :class:`~pytest_bstm.run.plan.RunPlan`; nothing here reads
options or calls user hooks (those run on pytest's main thread before the plan is final).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Set as AbstractSet
from dataclasses import replace

from pytest_bstm.api import Client, errors, models
from pytest_bstm.results.model import Key
from pytest_bstm.run.cases import run_pairs, wait_for_pairs
from pytest_bstm.run.info import RunInfo
from pytest_bstm.run.plan import RunPlan, selections

ASSIGN_CHUNK = 500
FIND_WINDOW = dt.timedelta(days=2)  # how far back a lost create is looked for


class RunClosedError(errors.BstmError):
    """The run is closed (or was deleted): its results must go to another run."""


class Lifecycle:
    """Performs the run's API calls for one plan."""

    def __init__(self, client: Client, plan: RunPlan) -> None:
        self.client = client
        self.plan = plan
        self.maybe_created = False  # a create whose answer was lost: look before creating
        self.created_count: int | None = None

    @property
    def project(self) -> str:
        return self.plan.project

    def project_cases(self) -> set[str]:
        return {c.identifier for c in self.client.iter_project_test_cases(self.project)}

    def join(self) -> tuple[RunInfo, set[Key]]:
        """Read the joined run and its (case, configuration) pairs."""
        assert self.plan.run_id is not None
        run = self.client.get_run_minified(self.project, self.plan.run_id)
        if run.active_state == "closed":
            raise RunClosedError(
                f"{run.identifier} is closed, so it takes no results: join an open run, "
                f"or clone it with --bstm-clone {run.identifier}"
            )
        link = run.web_url or self.client.run_web_url(self.project, run.identifier)
        info = RunInfo(self.project, run.identifier, run.name, "join", link)
        return info, run_pairs(self.client, self.project, run.identifier)

    def clone(self) -> tuple[RunInfo, set[Key]]:
        """Clone the source run (body: the plan's payload) and wait for its cases."""
        assert self.plan.source is not None
        try:
            run = self.client.clone_run(self.project, self.plan.source, **self.plan.payload)
        except errors.AmbiguousRequestError:
            found = self._find_clone()
            if found is None:
                raise
            run = found
        expected = sum((run.test_case_summary or {}).values())
        pairs = wait_for_pairs(self.client, self.project, run.identifier, set(), at_least=expected)
        info = RunInfo(self.project, run.identifier, run.name, "clone", run.web_url, created=True)
        return info, pairs

    def _find_clone(self) -> models.TestRun | None:
        """After a clone whose answer was lost: the newest run of the clone's name made
        since yesterday (the clone body carries no token; the default name holds the time),
        else None."""
        name = self.plan.payload.get("name")
        since = dt.date.today() - FIND_WINDOW
        runs = [
            r
            for r in self.client.list_runs(self.project, created_after=since)
            if r.name == name and r.identifier != self.plan.source
        ]
        if not runs:
            return None
        newest = max(runs, key=lambda r: int(r.identifier[3:]))
        return self.client.get_run(self.project, newest.identifier)

    def create(self, plan: RunPlan) -> RunInfo:
        """Create the run, exactly once: after a lost answer, the run carrying the session
        token in its description is looked up before another create is sent."""
        body = models.NewTestRun(**plan.payload)
        name = str(plan.payload.get("name", ""))
        since = dt.date.today() - FIND_WINDOW
        found = self._find_created(name, since) if self.maybe_created else None
        try:
            run = found or self.client.create_run(self.project, body)
        except errors.AmbiguousRequestError:
            self.maybe_created = True
            found = self._find_created(name, since)
            run = found if found is not None else self.client.create_run(self.project, body)
        self.maybe_created = False
        self.created_count = run.test_cases_count
        return RunInfo(self.project, run.identifier, run.name, "create", run.web_url, created=True)

    def _find_created(self, name: str, since: dt.date) -> models.TestRun | None:
        for run in self.client.list_runs(self.project, created_after=since):
            if run.name != name:
                continue
            details = self.client.get_run(self.project, run.identifier)
            if self.plan.token in (details.description or ""):
                return details
        return None

    def apply_delta(
        self, run: RunInfo, current: AbstractSet[Key], plan: RunPlan
    ) -> tuple[AbstractSet[Key], set[Key], set[Key]]:
        """Add the planned pairs the run lacks; with ``prune`` remove what nothing covers.
        Returns (the run's pairs, the pairs added, the pairs removed)."""
        planned = plan.pair_set
        add = planned - current
        remove = set(current - planned) if plan.prune else set()
        if not add and not remove:
            return current, set(), set()
        self.client.update_test_cases(
            self.project,
            run.run_id,
            add=selections(add),
            remove=selections(remove),
            preserve_existing_results=True,
        )
        pairs = wait_for_pairs(self.client, self.project, run.run_id, add, remove, current=current)
        return pairs, add, remove

    def assign(self, run: RunInfo, plan: RunPlan, pairs: AbstractSet[Key]) -> set[Key]:
        """Assign the planned pairs the run holds; returns the pairs that have an assignee."""
        created = run.mode == "create"
        wanted = {
            (case, cfg): who
            for case, cfg, who in plan.assignees
            if (case, cfg) in pairs and not (created and who == plan.case_assignee)
        }
        items = [
            models.Assignment(test_case_id=case, configuration_id=cfg, assignee=who)
            for (case, cfg), who in sorted(wanted.items(), key=lambda kv: str(kv[0]))
        ]
        for start in range(0, len(items), ASSIGN_CHUNK):
            self.client.assign(self.project, run.run_id, items[start : start + ASSIGN_CHUNK])
        by_default = plan.pair_set & pairs if created and plan.case_assignee else set()
        return by_default | set(wanted)

    def close(self, run: RunInfo) -> RunInfo:
        closed = self.client.close_run(self.project, run.run_id)
        return replace(run, web_url=closed.web_url or run.web_url)

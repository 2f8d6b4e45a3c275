"""Bringing the run in line with the collected tests: the steps between collection and the
first upload (create, or join/clone and apply the case delta; assign), resumable after a
service failure so that a retry skips what is done."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_bstm.api import errors
from pytest_bstm.config.settings import Settings
from pytest_bstm.delivery.journal import Journal
from pytest_bstm.results.tracker import Key
from pytest_bstm.run.lifecycle import Lifecycle, Plan, RunInfo
from pytest_bstm.session.summary import Summary

if TYPE_CHECKING:
    from pytest_bstm.delivery.uploader import Target
    from pytest_bstm.emulator import Emulator


class RunPreparer:
    """Owns the plan and the run while they are brought in line; ``step()`` may be retried."""

    def __init__(
        self,
        settings: Settings,
        *,
        lifecycle: Lifecycle,
        summary: Summary,
        journal: Journal,
        plan: Plan,
        existing: tuple[RunInfo, set[Key]] | None,
        token: str,
        emulator: Emulator | None,
        xdist_dir: str | None,
    ) -> None:
        self.settings = settings
        self.lifecycle = lifecycle
        self.summary = summary
        self.journal = journal
        self.plan = plan
        self.existing = existing
        self.token = token
        self.emulator = emulator
        self.xdist_dir = xdist_dir
        self.known: set[str] | None = None
        self.seeded = False
        self.run_info: RunInfo | None = None
        self.pairs: set[Key] = set()
        self.ready: RunInfo | None = None

    def step(self) -> Target | None:
        """Bring the run in line with the plan; resumable: a retry skips the steps done."""
        lc = self.lifecycle
        if self.emulator is not None and not self.seeded:
            self._seed_emulator()
            self.seeded = True
        if self.run_info is None:
            if self.existing is None and self.settings.mode != "create":
                self.existing = lc.existing()
            try:
                run = self._bring_in_line()
            except errors.BadRequestError as exc:
                if exc.error != "invalid_test_case_id" or self.known is not None:
                    raise
                # the service validates every case ID it is given: find the unknown ones,
                # then try again without them
                self._look_up_cases()
                run = self._bring_in_line()
            if run is None:
                self.summary.notes.append("every mapped case is unknown: no run was created")
                return None
            if (
                self.existing is None
                and self.known is None
                and lc.created_count != len(self.plan.case_configs)
            ):
                self._look_up_cases()  # the service took fewer cases than sent: say which
            self.run_info = run
        run = self.run_info
        plan = self.plan
        lc.assign(run, plan, self.pairs, created=self.settings.mode == "create")
        self.summary.run = run
        self.summary.added, self.summary.removed = lc.added, lc.removed
        self.summary.assigned = lc.assigned
        self.journal.session(
            project=self.settings.project, run=run.run_id, url=self.settings.url, token=self.token
        )
        if self.xdist_dir is not None:
            run_file = Path(self.xdist_dir) / "run.json"
            run_file.write_text(json.dumps({"run": run.run_id}), encoding="utf-8")
        self.ready = run
        return run.run_id, self.pairs, self.known

    def _bring_in_line(self) -> RunInfo | None:
        lc = self.lifecycle
        if self.existing is not None:
            run, current = self.existing
            self.pairs = lc.apply_delta(run, current, self.plan)
            return run
        if not self.plan.pairs:
            return None
        self.pairs = set(self.plan.pairs)
        return lc.create(self.plan)

    def _look_up_cases(self) -> None:
        """List the project's cases; drop (and report) mapped IDs it does not have."""
        known = self.lifecycle.project_cases()
        unknown = set(self.plan.case_configs) - known
        self.summary.unknown = {c: self.plan.nodeids[c] for c in unknown}
        self.plan = self.plan.without(unknown)
        self.pairs -= {k for k in self.pairs if k[0] in unknown}
        self.known = known

    def _seed_emulator(self) -> None:
        emulator = self.emulator
        assert emulator is not None
        plan = self.plan
        emulator.add_test_cases(self.settings.project, sorted(plan.case_configs))
        configs = {c for k in plan.pairs if (c := k[1]) is not None}
        emulator.add_configurations([{"id": c, "name": f"Config {c}"} for c in configs])

"""Bringing the run in line with the plan: create (or clone, or join and apply the case delta),
then assign. Resumable: after a service failure, ``step()`` again skips what is done. Used by
the session's upload thread and by ``bstm journal upload`` alike."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from pytest_bstm.api import Client, errors
from pytest_bstm.results.model import Key
from pytest_bstm.run.info import RunInfo
from pytest_bstm.run.lifecycle import Lifecycle
from pytest_bstm.run.plan import RunPlan, created_pairs


@dataclass(frozen=True)
class Prepared:
    """The run, ready for results: its pairs, the project's cases when they were listed
    (None: not needed), the pairs added, removed and assigned (for the summary), and the
    planned cases the project lacks."""

    run: RunInfo
    pairs: AbstractSet[Key]
    project_cases: set[str] | None
    added: frozenset[Key] = frozenset()
    removed: frozenset[Key] = frozenset()
    assigned: frozenset[Key] = frozenset()
    unknown: frozenset[str] = field(default_factory=frozenset)
    note: str | None = None


class NothingToReport(Exception):
    """Every planned case is unknown to the project: no run is made."""


class RunPreparer:
    """Owns the plan and the run while they are brought in line."""

    def __init__(self, client: Client, plan: RunPlan, *, look_first: bool = False) -> None:
        self.plan = plan
        self.lifecycle = Lifecycle(client, plan)
        self.lifecycle.maybe_created = look_first  # a replay: the session may have created it
        self.known: set[str] | None = None
        self.unknown: set[str] = set()
        self._run: tuple[RunInfo, AbstractSet[Key], frozenset[Key], frozenset[Key]] | None = None
        self._existing: tuple[RunInfo, set[Key]] | None = None
        self._created: RunInfo | None = None  # created once, even if a later step fails

    def step(self) -> Prepared:
        """Raise a transient error (retry later), a permanent one, or NothingToReport."""
        if self._run is None:
            try:
                self._run = self._bring_in_line()
            except errors.BadRequestError as exc:
                if exc.error != "invalid_test_case_id" or self.known is not None:
                    raise
                # the service validates every case ID it is given: find the unknown ones,
                # then try again without them
                self._look_up_cases()
                self._run = self._bring_in_line()
            lc = self.lifecycle
            took = lc.created_count
            create = self.plan.mode == "create" and self.known is None
            if create and took is not None and took != len(self.plan.cases):
                self._look_up_cases()  # the service took fewer cases than sent: say which
        run, pairs, added, removed = self._run
        assigned: frozenset[Key] = frozenset()
        note = None
        try:
            assigned = frozenset(self.lifecycle.assign(run, self.plan, pairs))
        except errors.BadRequestError as exc:  # the run is fine; only the assignees are not
            note = f"could not assign the cases of {run.run_id}: {exc}"
        return Prepared(
            run, pairs, self.known, added, removed, assigned, frozenset(self.unknown), note
        )

    def _bring_in_line(self) -> tuple[RunInfo, AbstractSet[Key], frozenset[Key], frozenset[Key]]:
        lc, plan = self.lifecycle, self.plan
        if plan.mode == "create":
            if not plan.pairs:
                raise NothingToReport("every mapped case is unknown: no run was created")
            run = self._created = self._created or lc.create(plan)
            planned = frozenset(plan.pairs)
            made = created_pairs(plan)
            if made == planned:  # the run's pairs and the pairs added: one set, never changed
                return run, planned, planned, frozenset()
            pairs, added, _ = lc.apply_delta(run, made, plan)  # what the create could not say
            return run, pairs, frozenset(made | added), frozenset()
        if self._existing is None:
            self._existing = lc.join() if plan.mode == "join" else lc.clone()
        run, current = self._existing
        pairs, added, removed = lc.apply_delta(run, current, plan)
        return run, pairs, frozenset(added), frozenset(removed)

    def _look_up_cases(self) -> None:
        """List the project's cases; drop (and report) planned IDs it does not have."""
        known = self.lifecycle.project_cases()
        self.unknown |= self.plan.cases - known
        self.plan = self.plan.without(self.unknown)
        self.lifecycle.plan = self.plan
        if self._run is not None:
            run, pairs, added, removed = self._run
            kept = {k for k in pairs if k[0] not in self.unknown}
            added = frozenset(k for k in added if k[0] not in self.unknown)
            self._run = (run, kept, added, removed)
        self.known = known

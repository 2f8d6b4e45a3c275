"""The in-process emulator a session reports to: the bundled one (``--bstm-emulator``), or the
dry run's private one (``--bstm-dry-run``), seeded with the account as the session finds it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from pytest_bstm.api import Client
from pytest_bstm.config.settings import Settings
from pytest_bstm.delivery import dryrun
from pytest_bstm.run.plan import RunPlan

if TYPE_CHECKING:
    from pytest_bstm.emulator import Emulator


class StandIn:
    """The emulator, started once; ``seeds_cases``: it stands in for an account that has every
    case a test names (not a dry run that read the real account)."""

    def __init__(self, emulator: Emulator, seeds_cases: bool, note: str | None) -> None:
        self.emulator = emulator
        self.seeds_cases = seeds_cases
        self.note = note  # why a dry run could not read the real account

    @classmethod
    def start(cls, settings: Settings, real: Callable[[], Client]) -> StandIn:
        """``real()``: a client of the real service, for a dry run's reads (it gives up on a
        service that does not answer after a bounded wait: the dry run then assumes every
        case)."""
        s = settings
        from pytest_bstm.emulator import Emulator, default_seed  # noqa: PLC0415 - when asked for

        seed, note, seeds_cases = None, None, True
        if s.dry_run:  # the service as the session finds it, read (never written) if it can be
            read = real() if s.username and s.access_key else None
            try:
                seed, note = dryrun.account(s, read)
            finally:
                if read is not None:
                    read.close()
            seeds_cases = read is None or note is not None
        if seeds_cases:  # an account that has every case a test names, whenever it runs
            seed = {**(seed or default_seed()), "any_case": True}
        emulator = Emulator(seed=seed, apply_delay=0.0, clone_delay=0.0).start()
        emulator.add_project(s.project)
        return cls(emulator, seeds_cases, note)

    def seed(self, plan: RunPlan | None) -> None:
        """Standing in for the account: its project gets the plan's cases and configurations."""
        emu = self.emulator
        if plan is not None and self.seeds_cases:
            emu.add_test_cases(plan.project, sorted(plan.cases))
            configs = {c for _, c in plan.pairs if c is not None}
            emu.add_configurations([{"id": c, "name": f"Config {c}"} for c in sorted(configs)])

    def view(self, run_id: str | None) -> list[str]:
        """The emulator's view of the run, for the summary."""
        emu = self.emulator
        if run_id is None:
            return []
        state = emu.run(run_id)
        cases = emu.run_cases(run_id)
        results = emu.results(run_id)
        counts: dict[str, int] = {}
        for case in cases:
            status = str(case.get("latest_status") or "untested").lower()
            counts[status] = counts.get(status, 0) + 1
        detail = ", ".join(f"{n} {st}" for st, n in sorted(counts.items()))
        return [
            f"{run_id} is {state.get('run_state')}: {len(cases)} case{'s' * (len(cases) != 1)} "
            f"({detail}), {len(results)} result{'s' * (len(results) != 1)} stored"
        ]

    def stop(self) -> None:
        self.emulator.stop()

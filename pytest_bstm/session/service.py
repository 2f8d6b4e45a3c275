"""Which service the sender process talks to, and how: the real one, the bundled emulator
(``--bstm-emulator``), or a private emulator behind a recording transport (``--bstm-dry-run``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from pytest_bstm.api import Client, RetryPolicy, errors
from pytest_bstm.config.settings import Settings
from pytest_bstm.run.plan import RunPlan
from pytest_bstm.session import dryrun
from pytest_bstm.session.dryrun import Recorder, render

if TYPE_CHECKING:
    from pytest_bstm.emulator import Emulator

# Transient failures are retried until the session's end (then until its drain deadline):
# never given up early (issue: many shards under the account's rate limit).
DRY_RUN_READ_WAIT = 10.0  # seconds the reads before the tests (dry run, configurations) wait
RETRY = RetryPolicy(backoff=0.5, backoff_max=10.0).retrying_until(math.inf)
TIMEOUT = 30.0


class Service:
    """Builds the clients of the session; owns the in-process emulator when there is one."""

    def __init__(
        self,
        settings: Settings,
        wait: Callable[[float], None],
        tell: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.settings = settings
        self.wait = wait
        self.tell = tell  # one line on the terminal now (Notices.tell)
        self.emulator: Emulator | None = None
        self.recorder = Recorder() if settings.dry_run else None
        self.url = settings.url
        self.select_error: str | None = None
        self.dry_run_note: str | None = None
        self.seeds_cases = True  # an emulator stands in for an account that has every case
        self.retry = replace(RETRY, rate_limit_window=settings.rate_limit_window)

    def start(self) -> None:
        """Start the emulator when the session reports to one (no I/O otherwise)."""
        s = self.settings
        if s.emulator or s.dry_run:
            self._start_emulator()

    def _start_emulator(self) -> None:
        s = self.settings
        from pytest_bstm.emulator import Emulator, default_seed  # noqa: PLC0415 - when asked for

        seed = None
        if s.dry_run:  # the service as the session finds it, read (never written) if it can be
            # reads only, before the tests run: a service that does not answer is given up
            # after a bounded wait (the dry run then assumes every case), never waited out
            until = time.monotonic() + min(s.drain_timeout, DRY_RUN_READ_WAIT)
            read = self._real_client(until) if s.username and s.access_key else None
            try:
                seed, self.dry_run_note = dryrun.account(s, read)
            finally:
                if read is not None:
                    read.close()
            self.seeds_cases = read is None or self.dry_run_note is not None
        if self.seeds_cases:  # an account that has every case a test names, whenever it runs
            seed = {**(seed or default_seed()), "any_case": True}
        self.emulator = Emulator(seed=seed, apply_delay=0.0, clone_delay=0.0).start()
        self.emulator.add_project(s.project)
        self.url = self.emulator.url

    def _real_client(self, until: float | None = None) -> Client:
        return Client(
            base_url=self.settings.url,
            username=self.settings.username,
            access_key=self.settings.access_key,
            retry=self.retry if until is None else self.retry.retrying_until(until),
            timeout=TIMEOUT,
            sleep=self.wait,
        )

    def client(self, plan: RunPlan | None = None, until: float | None = None) -> Client:
        """A client of the service; against an emulator that stands in for the account (not
        a dry run that read the real one), its project gets the plan's cases. ``until``: a
        monotonic instant after which a transient failure is no longer retried."""
        emu = self.emulator
        if emu is None:
            return self._real_client(until)
        if plan is not None and self.seeds_cases:
            emu.add_test_cases(plan.project, sorted(plan.cases))
            configs = {c for _, c in plan.pairs if c is not None}
            emu.add_configurations([{"id": c, "name": f"Config {c}"} for c in sorted(configs)])
        return Client(
            base_url=emu.url,
            username=emu.username,
            access_key=emu.access_key,
            retry=self.retry if until is None else self.retry.retrying_until(until),
            timeout=TIMEOUT,
            sleep=self.wait,
            transport=self.recorder,
        )

    def cases_to_select(self) -> set[str] | None:
        """``--bstm-select``: the cases of the joined run, or of the run a clone would copy
        (those whose latest status is one of ``--bstm-clone-statuses``). Reads only; None
        (and a summary error later) when the service cannot say."""
        s = self.settings
        run_id = s.run_id or s.clone_id
        assert run_id is not None
        if s.dry_run and self.dry_run_note is not None:
            self.select_error = f"--bstm-select not applied: {self.dry_run_note}"
            return None
        wanted = {status.lower() for status in s.clone_statuses}
        try:
            with self.client() as client:
                cases = client.iter_run_test_cases(s.project, run_id, page_size=300, minify=False)
                return {
                    c.identifier
                    for c in cases
                    if not wanted or (c.latest_status or "").lower() in wanted
                }
        except errors.BstmError as exc:  # no warning (-W error): the summary says it
            why = f"HTTP {exc.status}" if isinstance(exc, errors.ApiError) else str(exc)
            self.select_error = (
                f"--bstm-select: could not read the cases of {run_id} ({why}): "
                "no test was deselected"
            )
            self.tell(self.select_error)
            return None

    def configurations_listing(self) -> tuple[dict[int, str] | None, str | None]:
        """``bstm_configuration_param``: the account's configurations (ID -> name), read once
        before any write (reads only), and why not when the service cannot say (or a dry run
        has no credentials): then only ``bstm_configuration_map`` applies."""
        s = self.settings
        if s.dry_run and self.dry_run_note is not None:
            return None, "the dry run could not read the account's configurations"
        # before the tests run: a service that does not answer is given up after a bounded
        # wait (then only the map applies), never waited out
        until = time.monotonic() + min(s.drain_timeout, DRY_RUN_READ_WAIT)
        try:
            read = self._real_client(until) if s.dry_run else self.client(until=until)
            with read as client:
                return {c.id: c.name for c in client.iter_configurations() if c.name}, None
        except errors.BstmError as exc:  # no warning (-W error): a line says it
            why = f"HTTP {exc.status}" if isinstance(exc, errors.ApiError) else str(exc)
            return None, f"could not read the account's configurations ({why})"

    def dry_run_calls(self, verbose: int) -> list[str]:
        """The dry run's calls, for the summary (none for a real service)."""
        if self.recorder is None:
            return []
        return render(self.recorder.calls, full=verbose > 0)

    def emulator_view(self, run_id: str | None) -> list[str]:
        """The emulator's view of the run, for the summary (none for a real service)."""
        emu = self.emulator
        if emu is None or run_id is None or self.recorder is not None:
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
        if self.emulator is not None:
            self.emulator.stop()

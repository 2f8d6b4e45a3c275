"""Which service the sender process talks to, and its clients: the real one, the bundled
emulator (``--bstm-emulator``), or a private emulator behind a recording transport
(``--bstm-dry-run``). The emulator is :mod:`~pytest_bstm.delivery.stand_in`'s, the reads
before the tests are :mod:`~pytest_bstm.delivery.reads`', the recording transport is
:mod:`~pytest_bstm.delivery.dryrun`'s; those two are imported only by a session that asks for
them (the sender process of a session reporting to the service never holds them)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from pytest_bstm.api import Client, RetryPolicy
from pytest_bstm.config.settings import Settings
from pytest_bstm.delivery import reads
from pytest_bstm.run.plan import RunPlan

if TYPE_CHECKING:
    from pytest_bstm.delivery.dryrun import Recorder
    from pytest_bstm.delivery.stand_in import StandIn

# Transient failures are retried until the session's end (then until its drain deadline):
# never given up early (issue: many shards under the account's rate limit).
RETRY = RetryPolicy(backoff=0.5, backoff_max=10.0).retrying_until(math.inf)
TIMEOUT = 30.0
READ_WAIT = 10.0  # seconds the reads before the tests (dry run, configurations) wait


class Service:
    """Builds the clients of the session; holds the in-process emulator when there is one."""

    def __init__(self, settings: Settings, wait: Callable[[float], None]) -> None:
        self.settings = settings
        self.wait = wait
        self.stand_in: StandIn | None = None
        self.recorder: Recorder | None = None
        if settings.dry_run:
            from pytest_bstm.delivery.dryrun import Recorder  # noqa: PLC0415 - when asked for

            self.recorder = Recorder()
        self.url = settings.url
        self.select_error: str | None = None
        self.dry_run_note: str | None = None
        self.retry = replace(RETRY, rate_limit_window=settings.rate_limit_window)

    def start(self) -> None:
        """Start the emulator when the session reports to one (no I/O otherwise)."""
        if self.settings.emulator or self.settings.dry_run:
            from pytest_bstm.delivery.stand_in import StandIn  # noqa: PLC0415 - when asked for

            self.stand_in = StandIn.start(self.settings, self._reader)
            self.dry_run_note = self.stand_in.note
            self.url = self.stand_in.emulator.url

    def _reader(self) -> Client:
        """A client of the real service for the reads before the tests: a service that does
        not answer is given up after a bounded wait, never waited out."""
        return self._real_client(time.monotonic() + min(self.settings.drain_timeout, READ_WAIT))

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
        if self.stand_in is None:
            return self._real_client(until)
        self.stand_in.seed(plan)
        emu = self.stand_in.emulator
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
        """``--bstm-select``: the run's cases; None (and ``select_error``) when unknown."""
        cases, self.select_error = reads.cases_to_select(
            self.settings, self.client, self.dry_run_note
        )
        return cases

    def configurations_listing(self) -> tuple[dict[int, str] | None, str | None]:
        """``bstm_configuration_param``: the account's configurations, and why not."""
        s = self.settings
        # before the tests run: a service that does not answer is given up after a bounded
        # wait (then only the map applies), never waited out
        until = time.monotonic() + min(s.drain_timeout, READ_WAIT)
        read = self._real_client if s.dry_run else self.client
        return reads.configurations(s, lambda: read(until=until), self.dry_run_note)

    def dry_run_calls(self, verbose: int) -> list[str]:
        """The dry run's calls, for the summary (none for a real service)."""
        if self.recorder is None:
            return []
        from pytest_bstm.delivery.dryrun import render  # noqa: PLC0415 - a dry run's

        return render(self.recorder.calls, full=verbose > 0)

    def emulator_view(self, run_id: str | None) -> list[str]:
        """The emulator's view of the run, for the summary (none for a real service)."""
        if self.stand_in is None or self.recorder is not None:
            return []
        return self.stand_in.view(run_id)

    def stop(self) -> None:
        if self.stand_in is not None:
            self.stand_in.stop()

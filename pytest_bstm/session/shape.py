"""What this reporting session is, decided once at configure time, and the objects it
registers: the reporter always; on the xdist controller, the controller's half of the xdist
channel (:mod:`pytest_bstm.collect.xdist_controller`); in a serial session that executes
and writes, the journaling of each test's start
(:class:`~pytest_bstm.session.run_start.StartMarks`). xdist workers have their own object
(:class:`pytest_bstm.collect.xdist.Worker`, registered by the plugin)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pytest_bstm.collect import xdist_controller
from pytest_bstm.collect.refs import CaseRef
from pytest_bstm.config.settings import Settings
from pytest_bstm.session.reporter import Reporter
from pytest_bstm.session.run_start import StartMarks

SKIPS_THE_CALL = ("collectonly", "setuponly", "setupplan")  # pytest's runner executes nothing


@dataclass(frozen=True)
class Shape:
    """What this session is: decided once, never checked against pytest's state again."""

    executes: bool  # tests execute (not --collect-only, --setup-only, --setup-plan)
    controller: bool  # the xdist controller: workers run the tests

    @classmethod
    def of(cls, config: pytest.Config) -> Shape:
        executes = not any(getattr(config.option, n, False) for n in SKIPS_THE_CALL)
        return cls(executes, xdist_controller.controls(config))


def register(config: pytest.Config, settings: Settings) -> Reporter:
    """The reporter and, for this session's shape, the objects beside it."""
    shape = Shape.of(config)
    reporter = Reporter(config, settings, shape)
    if shape.executes:  # two sessions writing one journal: the later one stops here
        reporter.run.claim()
    config.pluginmanager.register(reporter, "bstm-reporter")
    if shape.controller:
        controller = xdist_controller.Controller(
            config,
            reporter.copies.inbox,
            reporter.inputs.handed,
            reporter.collected,
            reporter.abort,
        )
        reporter.run.workers = controller.write_run
        config.pluginmanager.register(controller, "bstm-xdist-controller")
    elif shape.executes and not settings.dry_run:  # a crashed test gets the "failed" status
        status = reporter.agg.status_map.get("failed", "failed")
        agg = reporter.agg

        def refs(nodeid: str) -> list[CaseRef]:  # the mapping as it is when the test starts
            return reporter.mapping.get(nodeid, [])

        marks = StartMarks(
            reporter.run,
            covers=agg.covers,
            refs=refs,
            keys=agg.keys,
            copies=reporter.copies,
            status=status,
        )
        config.pluginmanager.register(marks, "bstm-start-marks")
    return reporter

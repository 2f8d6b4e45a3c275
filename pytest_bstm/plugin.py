"""pytest entry point (``pytest11`` name ``bstm``): options, marker, hooks, and the reporter.

Inert unless enabled: without ``--bstm-project`` (or ``bstm_project``, ``BSTM_PROJECT``,
``--bstm-emulator``) it only registers its options, the ``tc`` marker and its hooks.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_bstm import hookspecs
from pytest_bstm.collect import bdd, mapping
from pytest_bstm.config.options import add_options
from pytest_bstm.config.settings import Settings, activation, is_enabled, resolve
from pytest_bstm.results.evidence import EVIDENCE_KEY, EvidenceRecorder, recorder_of
from pytest_bstm.results.fixture import Evidence
from pytest_bstm.session.notices import NOTICES_KEY, Notices

if TYPE_CHECKING:
    from pytest_bstm.session.reporter import Reporter

REPORTER_KEY: pytest.StashKey[Reporter] = pytest.StashKey()


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_bdd_apply_tag(tag: str, function: object) -> bool | None:
    """pytest-bdd: a case tag (``@TC-12``, or a malformed one, an error at mapping) maps the
    scenario (:mod:`pytest_bstm.collect.bdd`) and is not made a marker, so
    ``--strict-markers`` and ``-W error`` need no registration."""
    return True if bdd.is_case_tag(tag) else None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", mapping.MARKER_HELP)
    worker = hasattr(config, "workerinput")
    notices = None
    if not worker:  # early lines and, with reporting off, the summary line saying why
        notices = config.stash[NOTICES_KEY] = Notices(config)
        config.pluginmanager.register(notices, "bstm-notices")
    active = activation(config)
    if not active.enabled:
        if notices is not None and active.why_off:
            notices.summary(active.why_off, label="reporting")
        return
    settings = resolve(config)
    config.pluginmanager.register(mapping, mapping.PLUGIN_NAME)
    config.pluginmanager.register(bdd, "bstm-bdd")  # an undefined step's place in the report
    _record_evidence(config, settings)
    if worker:
        from pytest_bstm.collect.xdist import Worker  # noqa: PLC0415

        config.pluginmanager.register(Worker(config, settings.select), "bstm-worker")
        return
    # imported only when enabled: the client stack (requests, pydantic) costs a plain run nothing
    from pytest_bstm.session.shape import register  # noqa: PLC0415

    config.stash[REPORTER_KEY] = register(config, settings)


def _record_evidence(config: pytest.Config, settings: Settings) -> None:
    """Where tests run: the recorder of ``bstm.attach``/``bstm.link`` and the marking of
    BrowserStack sessions; copies go to the journal's folder, an xdist worker's records to
    its file of the xdist channel (collect/xdist.py)."""
    from pytest_bstm.collect.xdist import evidence_file  # noqa: PLC0415
    from pytest_bstm.masking import Redactor  # noqa: PLC0415
    from pytest_bstm.results.marking import RunningTest  # noqa: PLC0415

    sink = evidence_file(getattr(config, "workerinput", None))
    store: Path | None = settings.journal.parent / "attachments"
    if settings.dry_run:  # nothing in the journal's folder: the xdist channel's, or private
        store = sink.parent / "attachments" if sink is not None else None
    mask = Redactor(settings.access_key or "")
    recorder = EvidenceRecorder(store, sink, mask.snippet)
    config.stash[EVIDENCE_KEY] = recorder
    config.pluginmanager.register(RunningTest(recorder, config), "bstm-evidence")
    if settings.attach_output:
        from pytest_bstm.results.captured import CapturedOutput  # noqa: PLC0415

        config.pluginmanager.register(CapturedOutput(recorder, mask), "bstm-captured-output")


@pytest.fixture
def bstm(request: pytest.FixtureRequest) -> Evidence:
    """Evidence for each TM result of this test: ``bstm.attach(path_or_bytes, name=None,
    content_type=None)``, ``bstm.link(url, label=None)``,
    ``bstm.browserstack_session(driver_or_page)``; does nothing when reporting is off."""
    return Evidence(*recorder_of(request))


def pytest_unconfigure(config: pytest.Config) -> None:
    recorder = config.stash.get(EVIDENCE_KEY, None)
    if recorder is not None:
        recorder.close()
        del config.stash[EVIDENCE_KEY]
    reporter = config.stash.get(REPORTER_KEY, None)
    if reporter is not None:
        reporter.shutdown()
        del config.stash[REPORTER_KEY]
        config.pluginmanager.unregister(reporter)
    notices = config.stash.get(NOTICES_KEY, None)
    if notices is not None:
        del config.stash[NOTICES_KEY]
        config.pluginmanager.unregister(notices)


def current_run(config: pytest.Config) -> str | None:
    """The ID of the run this session reports into (``"TR-41"``), in pytest's main process
    and on xdist workers; None when reporting is off or the run could not be prepared.

    Called from a test, it waits (at most about 10 s) for the run to be ready.
    """
    reporter = config.stash.get(REPORTER_KEY, None)
    if reporter is not None:
        return reporter.current_run()
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if workerinput is None or not is_enabled(config):
        return None
    from pytest_bstm.collect.xdist import worker_run  # noqa: PLC0415

    return worker_run(workerinput)

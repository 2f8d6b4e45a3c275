"""Fixtures shared by the xdist example: the run ID on every worker, a session-wide scratch dir."""

from pathlib import Path

import pytest

from pytest_bstm.plugin import current_run


@pytest.fixture
def bstm_run_id(request: pytest.FixtureRequest) -> str | None:
    """The TM run this session reports into (``TR-n``), in the main process and on workers.

    Useful to tag test data or artifacts with the run they belong to. None when reporting is
    not enabled (no ``--bstm-project`` / ``bstm_project`` / ``--bstm-emulator``).
    """
    return current_run(request.config)


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """A directory shared by all xdist workers of this session (and by reruns of a test).

    Each xdist worker gets its own basetemp (``.../pytest-N/popen-gw0``) whose parent is the
    session's basetemp; without xdist the basetemp itself is per session.
    """
    base = tmp_path_factory.getbasetemp()
    return base.parent if hasattr(request.config, "workerinput") else base

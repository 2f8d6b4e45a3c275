"""Shared fixtures: one emulator per session, reset before each test that uses it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from bstm_helpers import Bstm, Inner

from pytest_bstm.cli import main
from pytest_bstm.emulator import Emulator


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[Emulator]:
    """The emulator, started once for the session on a free loopback port."""
    with Emulator() as emu:
        yield emu


@pytest.fixture
def emulator(emulator_server: Emulator) -> Emulator:
    """The session emulator, reset to its seed (no runs, no faults, empty request log)."""
    emulator_server.reset()
    return emulator_server


@pytest.fixture
def emulator_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The reset emulator, with BROWSERSTACK_USERNAME / _ACCESS_KEY set to its credentials."""
    monkeypatch.setenv("BROWSERSTACK_USERNAME", emulator.username)
    monkeypatch.setenv("BROWSERSTACK_ACCESS_KEY", emulator.access_key)
    return emulator


class _ApiSession(requests.Session):
    """A session with the emulator's credentials; paths starting with "/" go under /api/v2."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if isinstance(url, str) and url.startswith("/"):
            url = self.base + url
        kwargs.setdefault("timeout", 10)
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def emulator_api(emulator: Emulator) -> Iterator[requests.Session]:
    """Raw HTTP to the reset emulator: ``emulator_api.get("/projects")``."""
    with _ApiSession(emulator.url + "/api/v2") as session:
        session.auth = (emulator.username, emulator.access_key)
        yield session


@pytest.fixture
def inner(pytester: pytest.Pytester, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Inner:
    """Hermetic inner pytest sessions reporting to the reset emulator (see bstm_helpers)."""
    return Inner(pytester, emulator, monkeypatch)


@pytest.fixture
def bstm(capsys: pytest.CaptureFixture[str]) -> Bstm:
    """Run the ``bstm`` command in-process: ``bstm("runs", "list")`` -> (status, out, err)."""

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run

"""Fixtures of the ``bstm cases sync`` tests: a suite to onboard, the command, file snapshots."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from bstm_helpers import Bstm, Inner
from sync_suite import SUITE, Files, write_files

from pytest_bstm.emulator import Emulator


@pytest.fixture
def suite(inner: Inner) -> Path:
    """The suite, written into the inner sessions' directory (the current directory)."""
    write_files(inner.pytester.path, SUITE)
    return inner.pytester.path


@pytest.fixture
def sync(bstm: Bstm, emulator: Emulator) -> Bstm:
    """``sync(*args)``: ``bstm cases sync --project PR-1 *args``, in-process, to the emulator."""

    def run(*extra: str) -> tuple[int, str, str]:
        return bstm("cases", "sync", "--url", emulator.url, "--project", "PR-1", *extra)

    return run


@pytest.fixture
def files() -> Callable[[Path], Files]:
    """``files(root)``: every file under ``root`` (bytecode excluded) and its bytes."""

    def read(root: Path) -> Files:
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts
        }

    return read


@pytest.fixture
def credentials_only(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Emulator:
    """Credentials only: no BSTM_URL or BSTM_PROJECT, in a directory without an ini file."""
    monkeypatch.setenv("BROWSERSTACK_USERNAME", emulator.username)
    monkeypatch.setenv("BROWSERSTACK_ACCESS_KEY", emulator.access_key)
    monkeypatch.delenv("BSTM_URL", raising=False)
    monkeypatch.delenv("BSTM_PROJECT", raising=False)
    monkeypatch.chdir(tmp_path)
    return emulator

"""One row of the session-shapes table: a small suite, how pytest is run, what TM must hold."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Row:
    """A suite, the arguments of one pytest session, and the exact expected emulator state.

    ``results`` is every result the run must hold afterwards, case -> status, and nothing
    else. With ``expect_run=False`` the session must not have made a single request.
    """

    id: str
    files: Mapping[str, str]  # file name -> source, written into a fresh directory
    args: tuple[str, ...] = ()  # pytest's own arguments: the plain session gets them too
    bstm: tuple[str, ...] = ()  # the plugin's arguments; "{run}" stands for the joined run
    plugins: tuple[str, ...] = ()  # modules loaded with -p in both sessions
    expect_run: bool = True
    results: Mapping[str, str] = field(default_factory=dict)
    descriptions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    run_cases: tuple[str, ...] | None = None  # the cases the run holds, where that matters
    not_run: int = 0  # the summary's "not run: N cases" (no such line when 0)
    summary: tuple[str, ...] = ()  # more summary lines (fnmatch patterns, in order)
    closed: bool | None = True  # the run's state at the end (None: either); joined runs: open
    subprocess: bool = False  # xdist, or a plugin that must not touch the outer process
    cache: bool = False  # keep the cacheprovider (--lf, --sw)
    before: tuple[str, ...] | None = None  # a first plain session with a file "broken" present
    join: tuple[str, ...] | None = None  # a run holding these cases exists before the session
    project: str | None = "PR-1"  # None: the project comes from the suite's ini file
    check: Callable[[Path, str | None], None] | None = None  # (suite dir, run ID) -> asserts

    def __str__(self) -> str:
        return self.id


def one(source: str, **more: str) -> dict[str, str]:
    """A suite of one test module ``test_shape.py``, plus files given as ``conftest="..."``."""
    return {"test_shape.py": source, **{f"{name}.py": text for name, text in more.items()}}

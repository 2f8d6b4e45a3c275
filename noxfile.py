"""The compatibility matrix: the plugin's end-to-end tests on every supported Python and pytest.

Each cell is one fresh virtual environment with one Python (from the classifiers in
``pyproject.toml``) and one pytest line with its matching pytest-xdist and pytest-rerunfailures:

- ``floor``: exactly the oldest versions ``pyproject.toml`` declares (``pytest>=X`` installs
  ``pytest==X``, and so on), so the declared range and the tested range cannot drift apart;
- ``8.x`` and ``9.x``: the latest release of that pytest line with the latest plugins.

``make compat`` (``nox``) runs every cell; ``nox -l`` lists them, ``nox -s "e2e-3.13(9.x)"``
runs one. The full suite, lint, types and coverage run once, in the default environment
(``make test``); a cell runs the tests that exercise pytest itself: inner pytest sessions
against the emulator (``tests/plugin``), the example suites (``tests/test_examples.py``), and
the emulator's own tests, which are cheap.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nox

nox.needs_version = ">=2025.11.12"  # download_python
nox.options.default_venv_backend = "virtualenv"
nox.options.error_on_missing_interpreters = True  # a missing Python fails, never skips a cell
nox.options.download_python = "never"  # the interpreters are the machine's own (pyenv)
nox.options.reuse_venv = "no"

PYPROJECT = nox.project.load_toml("pyproject.toml")
PYTHONS: list[str] = nox.project.python_versions(PYPROJECT)
E2E_TESTS = ("tests/plugin", "tests/emulator", "tests/test_examples.py")
PINNED = ("pytest", "pluggy", "pytest-xdist", "pytest-rerunfailures")


def _floors() -> list[str]:
    """``name==X`` for every ``name>=X`` of PINNED among the runtime and test requirements."""
    project = PYPROJECT["project"]
    found: dict[str, str] = {}
    for requirement in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*>=\s*([0-9.]+)\s*(,.*)?", requirement)
        if match and match[1].lower() in PINNED:
            found[match[1].lower()] = f"{match[1]}=={match[2]}"
    missing = set(PINNED) - set(found)
    if missing:
        raise ValueError(f"pyproject.toml declares no >= floor for {sorted(missing)}")
    return [found[name] for name in PINNED]


LINES: dict[str, list[str]] = {
    "floor": _floors(),
    "8.x": ["pytest>=8,<9"],
    "9.x": ["pytest>=9,<10"],
}


def _pyenv_first() -> None:
    """Put the newest pyenv-installed patch release of each Python in PYTHONS first on PATH.

    pyenv's shims answer ``python3.10`` only for the versions pyenv has activated; the
    interpreters themselves live under ``$(pyenv root)/versions/X.Y.Z/bin``.
    """
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = []
    for python in PYTHONS:
        releases = sorted(
            (tuple(int(p) for p in d.name.split(".")), d / "bin")
            for d in root.glob(f"{python}.*")
            if re.fullmatch(r"\d+\.\d+\.\d+", d.name) and (d / "bin" / f"python{python}").exists()
        )
        if releases:
            found.append(str(releases[-1][1]))
    os.environ["PATH"] = os.pathsep.join([*found, os.environ.get("PATH", "")])


_pyenv_first()


# CI's cells: every supported Python and every pytest line at least once, in a fifth of the
# full product's time (CI stays under 30 minutes). ``make compat-full`` runs all 12 cells.
CI_CELLS = [("3.10", "floor"), ("3.11", "8.x"), ("3.12", "9.x"), ("3.13", "9.x"), ("3.13", "floor")]
nox.options.sessions = ["ci"]


def _e2e(session: nox.Session, line: str) -> None:
    """End-to-end tests of the plugin on one Python and one pytest line."""
    # a regular (not editable) install, as users get it; ``pytest`` rather than
    # ``python -m pytest`` so that the tests import that install, not the source tree
    session.install(".[test]", *LINES[line])
    session.run("python", "-m", "pip", "list", "--format=freeze", silent=False)
    # two workers: the tests are inner pytest sessions and subprocesses, each in its own folder
    # (the examples run in copies of their folders), so they run side by side
    args = session.posargs or ["-q", "-n", "2", *E2E_TESTS]
    session.run("pytest", "-p", "no:cacheprovider", *args)


# Cells run one at a time (never with --parallel): each cell already uses both cores.
@nox.session
@nox.parametrize("python,line", [nox.param(py, line, id=f"{py}-{line}") for py, line in CI_CELLS])
def ci(session: nox.Session, line: str) -> None:
    """CI's cells of the matrix."""
    _e2e(session, line)


@nox.session(python=PYTHONS)
@nox.parametrize("line", [nox.param(name, id=name) for name in LINES])
def e2e(session: nox.Session, line: str) -> None:
    """Every cell: each supported Python x each pytest line."""
    _e2e(session, line)

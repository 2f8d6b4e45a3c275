"""The built distributions are complete, pass ``twine check`` and work once installed.

One test, about 30 s: ``python -m build --sdist --wheel`` on the repository, ``twine check
--strict`` on both files, their contents, then ONE fresh virtual environment in ``tmp_path``
where the wheel is installed with pip and used the way a user would: pytest loads the plugin
through its ``pytest11`` entry point, ``bstm --version`` runs, and ``examples/basic`` (copied)
reports to the bundled emulator.

Network: the build runs with build isolation, so ``hatchling`` (the build backend, not in the
dev venv on purpose) comes from PyPI, and pip fetches the wheel's dependencies (pytest,
requests, pydantic, pluggy) from PyPI into the fresh venv; pip's cache makes repeated runs
quick. Offline, point pip at a local index or wheelhouse with ``PIP_INDEX_URL`` /
``PIP_FIND_LINKS`` (both are passed through to build and pip).
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest_bstm

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "basic"
VERSION = pytest_bstm.__version__
TIMEOUT = 300


def clean_env(venv_dir: Path | None = None) -> dict[str, str]:
    """The environment without anything that steers pytest, the plugin or Python's path."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BSTM_", "BROWSERSTACK_", "PYTEST_", "COVERAGE_"))
        and k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    if venv_dir is not None:
        env["VIRTUAL_ENV"] = str(venv_dir)
        env["PATH"] = os.pathsep.join([str(venv_dir / "bin"), env.get("PATH", "")])
    return env


def run(args: list[str | Path], cwd: Path, env: dict[str, str]) -> str:
    """Run a command; fail with its output unless it exits 0; return stdout + stderr."""
    proc = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{' '.join(map(str, args))} exited {proc.returncode}:\n{output}"
    return output


def check_sdist(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for required in (
        "README.md",
        "CHANGELOG.md",
        "LICENSE",
        "pyproject.toml",
        "PKG-INFO",
        "pytest_bstm/py.typed",
        "pytest_bstm/plugin.py",
        "pytest_bstm/cli/main.py",
        "examples/basic/pytest.ini",
        "noxfile.py",
    ):
        assert required in names, f"{required} missing from {sdist.name}"
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def check_wheel(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        dist_info = f"pytest_bstm-{VERSION}.dist-info"
        entry_points = archive.read(f"{dist_info}/entry_points.txt").decode()
        metadata = archive.read(f"{dist_info}/METADATA").decode()
    assert "pytest_bstm/py.typed" in names
    assert "pytest_bstm/emulator/__init__.py" in names
    assert not [n for n in names if n.startswith(("tests/", "examples/"))]
    parser = configparser.ConfigParser()
    parser.read_string(entry_points)
    assert parser["pytest11"]["bstm"] == "pytest_bstm.plugin"
    assert parser["console_scripts"]["bstm"] == "pytest_bstm.cli:main"
    assert "Classifier: Framework :: Pytest" in metadata
    assert "Classifier: Typing :: Typed" in metadata
    assert "Description-Content-Type: text/markdown" in metadata


def test_distributions_build_install_and_report(tmp_path: Path) -> None:
    env = clean_env()
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", dist, ROOT], ROOT, env)
    (sdist,) = dist.glob(f"pytest_bstm-{VERSION}.tar.gz")
    (wheel,) = dist.glob(f"pytest_bstm-{VERSION}-py3-none-any.whl")
    run([sys.executable, "-m", "twine", "check", "--strict", sdist, wheel], tmp_path, env)
    check_sdist(sdist)
    check_wheel(wheel)

    # One fresh venv with the wheel and its dependencies, nothing from the repository.
    venv_dir = tmp_path / "venv"
    venv.create(venv_dir, with_pip=True, clear=True)
    python = venv_dir / "bin" / "python"
    env = clean_env(venv_dir)
    run([python, "-m", "pip", "install", "-q", wheel], tmp_path, env)

    # pytest finds the plugin through its entry point and registers the tc marker.
    suite = tmp_path / "tiny"
    suite.mkdir()
    (suite / "pytest.ini").write_text("[pytest]\naddopts = --strict-markers\n")
    (suite / "test_tiny.py").write_text(
        'import pytest\n\n\n@pytest.mark.tc("TC-1")\ndef test_tiny():\n    pass\n'
    )
    assert f"pytest-bstm-{VERSION}" in run([venv_dir / "bin" / "pytest", "-VV"], suite, env)
    collected = run([python, "-m", "pytest", "-p", "no:cacheprovider", "--co"], suite, env)
    assert re.search(rf"^plugins: .*\bbstm-{re.escape(VERSION)}\b", collected, re.MULTILINE)
    assert "<Function test_tiny>" in collected
    origin = run([python, "-c", "import pytest_bstm; print(pytest_bstm.__file__)"], suite, env)
    assert Path(origin.strip()).is_relative_to(venv_dir), origin

    # The console script.
    assert run([venv_dir / "bin" / "bstm", "--version"], suite, env).strip() == f"bstm {VERSION}"

    # The basic example, end to end against the bundled emulator.
    example = tmp_path / "basic"
    shutil.copytree(EXAMPLE, example, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    output = run(
        [python, "-m", "pytest", "-p", "no:cacheprovider", "--bstm-emulator"], example, env
    )
    assert re.search(r"^run:\s+TR-\d+ .*\(closed\)$", output, re.MULTILINE), output
    assert "results:    6 uploaded (4 passed, 2 skipped)" in output, output
    assert not (example / ".bstm").exists(), "the journal stays although everything was sent"

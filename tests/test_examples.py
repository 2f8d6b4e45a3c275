"""Every directory under ``examples/`` runs end to end and reports a closed run.

Each example runs as a real ``python -m pytest`` subprocess with its own ``pytest.ini``, against
the bundled emulator (``--bstm-emulator``). Runs are hermetic: plugin autoload is off and the
plugins are named with ``-p`` (``-p bstm`` loads pytest-bstm through its ``pytest11`` entry
point). ``examples/sharded-ci/run-local.sh`` runs as a script with the venv's ``bstm`` and
``pytest`` on ``PATH``. Each run works in a copy of its example folder and may leave no file
behind in it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_bstm.emulator import Emulator

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
VENV_BIN = Path(sys.executable).parent
TIMEOUT = 120
RUN_LINE = re.compile(r"^run:\s+(TR-\d+) .*\(closed\)$", re.MULTILINE)


@dataclass(frozen=True)
class Example:
    directory: str
    args: tuple[str, ...]
    results: str
    outcome: str
    extra_lines: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()


EXAMPLE_RUNS = (
    Example(
        "basic",
        (),
        "6 uploaded (4 passed, 2 skipped)",
        "5 passed, 1 skipped, 1 xfailed",
    ),
    Example(
        "parametrized",
        ("-vv",),
        "11 uploaded (10 passed, 1 skipped)",
        "11 passed, 1 skipped",
        extra_lines=(
            "test_pricing.py::test_gross_price_per_country[germany] -> TC-11",
            "test_pricing.py::test_gross_price_per_country[germany-again] -> TC-10",
            "test_pricing.py::TestRounding::test_zero_stays_zero -> TC-14",
            "test_pricing.py::TestRounding::test_method_marker_wins_over_class -> TC-15",
            "test_pricing.py::TestCheckoutPerBrowser::test_totals_render -> TC-16",
            "emulator:   TR-1 is closed: 11 cases (10 passed, 1 skipped), 11 results stored",
        ),
    ),
    Example(
        "xdist",
        ("-p", "xdist", "-n", "2", "-p", "rerunfailures", "--reruns", "1"),
        "5 uploaded (4 passed, 1 skipped)",
        "6 passed, 1 xfailed, 1 rerun",
    ),
    Example(
        "custom-hooks",
        (),
        "5 uploaded (4 passed, 1 skipped)",
        "7 passed, 1 skipped",
        extra_lines=(
            "custom-hooks: reporting into TR-1 (create)",
            "custom-hooks: TR-1 finished with 5 results, 1 dropped",
            "dropped:    1 result by pytest_bstm_result",
            "emulator:   TR-1 is closed: 6 cases (4 passed, 1 skipped, 1 untested), "
            "5 results stored",
        ),
        env=(("RELEASE_CHANNEL", "beta"),),
    ),
    Example(
        "browserstack",
        (),
        "1 uploaded (1 passed)",
        "1 passed",
        extra_lines=("evidence:   2 files attached",),
    ),
    Example(
        "sharded-ci",
        (),
        "9 uploaded (7 passed, 2 skipped)",
        "9 passed, 1 skipped, 1 xfailed",
    ),
)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment minus anything that would steer pytest or the plugin from outside."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BSTM_", "BROWSERSTACK_", "PYTEST_"))
        and k not in ("RELEASE_CHANNEL", "PYTHONPATH")
    }
    env["PATH"] = os.pathsep.join([str(VENV_BIN), env.get("PATH", "")])
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # no __pycache__ next to the examples' conftest.py
    env.update(extra)
    return env


def snapshot(folder: Path) -> set[Path]:
    return {p.relative_to(folder) for p in folder.rglob("*")}


@pytest.fixture
def example_copy(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """A private copy of an example folder (tests that run one example twice may run at the
    same time under xdist); fails when a run added anything to it (caches, journals, logs)."""
    copies: list[tuple[Path, set[Path]]] = []

    def copy(name: str) -> Path:
        folder = tmp_path / name
        shutil.copytree(EXAMPLES / name, folder, ignore=shutil.ignore_patterns("__pycache__"))
        copies.append((folder, snapshot(folder)))
        return folder

    yield copy
    for folder, before in copies:
        left = sorted(str(p) for p in snapshot(folder) - before)
        assert not left, f"files left behind in examples/{folder.name}: {left}"


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def test_every_example_is_covered() -> None:
    directories = {p.name for p in EXAMPLES.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert directories == {e.directory for e in EXAMPLE_RUNS}
    for name in directories:
        ini = (EXAMPLES / name / "pytest.ini").read_text(encoding="utf-8")
        assert "bstm_project = PR-1" in ini, name
        readme = (EXAMPLES / name / "README.md").read_text(encoding="utf-8")
        assert "```sh" in readme, f"{name}/README.md shows no command"


@pytest.mark.parametrize("example", EXAMPLE_RUNS, ids=lambda e: e.directory)
def test_example_runs_against_the_emulator(
    example: Example, example_copy: Callable[[str], Path]
) -> None:
    args = [sys.executable, "-m", "pytest", "-p", "bstm", "-p", "no:cacheprovider"]
    args += ["--bstm-emulator", *example.args]
    proc = run(args, example_copy(example.directory), clean_env(**dict(example.env)))
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert RUN_LINE.search(proc.stdout), output
    assert f"results:    {example.results}\n" in proc.stdout, output
    assert re.search(rf"=+ {re.escape(example.outcome)} in [\d.]+s", proc.stdout), output
    for line in example.extra_lines:
        assert line in proc.stdout, output
    assert "error:" not in proc.stdout, output


def test_sharded_ci_run_local_reports_every_shard_into_one_run(
    example_copy: Callable[[str], Path],
) -> None:
    if importlib.util.find_spec("pytest_bstm.cli") is None:
        pytest.skip("pytest_bstm.cli (the `bstm` command) does not exist yet")
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("run-local.sh needs bash")
    env = clean_env(PYTEST_ADDOPTS="-p bstm -p no:cacheprovider")
    folder = example_copy("sharded-ci")
    proc = run([bash, str(folder / "run-local.sh")], folder, env)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    run_id = re.search(r"^run:\s+(TR-\d+)$", proc.stdout, re.MULTILINE)
    assert run_id, output
    # Three shards joined the same run, each left it open and uploaded its own part.
    shard_runs = re.findall(rf"^run:\s+{run_id[1]} Sharded local .*$", proc.stdout, re.MULTILINE)
    assert len(shard_runs) == 3, output
    assert not any(line.endswith("(closed)") for line in shard_runs), output
    uploaded = [int(n) for n in re.findall(r"^results:\s+(\d+) uploaded", proc.stdout, re.M)]
    assert uploaded == [4, 4, 3], output
    # The run holds the union of the shards' results and was closed by `bstm runs close`.
    assert f"closed {run_id[1]}" in proc.stdout, output
    assert re.search(r"^\s+state:\s+closed\b", proc.stdout, re.MULTILINE), output
    assert re.search(r"^\s+cases:\s+9$", proc.stdout, re.MULTILINE), output
    assert "progress:       9/9 executed (100%): 7 passed, 2 skipped" in proc.stdout, output


def test_custom_hooks_reach_the_service(
    emulator: Emulator, example_copy: Callable[[str], Path]
) -> None:
    """The same example against a separate emulator, to look at what the hooks sent."""
    env = clean_env(
        RELEASE_CHANNEL="nightly",
        BROWSERSTACK_USERNAME=emulator.username,
        BROWSERSTACK_ACCESS_KEY=emulator.access_key,
    )
    args = [sys.executable, "-m", "pytest", "-p", "bstm", "-p", "no:cacheprovider"]
    proc = run([*args, "--bstm-url", emulator.url], example_copy("custom-hooks"), env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (created,) = emulator.runs("PR-1")
    assert "channel-nightly" in created["tags"]
    results = {r["test_case_id"]: r for r in emulator.results(created["identifier"])}
    assert sorted(results) == ["TC-41", "TC-42", "TC-43", "TC-44", "TC-46"]  # TC-45 dropped
    for result in results.values():
        assert result["custom_fields"] == {"component": "payments"}
        assert result["issues"] == ["SHOP-100"]
    assert results["TC-46"]["status"] == "skipped"


def test_xdist_flaky_test_reports_its_final_attempt(
    emulator: Emulator, example_copy: Callable[[str], Path]
) -> None:
    """The xdist example against a separate emulator: the rerun is passed, with its history."""
    env = clean_env(
        BROWSERSTACK_USERNAME=emulator.username, BROWSERSTACK_ACCESS_KEY=emulator.access_key
    )
    args = [sys.executable, "-m", "pytest", "-p", "bstm", "-p", "no:cacheprovider"]
    args += ["-p", "xdist", "-n", "2", "-p", "rerunfailures", "--reruns", "1"]
    proc = run([*args, "--bstm-url", emulator.url], example_copy("xdist"), env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (created,) = emulator.runs("PR-1")
    results = {r["test_case_id"]: r for r in emulator.results(created["identifier"])}
    assert {case: r["status"] for case, r in results.items()} == {
        "TC-21": "passed",
        "TC-22": "passed",
        "TC-23": "passed",
        "TC-24": "passed",
        "TC-25": "skipped",
    }
    assert "rerun: attempt 1 failed" in results["TC-24"]["description"]

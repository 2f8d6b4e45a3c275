"""The generated test suite and one measured pytest process.

The suite has ``size`` trivial test functions spread over ``modules`` modules, test ``i`` mapped
with ``@pytest.mark.tc("TC-<i>")``. Every measured process loads the probe plugin
(``bench/benchprobe.py``, ``-p benchprobe``): last teardown, peak memory, CPU per thread and,
only in a process run with ``hooks=True``, the plugin's hooks timed on the main thread.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
BASE_ARGS = ("-p", "pytest_bstm.plugin", "-p", "benchprobe", "-p", "no:cacheprovider", "-q")


def case_ids(size: int) -> list[str]:
    return [f"TC-{i}" for i in range(1, size + 1)]


def generate(root: Path, size: int, modules: int = 20) -> Path:
    """Write the suite under ``root/suite-<size>`` and return that directory."""
    suite = root / f"suite-{size}"
    suite.mkdir(parents=True, exist_ok=True)
    count = max(1, min(modules, size))
    per_module = -(-size // count)
    for m in range(count):
        first, last = m * per_module + 1, min(size, (m + 1) * per_module)
        parts = ["import pytest\n"]
        parts.extend(
            f'\n\n@pytest.mark.tc("TC-{i}")\ndef test_{i}():\n    pass\n'
            for i in range(first, last + 1)
        )
        (suite / f"test_mod{m:02d}.py").write_text("".join(parts), encoding="utf-8")
    return suite


@dataclass
class Sample:
    """One pytest process: wall and CPU time, tail (last test to exit) and peak memory."""

    wall: float
    cpu: float
    tail: float | None
    peak_kb: int | None
    returncode: int
    tests: int | None
    output_tail: str = ""
    requests: dict[str, int] = field(default_factory=dict)
    other_requests: list[str] = field(default_factory=list)
    results_stored: int | None = None
    runs_created: int | None = None
    run_closed: bool | None = None
    hooks_ns: dict[str, int] = field(default_factory=dict)
    hook_calls: dict[str, int] = field(default_factory=dict)
    main_cpu: float | None = None
    other_threads_cpu: float | None = None
    sender_peak_kb: int | None = None  # pytest-bstm's sender process: its own peak (VmHWM)
    children_cpu: float | None = None
    service_cpu: float | None = None
    gc_s: float | None = None
    gc_collections: int | None = None
    gc_by_generation: list[list[int]] = field(default_factory=list)
    hooks_timed: bool = False  # the probe timed pytest-bstm's hooks (BENCH_PROBE_HOOKS=1)

    main_ns: int = 0
    gc_in_hooks_ns: int = 0
    hooks_cpu_ns: int = 0
    per_test_ns: int = 0
    per_test_cpu_ns: int = 0

    @property
    def plugin_main_us(self) -> float | None:
        """Microseconds per test spent in pytest-bstm's hooks on pytest's main thread (only
        from a process whose hooks the probe timed; None otherwise)."""
        if not self.tests or not self.hooks_timed:
            return None
        return self.main_ns / 1000 / self.tests

    @property
    def plugin_own_us(self) -> float | None:
        """The same without the garbage collections that happened to run inside the hooks
        (those are shared with pytest; ``gc_s`` against plain pytest says what bstm adds)."""
        if not self.tests or not self.hooks_timed:
            return None
        return (self.main_ns - self.gc_in_hooks_ns) / 1000 / self.tests

    @property
    def plugin_cpu_us(self) -> float | None:
        """The main thread's CPU time in pytest-bstm's hooks, per test (load-steady)."""
        return self.hooks_cpu_ns / 1000 / self.tests if self.tests and self.hooks_timed else None

    @property
    def plugin_per_test_us(self) -> float | None:
        """Wall time of the hooks pytest calls for each test (``pytest_runtest_*``), per test:
        the cost that grows with the suite, without the session's start and end."""
        return self.per_test_ns / 1000 / self.tests if self.tests and self.hooks_timed else None

    @property
    def plugin_per_test_cpu_us(self) -> float | None:
        """The main thread's CPU time in those hooks, per test."""
        return self.per_test_cpu_ns / 1000 / self.tests if self.tests and self.hooks_timed else None

    @property
    def plugin_logreport_us(self) -> float | None:
        """The same, only its ``pytest_runtest_logreport`` (the per-report path)."""
        if not self.tests or not self.hooks_timed:
            return None
        return self.hooks_ns.get("pytest_runtest_logreport", 0) / 1000 / self.tests

    @property
    def main_cpu_us(self) -> float | None:
        """The main thread's CPU time per test, the whole process (the probe's hook timing
        included when it ran)."""
        return None if not self.tests or self.main_cpu is None else self.main_cpu * 1e6 / self.tests

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.tail is not None


def command(suite: Path, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", *BASE_ARGS, *extra, str(suite)]


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment of a measured process: no autoloaded plugins, no ambient BSTM_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BSTM_")}
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # let the warm-up leave bytecode, as CI caches do
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCH), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def _cpu_since(before: resource.struct_rusage) -> float:
    """CPU seconds (user + system) of the children reaped since ``before``: the measured
    process and, under xdist, its workers (one measured process runs at a time)."""
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_pytest(
    suite: Path, extra: list[str], env: dict[str, str], timeout: float, hooks: bool = False
) -> Sample:
    """Run one whole pytest process in ``suite`` and measure it; ``hooks``: the probe also times
    pytest-bstm's hooks (which slows the process: its wall and CPU are not the plugin's)."""
    probe = suite / ".bench-probe.json"
    probe.unlink(missing_ok=True)
    env = dict(env, BENCH_PROBE=str(probe))
    env.pop("BENCH_PROBE_HOOKS", None)
    if hooks:
        env["BENCH_PROBE_HOOKS"] = "1"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            command(suite, extra),
            cwd=suite,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout if isinstance(exc.stdout, str) else ""
        wall = time.perf_counter() - started
        return Sample(wall, _cpu_since(before), None, None, -9, None, out[-3000:])
    exited = time.time()
    wall = time.perf_counter() - started
    cpu = _cpu_since(before)
    text = (proc.stdout or "") + (proc.stderr or "")
    try:
        data = json.loads(probe.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Sample(wall, cpu, None, None, proc.returncode, None, text[-3000:])
    return Sample(
        wall=wall,
        cpu=cpu,
        tail=exited - float(data["last_teardown"]),
        peak_kb=int(data["peak_kb"]),
        returncode=proc.returncode,
        tests=int(data["tests"]),
        output_tail=text[-3000:],
        hooks_ns={str(k): int(v) for k, v in data.get("hooks_ns", {}).items()},
        hook_calls={str(k): int(v) for k, v in data.get("hook_calls", {}).items()},
        main_cpu=data.get("main_cpu"),
        other_threads_cpu=data.get("other_threads_cpu"),
        sender_peak_kb=data.get("sender_peak_kb"),
        children_cpu=data.get("children_cpu"),
        gc_s=data.get("gc_s"),
        main_ns=int(data.get("main_ns", 0)),
        gc_in_hooks_ns=int(data.get("gc_in_hooks_ns", 0)),
        hooks_cpu_ns=int(data.get("hooks_cpu_ns", 0)),
        per_test_ns=int(data.get("per_test_ns", 0)),
        per_test_cpu_ns=int(data.get("per_test_cpu_ns", 0)),
        gc_collections=data.get("gc_collections"),
        gc_by_generation=data.get("gc_by_generation", []),
        hooks_timed=bool(data.get("hooks_timed", False)),
    )

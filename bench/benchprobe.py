"""Benchmark probe, loaded into every measured pytest process with ``-p benchprobe``.

It always notes what costs nothing per call: the wall clock of the last teardown report, the
interpreter's garbage collections (a GC callback), the process's peak memory and CPU at the end.
Only with ``BENCH_PROBE_HOOKS=1`` does it also time every call of pytest-bstm's own hook
implementations on pytest's main thread (``time.perf_counter_ns`` and ``time.thread_time_ns``
around each): where the plugin's time goes, imports on enabling included. That timing costs
about as much per test as the plugin itself, so the figures of a timed process are only for the
per-hook breakdown, never for the process's wall or CPU time. In a
``pytest_unconfigure`` wrapper (after the plugin's session end) it writes to ``BENCH_PROBE``: those
times per hook, the process's peak resident memory and its CPU time split into the main
thread's and the other threads', and the sender process's own peak memory (from its final
report).
"""

from __future__ import annotations

import functools
import gc
import json
import os
import resource
import sys
import threading
import time
from collections.abc import Callable, Generator
from typing import Any

import pytest

PACKAGE = "pytest_bstm."
HOOKS_TIMED = os.environ.get("BENCH_PROBE_HOOKS") == "1"
MAIN = threading.main_thread().ident
LAST = {"teardown": 0.0, "tests": 0}
SPENT: dict[str, list[int]] = {}  # hook name -> [calls, nanoseconds] on the main thread
# the outermost pytest-bstm hook calls only (a hook may run inside another, e.g. the case
# reader inside collection_modifyitems), and the collections that ran inside them
# "per_test": only the hooks pytest calls for each test (pytest_runtest_*), without the session's
# start and end; "cpu": the main thread's CPU time in them (steadier than wall time under load)
TOTAL = {"depth": 0, "ns": 0, "gc_ns": 0, "cpu_ns": 0, "per_test_ns": 0, "per_test_cpu_ns": 0}
GC = {"started": 0, "ns": 0, "collections": 0}
GC_BY_GENERATION = [[0, 0], [0, 0], [0, 0]]  # generation -> [collections, nanoseconds]


def _gc_timer(phase: str, info: dict[str, int]) -> None:
    """Time the interpreter's garbage collections (more live objects make each one longer)."""
    if phase == "start":
        GC["started"] = time.perf_counter_ns()
        return
    spent = time.perf_counter_ns() - GC["started"]
    GC["ns"] += spent
    GC["collections"] += 1
    tally = GC_BY_GENERATION[info.get("generation", 2)]
    tally[0] += 1
    tally[1] += spent
    if TOTAL["depth"] and threading.get_ident() == MAIN:
        TOTAL["gc_ns"] += spent  # a pause that fell inside pytest-bstm's hook


gc.callbacks.append(_gc_timer)


def _owner(plugin: object) -> str:
    name = getattr(plugin, "__name__", None)
    return name if isinstance(name, str) else type(plugin).__module__


def _timed(hook: str, function: Callable[..., Any]) -> Callable[..., Any]:
    tally = SPENT.setdefault(hook, [0, 0])
    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    per_test = hook.startswith("pytest_runtest_")

    @functools.wraps(function)
    def timed(*args: Any) -> Any:
        if threading.get_ident() != MAIN:
            return function(*args)
        TOTAL["depth"] += 1
        cpu_started, started = cpu_clock(), clock()
        try:
            return function(*args)
        finally:
            spent = clock() - started
            cpu_spent = cpu_clock() - cpu_started
            TOTAL["depth"] -= 1
            tally[0] += 1
            tally[1] += spent
            if not TOTAL["depth"]:
                TOTAL["ns"] += spent
                TOTAL["cpu_ns"] += cpu_spent
                if per_test:
                    TOTAL["per_test_ns"] += spent
                    TOTAL["per_test_cpu_ns"] += cpu_spent

    return timed


def pytest_plugin_registered(plugin: object, manager: pytest.PytestPluginManager) -> None:
    """Wrap the hook implementations of every pytest-bstm plugin (the entry module, the
    mapping, the reporter) as they are registered, when ``BENCH_PROBE_HOOKS=1``."""
    if not HOOKS_TIMED or not _owner(plugin).startswith(PACKAGE):
        return
    for caller in manager.get_hookcallers(plugin) or []:
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin and not (impl.hookwrapper or impl.wrapper):
                impl.function = _timed(caller.name, impl.function)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "teardown":
        LAST["teardown"] = time.time()
        LAST["tests"] += 1


def _peak_kb() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def _sender_peak_kb(config: pytest.Config) -> int | None:
    """The sender process's own peak, from its final report (``RUSAGE_CHILDREN`` cannot tell
    it: a child's peak there includes the memory pytest's process had when it started it)."""
    reporter = config.pluginmanager.get_plugin("bstm-reporter")
    report = reporter.run.sender.report if reporter is not None else None
    return None if report is None else int(report.peak_kb) or None


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_unconfigure(config: pytest.Config) -> Generator[None, None, None]:
    """Before every ``pytest_unconfigure`` (pytest-bstm's unregisters its reporter): the
    sender's report; after them all: write the figures."""
    sender_peak_kb = _sender_peak_kb(config)
    yield
    target = os.environ.get("BENCH_PROBE")
    if not target or hasattr(config, "workerinput"):
        return
    process, main = time.process_time(), time.thread_time()
    data = {
        "last_teardown": LAST["teardown"],
        "tests": LAST["tests"],
        "peak_kb": _peak_kb(),
        # pytest-bstm's sender process: its own peak (its report) and the CPU of the processes
        # pytest started and reaped (the sender)
        "sender_peak_kb": sender_peak_kb,
        "children_cpu": _children_cpu(),
        "hooks_timed": HOOKS_TIMED,
        "hooks_ns": {name: ns for name, (calls, ns) in SPENT.items() if calls},
        "main_ns": TOTAL["ns"],
        "gc_in_hooks_ns": TOTAL["gc_ns"],
        "hooks_cpu_ns": TOTAL["cpu_ns"],
        "per_test_ns": TOTAL["per_test_ns"],
        "per_test_cpu_ns": TOTAL["per_test_cpu_ns"],
        "hook_calls": {name: calls for name, (calls, _) in SPENT.items() if calls},
        "main_cpu": main,
        "other_threads_cpu": max(0.0, process - main),
        "gc_s": GC["ns"] / 1e9,
        "gc_collections": GC["collections"],
        "gc_by_generation": GC_BY_GENERATION,
    }
    with open(target, "w", encoding="utf-8") as out:
        json.dump(data, out)

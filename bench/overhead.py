"""Overhead of pytest-bstm on whole pytest processes: plain pytest versus reporting to an emulator.

Run ``python bench/overhead.py`` (``make bench``); ``--help`` lists the options. The benchmark
reports and never asserts: it exits 0 when it ran, and prints PASS/FAIL per target.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from benchreport import TIMED, Cell, Cells, Report, classify, fmt
from benchsuite import Sample, case_ids, clean_env, command, generate, run_pytest
from service import ServiceProcess

from pytest_bstm import __version__

PROJECT = "PR-1"
SEED = {"projects": [{"identifier": PROJECT, "id": 1, "name": "Benchmark project"}]}


# the peers of the comparison (the bench extra installs them; named with -p: no autoload)
PEERS = {
    "json-report": (
        "-p", "pytest_metadata.plugin", "-p", "pytest_jsonreport.plugin",
        "--json-report", "--json-report-file={out}.json",
    ),
    "allure": ("-p", "allure_pytest.plugin", "--alluredir={out}"),
}  # fmt: skip


def mb(kb: int | None) -> float | None:
    return None if kb is None else kb / 1024


def installed(scenario: Scenario) -> bool:
    """A peer scenario runs only when its plugin is installed."""
    modules = [a.split(".")[0] for a in scenario.peer if a.endswith(".plugin")]
    return all(importlib.util.find_spec(m) is not None for m in modules)


@dataclass(frozen=True)
class Scenario:
    name: str
    bstm: bool = False
    latency: float = 0.0
    junitxml: bool = False
    peer: tuple[str, ...] = ()  # another reporting plugin's arguments ({out}: its output)
    hooks: bool = False  # the probe times pytest-bstm's hooks (for the per-hook breakdown only)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", help="suite sizes (default 1000,10000; --quick: 200,1000)")
    parser.add_argument("--repeat", type=int, default=5, help="measured runs per scenario")
    parser.add_argument("--quick", action="store_true", help="smoke run: sizes 200,1000, repeat 2")
    parser.add_argument("--json", metavar="PATH", help="also write every sample to this file")
    parser.add_argument(
        "--xdist",
        type=int,
        default=0,
        metavar="N",
        help="also measure every scenario with pytest-xdist -n N (plugin on the controller)",
    )
    parser.add_argument(
        "--scenarios",
        default="plain,junitxml,bstm,bstm+latency,json-report,allure",
        help="which scenarios to measure (default: all; a peer that is not installed is left out)",
    )
    parser.add_argument("--latency", type=float, default=0.1, help="injected seconds per request")
    parser.add_argument("--modules", type=int, default=20, help="test modules in the suite")
    parser.add_argument(
        "--commit",
        metavar="REV",
        help="measure pytest_bstm as of this git revision (default: the working tree)",
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per pytest process")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.repeat = args.sizes or "200,1000", 2
    args.size_list = [int(s) for s in (args.sizes or "1000,10000").split(",") if s.strip()]
    return args


class Bench:
    """One emulator on loopback in its own process, shared by every measured process, reset
    before each one."""

    def __init__(self, args: argparse.Namespace, root: Path, source: Path | None) -> None:
        self.args = args
        self.root = root
        self.env = clean_env({})
        if source is not None:  # ahead of the editable install's path entry
            self.env["PYTHONPATH"] = os.pathsep.join(
                filter(None, [str(source), self.env.get("PYTHONPATH")])
            )
        self.service = ServiceProcess(SEED, self.env)
        self.env["BROWSERSTACK_USERNAME"] = self.service.username
        self.env["BROWSERSTACK_ACCESS_KEY"] = self.service.access_key
        known = [
            Scenario("plain"),
            Scenario("junitxml", junitxml=True),
            Scenario("bstm", bstm=True),
            Scenario(TIMED, bstm=True, hooks=True),
            Scenario("bstm+latency", bstm=True, latency=args.latency),
            Scenario("json-report", peer=PEERS["json-report"]),
            Scenario("allure", peer=PEERS["allure"]),
        ]
        wanted = {s.strip() for s in args.scenarios.split(",")}
        if "bstm" in wanted:  # the per-hook breakdown comes from its own, interleaved, samples
            wanted.add(TIMED)
        self.scenarios = [s for s in known if s.name in wanted and installed(s)]
        self.modes = ["serial"] + ([f"xdist-{args.xdist}"] if args.xdist else [])
        self.cells: Cells = {}
        self.commands: dict[str, str] = {}

    def pytest_args(self, mode: str, scenario: Scenario, suite: Path) -> list[str]:
        args = ["-p", "xdist.plugin", "-n", mode.split("-")[1]] if mode != "serial" else []
        if scenario.junitxml:
            args += ["--junitxml", str(suite.parent / f"junit-{suite.name}.xml")]
        if scenario.bstm:
            args += ["--bstm-project", PROJECT, "--bstm-url", self.service.url]
        out = suite.parent / f"{scenario.name}-{suite.name}"
        args += [a.format(out=out) for a in scenario.peer]
        return args

    def measure(self, suite: Path, size: int, mode: str, scenario: Scenario) -> Sample:
        service = self.service
        service.call("reset", PROJECT, case_ids(size))
        if scenario.latency:
            service.call("latency", scenario.latency)
        extra = self.pytest_args(mode, scenario, suite)
        timed = "BENCH_PROBE_HOOKS=1 " if scenario.hooks else ""
        self.commands.setdefault(
            f"{mode} {scenario.name}", timed + shlex.join(command(suite, extra))
        )
        cpu = service.call("cpu")
        sample = run_pytest(suite, extra, self.env, self.args.timeout, hooks=scenario.hooks)
        sample.service_cpu = service.call("cpu") - cpu
        shutil.rmtree(suite / ".bstm", ignore_errors=True)
        session = service.call("session", PROJECT)
        sample.requests, sample.other_requests = classify(session["requests"])
        sample.runs_created = session["runs"]
        if session["runs"]:
            sample.results_stored = session["results"]
            sample.run_closed = session["closed"]
        if not sample.ok or sample.tests != size:
            print(
                f"\n!! {mode} {scenario.name} N={size}: exit {sample.returncode}, "
                f"{sample.tests} tests seen\n   {self.commands[f'{mode} {scenario.name}']}\n"
                + sample.output_tail,
                flush=True,
            )
        return sample

    def run(self) -> None:
        for size in self.args.size_list:
            started = time.perf_counter()
            suite = generate(self.root, size, self.args.modules)
            print(f"N={size}: suite generated in {time.perf_counter() - started:.2f}s", flush=True)
            warm_up = self.scenarios[:1] + [s for s in self.scenarios if s.bstm and not s.hooks][:1]
            for mode in self.modes:
                for scenario in warm_up:  # bytecode, disk cache
                    self.measure(suite, size, mode, scenario)
                for i in range(self.args.repeat):
                    for scenario in self.scenarios:
                        sample = self.measure(suite, size, mode, scenario)
                        key = (mode, size, scenario.name)
                        self.cells.setdefault(
                            key, Cell(mode, size, scenario.name, [])
                        ).samples.append(sample)
                        tail = "-" if sample.tail is None else f"{sample.tail:.3f}"
                        hooks = (
                            f"hooks timed: own {fmt(sample.plugin_own_us, 1)}us/test "
                            f"(per-test hooks {fmt(sample.plugin_per_test_us, 1)}, "
                            f"CPU {fmt(sample.plugin_per_test_cpu_us, 1)})  "
                            if sample.hooks_timed
                            else ""
                        )
                        print(
                            f"  {mode:>8} N={size:<6} #{i + 1} {scenario.name:<18} "
                            f"wall {sample.wall:7.2f}s  cpu {sample.cpu:6.2f}s  tail {tail}s  "
                            f"main CPU {fmt(sample.main_cpu_us, 1)}us/test  {hooks}"
                            f"requests {sum(sample.requests.values())}  "
                            f"peak {fmt(mb(sample.peak_kb), 1)} MB + sender "
                            f"{fmt(mb(sample.sender_peak_kb), 1)} MB  "
                            f"load {os.getloadavg()[0]:.2f}",
                            flush=True,
                        )

    def close(self) -> None:
        self.service.stop()


REPO = Path(__file__).resolve().parent.parent


def export(rev: str, target: Path) -> Path:
    """Write ``pytest_bstm/`` as of ``rev`` under ``target`` (for PYTHONPATH) and return it."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", rev, "pytest_bstm"],
        capture_output=True,
        check=True,
    ).stdout
    target.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def plugin_version(rev: str | None = None) -> str:
    """The commit of the measured plugin: ``rev`` resolved, or HEAD with ``+dirty`` for local
    changes to ``pytest_bstm/``."""
    if rev is not None:
        return subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", rev],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "pytest_bstm"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def environment(args: argparse.Namespace, argv: list[str]) -> dict[str, object]:
    return {
        "command": shlex.join([sys.executable, "bench/overhead.py", *argv]),
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "pytest": pytest.__version__,
        "pytest_bstm": __version__,
        "commit": plugin_version(args.commit),
        "sizes": args.size_list,
        "repeat": args.repeat,
        "latency_s": args.latency,
        "xdist": args.xdist,
        "loadavg_at_start": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    env = environment(args, argv)
    print("environment: " + ", ".join(f"{k}={v}" for k, v in env.items()), flush=True)
    with tempfile.TemporaryDirectory(prefix="bstm-bench-") as tmp:
        source = export(args.commit, Path(tmp) / "source") if args.commit else None
        bench = Bench(args, Path(tmp), source)
        try:
            bench.run()
        finally:
            bench.close()
    if not args.commit and (commit := plugin_version()) != env["commit"]:
        print(f"WARNING: the plugin changed during the benchmark ({env['commit']} -> {commit})")
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (other work skews wall times)")
    report = Report(bench.cells, bench.modes, args.size_list)
    sections = [
        ("Wall time per pytest process (median seconds)", report.wall()),
        (
            "CPU time of the pytest process and its workers (median seconds; the emulator runs "
            "in its own process)",
            report.cpu(),
        ),
        (
            "pytest-bstm on pytest's main thread (median us per test; main CPU added (judged), "
            "GC added and other threads are untimed bstm minus plain; the 'timed:' columns come "
            f"from the '{TIMED}' samples, hooks incl. imports on enabling, and their timing "
            "inflates 'timed main CPU added')",
            report.main_thread(),
        ),
        (
            f"pytest-bstm's hooks on the main thread (median milliseconds, from the '{TIMED}' "
            "samples)",
            report.hooks(),
        ),
        ("Last test to process exit (median seconds)", report.tail()),
        (
            "Reporting plugins against plain pytest (median wall seconds; the peers are "
            "pytest-json-report and allure-pytest)",
            report.peers(),
        ),
        (
            "Peak memory of the pytest process (median VmHWM) and pytest-bstm's sender process's "
            "own peak (its VmHWM, in its final report)",
            report.memory(),
        ),
        ("API requests per session (bstm scenarios)", report.requests()),
    ]
    for title, text in sections:
        print(f"\n{title}\n{text}")
    print("\nCommands (one per scenario):")
    for name, cmd in bench.commands.items():
        print(f"  {name}: {cmd}")
    print("\nTargets:")
    for v in report.verdicts:
        state = "n/a " if v["ok"] is None else ("PASS" if v["ok"] else "FAIL")
        value = "-" if v["value"] is None else f"{v['value']:.3f}"
        limit = "-" if v["limit"] is None else f"{v['limit']:.3f}"
        print(f"  {state}  {v['target']}: {value} <= {limit}")
    if args.json:
        data = {
            "environment": env,
            "cells": [c.as_json() for c in bench.cells.values()],
            "targets": report.verdicts,
        }
        Path(args.json).write_text(json.dumps(data, indent=2), encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Summaries of the measured samples: medians, request counts, tables and target verdicts."""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benchsuite import Sample

BATCH = 300
RATIO_TARGET = 1.05
LATENCY_RATIO_TARGET = 1.05  # bstm+latency / bstm
MEMORY_TARGET_MB = 20.0
MAIN_THREAD_TARGET_US = 30.0
TARGET_SIZE = 10_000  # the wall-time ratio targets are stated for 10,000 results

PROJECT_CASES = re.compile(r"^/api/v2/projects/[^/]+/test-cases$")
CREATE = re.compile(r"^/api/v2/projects/[^/]+/test-runs$")
RESULTS = re.compile(r"^/api/v2/projects/[^/]+/test-runs/[^/]+/results$")
CLOSE = re.compile(r"^/api/v2/projects/[^/]+/test-runs/[^/]+/close$")


def classify(requests: Sequence[dict[str, Any]]) -> tuple[dict[str, int], list[str]]:
    """Count requests by kind; anything unexpected is listed as ``METHOD path``."""
    counts = {"create": 0, "results": 0, "close": 0, "lookup": 0, "other": 0}
    other: list[str] = []
    for req in requests:
        method, path = req["method"], req["path"]
        if method == "GET" and PROJECT_CASES.match(path):
            counts["lookup"] += 1
        elif method == "POST" and CREATE.match(path):
            counts["create"] += 1
        elif method == "POST" and RESULTS.match(path):
            counts["results"] += 1
        elif CLOSE.match(path):
            counts["close"] += 1
        else:
            counts["other"] += 1
            other.append(f"{method} {path}")
    return counts, other


def minimum_requests(results: int) -> dict[str, int]:
    """1 create + ceil(results/300) batches + 1 close; no lookup of the project's cases."""
    return {"create": 1, "results": math.ceil(results / BATCH), "close": 1, "lookup": 0, "other": 0}


def tail_target(results: int) -> float:
    return 0.5 + 0.05 * results / 1000


@dataclass
class Cell:
    """The samples of one (mode, size, scenario)."""

    mode: str
    size: int
    scenario: str
    samples: list[Sample]

    @property
    def good(self) -> list[Sample]:
        return [s for s in self.samples if s.ok]

    def median(self, attr: str) -> float | None:
        values = [v for s in self.good if (v := getattr(s, attr)) is not None]
        return statistics.median(values) if values else None

    def request_totals(self) -> list[int]:
        return [sum(s.requests.values()) for s in self.good if s.requests]

    def as_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "size": self.size,
            "scenario": self.scenario,
            "median_wall_s": self.median("wall"),
            "median_cpu_s": self.median("cpu"),
            "median_tail_s": self.median("tail"),
            "median_peak_kb": self.median("peak_kb"),
            "hooks_timed": any(s.hooks_timed for s in self.samples),
            "median_plugin_main_us": self.median("plugin_main_us"),
            "median_main_cpu_us": self.median("main_cpu_us"),
            "samples": [vars(s) for s in self.samples],
        }


def fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    line = "  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))
    body = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join([line, "  ".join("-" * w for w in widths), *body])


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


Cells = dict[tuple[str, int, str], Cell]
SCENARIOS = ("plain", "junitxml", "bstm", "bstm+latency")
# pytest-bstm again, its hooks timed by the probe (BENCH_PROBE_HOOKS=1): only the per-hook
# breakdown comes from it; the timing's own cost makes its wall and CPU no measure of the plugin
TIMED = "bstm (hooks timed)"


class Report:
    """Builds the printed tables and the list of target verdicts from the cells."""

    def __init__(self, cells: Cells, modes: Sequence[str], sizes: Sequence[int]) -> None:
        self.cells = cells
        self.modes = modes
        self.sizes = sizes
        self.verdicts: list[dict[str, Any]] = []

    def _cell(self, mode: str, size: int, scenario: str) -> Cell | None:
        return self.cells.get((mode, size, scenario))

    def _median(self, mode: str, size: int, scenario: str, attr: str) -> float | None:
        cell = self._cell(mode, size, scenario)
        return None if cell is None else cell.median(attr)

    def _judge(self, name: str, value: float | None, limit: float, applies: bool) -> str:
        ok = None if not applies or value is None else value <= limit
        if applies:
            self.verdicts.append({"target": name, "value": value, "limit": limit, "ok": ok})
        return verdict(ok)

    def wall(self) -> str:
        """bstm against plain and against plain + ``--junitxml``; latency against bstm."""
        rows = []
        for mode in self.modes:
            for n in self.sizes:
                plain, junit, bstm, lat = (self._median(mode, n, s, "wall") for s in SCENARIOS)
                rj, rb, rl = ratio(junit, plain), ratio(bstm, plain), ratio(lat, bstm)
                big = n >= TARGET_SIZE
                v1 = self._judge(f"wall ratio bstm/plain, {mode}, N={n}", rb, RATIO_TARGET, big)
                below = None if rb is None or rj is None else rb < rj
                v2 = verdict(below if big else None)
                if big and junit is not None:
                    self.verdicts.append(
                        {
                            "target": f"wall ratio bstm/plain below junitxml/plain, {mode}, N={n}",
                            "value": rb,
                            "limit": rj,
                            "ok": below,
                        }
                    )
                v3 = self._judge(
                    f"wall ratio bstm+latency/bstm, {mode}, N={n}", rl, LATENCY_RATIO_TARGET, big
                )
                rows.append(
                    [
                        mode,
                        str(n),
                        fmt(plain),
                        fmt(junit),
                        fmt(rj, 3),
                        fmt(bstm),
                        fmt(rb, 3),
                        v1,
                        v2,
                        fmt(lat),
                        fmt(rl, 3),
                        v3,
                    ]
                )
        headers = ["mode", "N", "plain s", "junitxml s", "ratio", "bstm s", "ratio", "<=1.05"]
        return table([*headers, "<junitxml", "bstm+lat s", "lat/bstm", "<=1.05"], rows)

    def tail(self) -> str:
        """The tail bstm adds to plain is judged in every mode; serial runs are also judged on
        the whole tail (plain pytest-xdist alone needs most of the budget to stop its workers).
        """
        rows = []
        for mode in self.modes:
            for n in self.sizes:
                plain, bstm = (self._median(mode, n, s, "tail") for s in ("plain", "bstm"))
                lat = self._median(mode, n, "bstm+latency", "tail")
                added = None if plain is None or bstm is None else bstm - plain
                limit = tail_target(n)
                whole = self._judge(f"tail, {mode}, N={n}", bstm, limit, mode == "serial")
                more = self._judge(f"tail added by bstm, {mode}, N={n}", added, limit, True)
                values = (plain, bstm, added, lat)
                rows.append([mode, str(n), *(fmt(x, 3) for x in values), fmt(limit), whole, more])
        headers = ["mode", "N", "plain s", "bstm s", "bstm-plain s", "bstm+lat s", "target s"]
        return table([*headers, "bstm", "bstm-plain"], rows)

    def cpu(self) -> str:
        """CPU seconds of the pytest process tree (the emulator's process is not in it):
        less sensitive to other load than wall time."""
        rows = []
        for mode in self.modes:
            for n in self.sizes:
                plain, junit, bstm, lat = (self._median(mode, n, s, "cpu") for s in SCENARIOS)
                values = [plain, junit, ratio(junit, plain), bstm, ratio(bstm, plain), lat]
                digits = [2, 2, 3, 2, 3, 2]
                service = self._median(mode, n, "bstm", "service_cpu")
                rows.append(
                    [
                        mode,
                        str(n),
                        *(fmt(v, d) for v, d in zip(values, digits, strict=True)),
                        fmt(ratio(lat, plain), 3),
                        fmt(service),
                    ]
                )
        headers = ["mode", "N", "plain s", "junitxml s", "ratio", "bstm s", "ratio"]
        return table([*headers, "bstm+lat s", "ratio", "emulator s (not counted)"], rows)

    def main_thread(self) -> str:
        """pytest-bstm on pytest's main thread, per test. Judged, from untimed processes: what
        it adds to the main thread's CPU against plain pytest (bstm minus plain), with the
        collector's time and the CPU of the other threads (the upload thread; xdist's
        controller has some of its own). From the processes whose hooks the probe timed, only
        where that time goes: its hooks (outermost calls, imports on enabling included), the
        garbage collections inside them, its own time without those, their CPU, and the main
        CPU those timed processes add to plain (what the timing itself inflates)."""
        rows = []
        for mode in self.modes:
            for n in self.sizes:
                med = self._median
                cpu, plain_cpu = med(mode, n, "bstm", "main_cpu"), med(mode, n, "plain", "main_cpu")
                added = None if cpu is None or plain_cpu is None else (cpu - plain_cpu) * 1e6 / n
                v = self._judge(
                    f"bstm main-thread CPU added us per test (untimed, bstm minus plain), "
                    f"{mode}, N={n}",
                    added,
                    MAIN_THREAD_TARGET_US,
                    n >= TARGET_SIZE,
                )
                gc_plain, gc_bstm = med(mode, n, "plain", "gc_s"), med(mode, n, "bstm", "gc_s")
                other, other_plain = (
                    med(mode, n, x, "other_threads_cpu") for x in ("bstm", "plain")
                )
                thread = None if other is None or other_plain is None else other - other_plain
                hooks, own = (
                    med(mode, n, TIMED, "plugin_main_us"),
                    med(mode, n, TIMED, "plugin_own_us"),
                )
                timed_cpu = med(mode, n, TIMED, "main_cpu")
                timed = [
                    hooks,
                    None if hooks is None or own is None else hooks - own,
                    own,
                    med(mode, n, TIMED, "plugin_cpu_us"),
                    med(mode, n, TIMED, "plugin_per_test_us"),
                    med(mode, n, TIMED, "plugin_per_test_cpu_us"),
                    med(mode, n, TIMED, "plugin_logreport_us"),
                    None
                    if timed_cpu is None or plain_cpu is None
                    else (timed_cpu - plain_cpu) * 1e6 / n,
                ]
                row = [mode, str(n), fmt(added, 1), v]
                row += [
                    fmt(
                        None
                        if gc_plain is None or gc_bstm is None
                        else (gc_bstm - gc_plain) * 1e6 / n,
                        1,
                    ),
                    fmt(thread, 3),
                ]
                rows.append([*row, *(fmt(x, 1) for x in timed)])
        headers = ["mode", "N", "main CPU added", "<=30", "GC added", "other threads CPU added s"]
        headers += ["timed: hooks", "GC in hooks", "own", "hooks CPU", "per test"]
        headers += ["per test CPU", "logreport", "timed main CPU added"]
        return table(headers, rows)

    def hooks(self) -> str:
        """Where the main-thread time goes: median milliseconds per pytest-bstm hook, from the
        processes whose hooks the probe timed."""
        rows = []
        for mode in self.modes:
            for n in self.sizes:
                cell = self._cell(mode, n, TIMED)
                if cell is None or not cell.good:
                    continue
                names = sorted({h for s in cell.good for h in s.hooks_ns})
                for name in names:
                    ms = statistics.median(s.hooks_ns.get(name, 0) / 1e6 for s in cell.good)
                    calls = max(s.hook_calls.get(name, 0) for s in cell.good)
                    rows.append([mode, str(n), TIMED, name, str(calls), f"{ms:.1f}"])
        return table(["mode", "N", "scenario", "hook", "calls", "ms"], rows)

    def memory(self) -> str:
        rows = []
        for mode in self.modes:
            for n in self.sizes:
                plain = self._median(mode, n, "plain", "peak_kb")
                bstm = self._median(mode, n, "bstm", "peak_kb")
                growth = None if plain is None or bstm is None else (bstm - plain) / 1024
                v = self._judge(
                    f"peak memory growth, {mode}, N={n}", growth, MEMORY_TARGET_MB, n >= TARGET_SIZE
                )
                mb = [None if x is None else x / 1024 for x in (plain, bstm)]
                sender = self._median(mode, n, "bstm", "sender_peak_kb")
                sender_mb = None if sender is None else sender / 1024
                both = None if growth is None or sender_mb is None else growth + sender_mb
                w = self._judge(
                    f"peak memory growth with the sender process, {mode}, N={n}",
                    both,
                    MEMORY_TARGET_MB,
                    n >= TARGET_SIZE,
                )
                row = [mode, str(n), *(fmt(x, 1) for x in mb), fmt(growth, 1), v]
                rows.append([*row, fmt(sender_mb, 1), fmt(both, 1), w])
        headers = ["mode", "N", "plain MB", "bstm MB", "pytest growth MB", "<=20 MB"]
        return table([*headers, "sender own peak MB", "growth + sender MB", "<=20 MB"], rows)

    def peers(self) -> str:
        """Wall time of every reporting plugin measured against plain pytest, in one table."""
        names = ["junitxml", "json-report", "allure", "bstm"]
        rows = []
        for mode in self.modes:
            for n in self.sizes:
                plain = self._median(mode, n, "plain", "wall")
                walls = [self._median(mode, n, s, "wall") for s in names]
                cpu = self._median(mode, n, "bstm", "children_cpu")
                cells = [f"{fmt(w)} ({fmt(ratio(w, plain), 3)})" for w in walls]
                rows.append([mode, str(n), fmt(plain), *cells, fmt(cpu, 2)])
        headers = ["mode", "N", "plain s", *(f"{s} s (ratio)" for s in names)]
        return table([*headers, "sender CPU s"], rows)

    def requests(self) -> str:
        rows = []
        for (mode, n, scenario), cell in self.cells.items():
            if not scenario.startswith("bstm") or scenario == TIMED:
                continue
            totals = cell.request_totals()
            good = cell.good
            if not totals or not good:
                rows.append([mode, str(n), scenario, "-", "-", "-", "-"])
                continue
            least = minimum_requests(n)
            last = good[-1]
            spread = (
                str(totals[0]) if min(totals) == max(totals) else f"{min(totals)}-{max(totals)}"
            )
            kinds = "/".join(
                str(last.requests[k]) for k in ("create", "results", "close", "lookup")
            )
            wanted = "/".join(str(least[k]) for k in ("create", "results", "close", "lookup"))
            landed = all(
                s.results_stored == n and s.runs_created == 1 and s.run_closed for s in good
            )
            self._judge(
                f"requests per session (most), {mode}, N={n}, {scenario}",
                max(totals),
                sum(least.values()),
                True,
            )
            rows.append(
                [
                    mode,
                    str(n),
                    scenario,
                    spread,
                    str(sum(least.values())),
                    f"{kinds} (min {wanted}), other {last.requests['other']}",
                    "yes" if landed else "NO",
                ]
            )
        headers = ["mode", "N", "scenario", "requests", "minimum", "create/results/close/lookup"]
        return table([*headers, "all results stored, run closed"], rows)

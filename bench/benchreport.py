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
PAGE = 300
RATIO_TARGET = 1.05
LATENCY_RATIO_TARGET = 1.10
MEMORY_TARGET_MB = 30.0
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


def minimum_requests(results: int, project_cases: int) -> dict[str, int]:
    """1 create + ceil(results/300) batches + 1 close + ceil(project cases/300) lookup pages."""
    return {
        "create": 1,
        "results": math.ceil(results / BATCH),
        "close": 1,
        "lookup": math.ceil(project_cases / PAGE),
        "other": 0,
    }


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
        rows = []
        for mode in self.modes:
            for n in self.sizes:
                plain = self._median(mode, n, "plain", "wall")
                bstm = self._median(mode, n, "bstm", "wall")
                lat = self._median(mode, n, "bstm+latency", "wall")
                r1, r2 = ratio(bstm, plain), ratio(lat, plain)
                big = n >= TARGET_SIZE
                v1 = self._judge(f"wall ratio bstm/plain, {mode}, N={n}", r1, RATIO_TARGET, big)
                v2 = self._judge(
                    f"wall ratio bstm+latency/plain, {mode}, N={n}", r2, LATENCY_RATIO_TARGET, big
                )
                rows.append(
                    [mode, str(n), fmt(plain), fmt(bstm), fmt(r1, 3), v1, fmt(lat), fmt(r2, 3), v2]
                )
        headers = ["mode", "N", "plain s", "bstm s", "ratio", "<=1.05", "bstm+lat s", "ratio"]
        return table([*headers, "<=1.10"], rows)

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
        """CPU seconds of the process tree: less sensitive to other load than wall time."""
        rows = []
        for mode in self.modes:
            for n in self.sizes:
                plain, bstm, lat = (
                    self._median(mode, n, s, "cpu") for s in ("plain", "bstm", "bstm+latency")
                )
                r1, r2 = ratio(bstm, plain), ratio(lat, plain)
                rows.append([mode, str(n), fmt(plain), fmt(bstm), fmt(r1, 3), fmt(lat), fmt(r2, 3)])
        headers = ["mode", "N", "plain s", "bstm s", "ratio", "bstm+lat s", "ratio"]
        return table(headers, rows)

    def memory(self) -> str:
        rows = []
        for mode in self.modes:
            for n in self.sizes:
                plain = self._median(mode, n, "plain", "peak_kb")
                bstm = self._median(mode, n, "bstm", "peak_kb")
                growth = None if plain is None or bstm is None else (bstm - plain) / 1024
                v = self._judge(
                    f"peak memory growth, {mode}, N={n}", growth, MEMORY_TARGET_MB, True
                )
                mb = [None if x is None else x / 1024 for x in (plain, bstm)]
                rows.append([mode, str(n), *(fmt(x, 1) for x in mb), fmt(growth, 1), v])
        return table(["mode", "N", "plain MB", "bstm MB", "growth MB", "<=30 MB"], rows)

    def requests(self) -> str:
        rows = []
        for (mode, n, scenario), cell in self.cells.items():
            if scenario == "plain":
                continue
            totals = cell.request_totals()
            good = cell.good
            if not totals or not good:
                rows.append([mode, str(n), scenario, "-", "-", "-", "-"])
                continue
            least = minimum_requests(n, n)
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

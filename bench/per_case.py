"""Tests per case: what pytest-bstm costs when many tests cover one TM case.

``python bench/per_case.py`` measures whole pytest processes, plain (the plugin loaded, not
enabled) against reporting to the emulator (in its own process, ``bench/service.py``), for:

- ``one-case N``: one ``@pytest.mark.tc("TC-1")`` function parametrized over N values
  (1,000, 10,000 and 50,000 by default): N tests, one result;
- ``per-case N``: N tests, test ``i`` mapped to ``TC-<i>`` (10,000 by default): N results.

For each it prints the median wall ratio against plain, the main thread's CPU pytest-bstm adds
per test (bstm minus plain of the same repeat; the probe ``bench/benchprobe.py`` does not time
the hooks, whose timing would inflate it) and the journal's bytes per test (the journal is
named, so that it is kept). Target: the ratio of ``one-case`` at its largest N is at most
0.05 above the ratio of ``per-case``, and journal bytes per test do not grow with N. It
reports and never asserts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from benchsuite import Sample, case_ids, clean_env, generate, run_pytest
from service import ServiceProcess

PROJECT = "PR-1"
SEED = {"projects": [{"identifier": PROJECT, "id": 1, "name": "Benchmark project"}]}


def one_case_suite(root: Path, size: int) -> Path:
    suite = root / f"one-case-{size}"
    suite.mkdir(parents=True, exist_ok=True)
    (suite / "test_one_case.py").write_text(
        "import pytest\n\n\n"
        '@pytest.mark.tc("TC-1")\n'
        f'@pytest.mark.parametrize("i", range({size}))\n'
        "def test_value(i):\n    pass\n",
        encoding="utf-8",
    )
    return suite


def measure(
    service: ServiceProcess, env: dict[str, str], suite: Path, cases: int, bstm: bool
) -> tuple[Sample, int]:
    """One pytest process; (its sample, the journal's bytes)."""
    service.call("reset", PROJECT, case_ids(cases))
    journal = suite / "journal.jsonl"
    journal.unlink(missing_ok=True)
    extra = (
        ["--bstm-project", PROJECT, "--bstm-url", service.url, "--bstm-journal", str(journal)]
        if bstm
        else []
    )
    sample = run_pytest(suite, extra, env, 1800)
    if not sample.ok:
        print(f"!! exit {sample.returncode}\n{sample.output_tail}", flush=True)
    size = journal.stat().st_size if journal.exists() else 0
    journal.unlink(missing_ok=True)
    return sample, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one-case", default="1000,10000,50000", help="sizes of one-case")
    parser.add_argument("--per-case", default="10000", help="sizes of per-case")
    parser.add_argument("--repeat", type=int, default=3, help="measured runs per scenario")
    args = parser.parse_args(argv)
    shapes = [("one-case", int(n)) for n in args.one_case.split(",") if n] + [
        ("per-case", int(n)) for n in args.per_case.split(",") if n
    ]
    print(f"nproc={os.cpu_count()} repeat={args.repeat} python={sys.version.split()[0]}")
    rows = {}
    with tempfile.TemporaryDirectory(prefix="bstm-per-case-") as tmp:
        env = clean_env({})
        service = ServiceProcess(SEED, env)
        env["BROWSERSTACK_USERNAME"] = service.username
        env["BROWSERSTACK_ACCESS_KEY"] = service.access_key
        try:
            for shape, size in shapes:
                root = Path(tmp)
                suite = one_case_suite(root, size) if shape == "one-case" else generate(root, size)
                cases = 1 if shape == "one-case" else size
                measure(service, env, suite, cases, False)  # warm-up: bytecode, disk cache
                measure(service, env, suite, cases, True)
                plain: list[float] = []
                bstm: list[float] = []
                own: list[float] = []
                journal: list[int] = []
                for _ in range(args.repeat):  # interleaved: a change of load hits both alike
                    base = measure(service, env, suite, cases, False)[0]
                    plain.append(base.wall)
                    sample, size_bytes = measure(service, env, suite, cases, True)
                    bstm.append(sample.wall)
                    own.append((sample.main_cpu_us or 0.0) - (base.main_cpu_us or 0.0))
                    journal.append(size_bytes)
                row = (
                    statistics.median(plain),
                    statistics.median(bstm),
                    statistics.median(own),
                    statistics.median(journal) / size,
                )
                rows[(shape, size)] = row
                print(
                    f"{shape:>8} N={size:<6} plain {row[0]:7.2f}s  bstm {row[1]:7.2f}s  "
                    f"ratio {row[1] / row[0]:5.3f}  main CPU added {row[2]:6.1f} us/test  "
                    f"journal {row[3]:6.1f} B/test  load {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
        finally:
            service.stop()
    one = [(n, r) for (s, n), r in rows.items() if s == "one-case"]
    per = [r for (s, _), r in rows.items() if s == "per-case"]
    if one and per:
        largest = max(one)[1]
        gap = largest[1] / largest[0] - per[0][1] / per[0][0]
        verdict = "PASS" if gap <= 0.05 else "FAIL"
        print(f"{verdict}  one-case ratio at N={max(one)[0]} minus per-case ratio: {gap:+.3f}")
    if len(one) > 1:
        grows = max(one)[1][3] > min(one)[1][3] * 1.2
        print(f"{'FAIL' if grows else 'PASS'}  journal bytes per test do not grow with N")
    return 0


if __name__ == "__main__":
    sys.exit(main())

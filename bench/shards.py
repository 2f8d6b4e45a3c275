"""Many CI shards joining one run at once under the account's rate limit.

Run ``python bench/shards.py`` (``--help`` for options). For each shard count, an emulator
enforcing the documented limit (300 requests per 60 s per account, 429 without ``Retry-After``)
serves one open run; that many pytest processes of ``--tests`` mapped tests each start at once
with ``--bstm-run TR-1 --bstm-no-close``. ``--scale S`` divides the window and the count by S
(and tells the plugin the window through ``BSTM_RATE_LIMIT_WINDOW``) for a quicker picture of
the same shape. Printed per shard count: the wall time until the last shard exited, the
slowest shard, requests answered and refused (429), results stored, shards that failed.
The benchmark reports and never asserts.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pytest_bstm.api import Client, models
from pytest_bstm.emulator import Emulator

PROJECT = "PR-1"
LIMIT, WINDOW = 300, 60.0  # api-notes: 300 requests per minute per account group


def suite(folder: Path, shard: int, tests: int) -> None:
    folder.mkdir(parents=True)
    lines = ["import pytest", ""]
    for i in range(tests):
        lines += [f'@pytest.mark.tc("TC-{shard * tests + i + 1}")', f"def test_{i}():", "    pass"]
    (folder / f"test_shard_{shard}.py").write_text("\n".join(lines) + "\n", encoding="utf-8")


def measure(shards: int, tests: int, scale: float, root: Path) -> dict[str, float]:
    window, count = WINDOW / scale, max(1, int(LIMIT / scale))
    with Emulator() as emu:
        emu.add_test_cases(PROJECT, [f"TC-{n}" for n in range(1, shards * tests + 1)])
        with Client(base_url=emu.url, username=emu.username, access_key=emu.access_key) as c:
            run_id = c.create_run(PROJECT, models.NewTestRun(name="shards")).identifier
        emu.faults.rate_limit(count, window=window)
        env = {
            **os.environ,
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            "BROWSERSTACK_USERNAME": emu.username,
            "BROWSERSTACK_ACCESS_KEY": emu.access_key,
            "BSTM_RATE_LIMIT_WINDOW": str(window),
        }
        for name in ("BSTM_PROJECT", "BSTM_URL", "BSTM_RUN", "PYTEST_ADDOPTS"):
            env.pop(name, None)
        started = time.monotonic()
        procs = []
        for shard in range(shards):
            folder = root / f"{shards}-{shard}"
            suite(folder, shard, tests)
            args = [
                sys.executable, "-m", "pytest", "-q", "-p", "pytest_bstm.plugin",
                "-p", "no:cacheprovider", "--bstm-url", emu.url, "--bstm-project", PROJECT,
                "--bstm-run", run_id, "--bstm-no-close", "--bstm-drain-timeout", "600",
            ]  # fmt: skip
            procs.append(
                subprocess.Popen(
                    args, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
                )
            )
        ends = []
        failed = 0
        for proc in procs:
            out = proc.communicate(timeout=1800)[0].decode()
            ends.append(time.monotonic() - started)
            failed += proc.returncode != 0 or "error:" in out or "waiting:" in out
        log = emu.requests
        return {
            "wall": max(ends),
            "requests": sum(r["status"] != 429 for r in log) - 1,  # without the set-up create
            "refused": sum(r["status"] == 429 for r in log),
            "stored": len(emu.results(run_id)),
            "failed": failed,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shards", default="8,16,32", help="shard counts (default 8,16,32)")
    parser.add_argument("--tests", type=int, default=100, help="tests per shard (default 100)")
    parser.add_argument("--scale", type=float, default=1.0, help="divide window and count by S")
    args = parser.parse_args(argv)
    print(
        f"limit {max(1, int(LIMIT / args.scale))} requests per {WINDOW / args.scale:g} s, "
        f"{args.tests} tests per shard, python {sys.version.split()[0]}, {os.cpu_count()} cores"
    )
    print(f"{'shards':>6} {'wall s':>8} {'answered':>9} {'429':>5} {'results':>8} {'failed':>7}")
    with tempfile.TemporaryDirectory(prefix="bstm-shards-") as tmp:
        for shards in (int(s) for s in args.shards.split(",")):
            m = measure(shards, args.tests, args.scale, Path(tmp))
            print(
                f"{shards:>6} {m['wall']:>8.1f} {m['requests']:>9.0f} {m['refused']:>5.0f} "
                f"{m['stored']:>4.0f}/{shards * args.tests:<4} {m['failed']:>6.0f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Many CI shards join one run at once under the account's rate limit (scaled down here: 20
requests per 5 s, 429 without ``Retry-After``): they wait it out together, none gives up
early, and every result arrives exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_bstm.api import Client, models
from pytest_bstm.emulator import Emulator

SHARDS = 8
TESTS = 40
WINDOW = 5.0


def shard_suite(folder: Path, shard: int) -> None:
    folder.mkdir()
    lines = ["import pytest", ""]
    for i in range(TESTS):
        case = shard * TESTS + i + 1
        body = "assert False" if i == 0 else "pass"
        lines += [f'@pytest.mark.tc("TC-{case}")', f"def test_{i}():", f"    {body}", ""]
    (folder / f"test_shard{shard}.py").write_text("\n".join(lines), encoding="utf-8")


def answered(output: str) -> int:
    """Requests of one shard the service answered other than 429 (its ``-v`` summary)."""
    words = output.split("requests:   ")[1].split("\n", maxsplit=1)[0].split()
    limited = int(words[4].lstrip("(")) if len(words) > 4 else 0
    return int(words[0]) - limited


def test_eight_shards_under_the_rate_limit_lose_nothing(emulator: Emulator, tmp_path: Path) -> None:
    cases = [f"TC-{n}" for n in range(1, SHARDS * TESTS + 1)]
    emulator.add_test_cases("PR-1", cases)
    with Client(
        base_url=emulator.url, username=emulator.username, access_key=emulator.access_key
    ) as client:
        run_id = client.create_run("PR-1", models.NewTestRun(name="shards")).identifier
    emulator.faults.rate_limit(20, window=WINDOW)
    env = {
        **os.environ,
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "BROWSERSTACK_USERNAME": emulator.username,
        "BROWSERSTACK_ACCESS_KEY": emulator.access_key,
        "BSTM_RATE_LIMIT_WINDOW": str(WINDOW),
    }
    for name in ("BSTM_PROJECT", "BSTM_URL", "BSTM_RUN", "PYTEST_ADDOPTS"):
        env.pop(name, None)
    procs = []
    started = time.monotonic()
    for shard in range(SHARDS):
        folder = tmp_path / f"shard{shard}"
        shard_suite(folder, shard)
        args = [
            sys.executable, "-m", "pytest", "-p", "pytest_bstm.plugin", "-p", "no:cacheprovider",
            "-v", "--bstm-url", emulator.url, "--bstm-project", "PR-1", "--bstm-run", run_id,
            "--bstm-no-close", "--bstm-drain-timeout", "120",
        ]  # fmt: skip
        procs.append(
            subprocess.Popen(
                args,
                cwd=folder,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    elapsed = time.monotonic() - started
    for out, proc in zip(outputs, procs, strict=True):
        assert proc.returncode == 1, out  # one failing test per shard: pytest's own code
        assert "error:" not in out, out
        assert "waiting:" not in out, out
        assert f"results:    {TESTS} uploaded" in out, out
    results = emulator.results(run_id)
    assert sorted(r["test_case_id"] for r in results) == sorted(cases)
    failed = {r["test_case_id"] for r in results if r["status"] == "failed"}
    assert failed == {f"TC-{s * TESTS + 1}" for s in range(SHARDS)}
    limited = [r for r in emulator.requests if r["status"] == 429]
    assert limited, "the limit was never reached: the test proves nothing"
    per_shard = [answered(out) for out in outputs]
    print(f"{SHARDS} shards: {elapsed:.1f} s, requests per shard {per_shard}, {len(limited)} 429s")
    # details, link, cases, add, a few polls, one batch (429s not counted)
    assert max(per_shard) <= 10, per_shard
    assert elapsed < 120
    for shard in range(SHARDS):
        assert not (tmp_path / f"shard{shard}" / ".bstm").exists()  # everything was sent


@pytest.fixture(autouse=True)
def _no_limit_after(emulator: Emulator) -> Iterator[None]:
    yield
    emulator.faults.clear()

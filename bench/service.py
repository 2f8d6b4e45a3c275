"""The emulator in its own process, driven by the benchmark over stdin/stdout (JSON lines).

The measured pytest process and the benchmark never share an interpreter with the service: its
threads and CPU are counted nowhere but in its own line of the report.

Run by :class:`ServiceProcess`; one command per line, one answer per line:
``["reset", project, case_ids]``, ``["latency", seconds]``, ``["session", project]`` (the
requests since the reset, the runs, results stored, whether closed), ``["cpu"]``, ``["stop"]``.
"""

from __future__ import annotations

import contextlib
import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def serve(seed: dict[str, Any]) -> None:
    from pytest_bstm.emulator import Emulator

    emulator = Emulator(port=0, seed=seed).start()
    out = sys.stdout
    hello = {"url": emulator.url, "username": emulator.username, "key": emulator.access_key}
    out.write(json.dumps(hello) + "\n")
    out.flush()
    for line in sys.stdin:
        command, *args = json.loads(line)
        answer: Any = None
        if command == "reset":
            emulator.reset()
            emulator.add_test_cases(args[0], args[1])
        elif command == "latency":
            emulator.faults.latency(float(args[0]))
        elif command == "session":
            runs = emulator.runs(args[0])
            answer = {
                "requests": [{"method": r["method"], "path": r["path"]} for r in emulator.requests],
                "runs": len(runs),
                "results": sum(len(emulator.results(r["identifier"])) for r in runs),
                "closed": bool(runs) and all(r["active_state"] == "closed" for r in runs),
            }
        elif command == "cpu":
            answer = _cpu()
        elif command == "stop":
            break
        out.write(json.dumps(answer) + "\n")
        out.flush()
    emulator.stop()


class ServiceProcess:
    """Starts ``python bench/service.py`` and talks to it."""

    def __init__(self, seed: dict[str, Any], env: dict[str, str]) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, str(HERE / "service.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(seed) + "\n")
        self._proc.stdin.flush()
        hello = self._read()
        self.url: str = hello["url"]
        self.username: str = hello["username"]
        self.access_key: str = hello["key"]

    def _read(self) -> Any:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the emulator process ended (exit {self._proc.poll()})")
        return json.loads(line)

    def call(self, *command: Any) -> Any:
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps(command) + "\n")
        self._proc.stdin.flush()
        return self._read()

    def stop(self) -> None:
        if self._proc.poll() is None:
            with contextlib.suppress(OSError, RuntimeError):
                self.call("stop")
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


if __name__ == "__main__":
    serve(json.loads(sys.stdin.readline()))

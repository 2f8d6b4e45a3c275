"""Links on the host the session used, a closing line, and the final upload's progress."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import requests
from bstm_helpers import Inner

from pytest_bstm.api import Client, models

TWO = """
import pytest

@pytest.mark.tc("TC-1")
def test_one():
    pass

@pytest.mark.tc("TC-2")
def test_two():
    pass
"""


def section(result: pytest.RunResult) -> list[str]:
    """The lines of the ``bstm`` summary section."""
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if "- bstm -" in line)
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("=="))
    return lines[start + 1 : end]


def test_a_joined_run_gets_a_link_on_the_host_used_and_a_closing_line(inner: Inner) -> None:
    emu = inner.emulator
    with Client(base_url=emu.url, username=emu.username, access_key=emu.access_key) as client:
        rid = client.create_run("PR-1", models.NewTestRun(name="shared")).identifier
    inner.pytester.makepyfile(TWO)
    result = inner.run("--bstm-run", rid)
    lines = section(result)
    link = f"{emu.url}/projects/1/test-runs/{rid}"
    assert f"link:       {link}" in lines
    page = requests.get(link, auth=(emu.username, emu.access_key), timeout=10)  # it opens
    assert (page.status_code, page.json()["identifier"]) == (200, rid)
    assert lines[-1].startswith(f"2 results uploaded to {rid} in ")
    assert lines[-1].endswith(" s")


def test_the_closing_line_counts_what_is_left(inner: Inner) -> None:
    inner.pytester.makepyfile(TWO)
    inner.emulator.faults.fail(status=500, times=10_000, path_contains="/results")
    result = inner.run("--bstm-drain-timeout", "1")
    inner.emulator.faults.clear()
    rid = inner.only_run()["identifier"]
    assert section(result)[-1].startswith(f"0 of 2 results uploaded to {rid} in ")


def test_a_slow_final_upload_shows_plain_progress_lines_when_not_a_terminal(
    inner: Inner,
) -> None:
    inner.pytester.makepyfile(TWO)
    inner.emulator.faults.latency(2.0, times=1)  # the create answers late: the end waits
    result = inner.run()
    told = [line for line in result.stdout.lines if "bstm: uploading" in line]
    # one line per 5 s at most; its seconds are those waited when it was printed (1 s, or
    # a little later on a loaded machine)
    assert len(told) == 1, told
    assert re.fullmatch(r"bstm: uploading, 2 results left \([12] s\)", told[0]), told
    assert section(result)[-1].startswith("2 results uploaded to TR-1 in ")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_on_a_terminal_the_progress_line_is_updated_in_place(inner: Inner) -> None:
    import pty

    inner.pytester.makepyfile(TWO)
    inner.emulator.faults.latency(2.0, times=1)
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "100"}
    with subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", *inner.args()],
        cwd=inner.pytester.path,
        stdout=follower,
        stderr=follower,
        env=env,
    ) as proc:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait(timeout=60) == 0
    os.close(leader)
    out = b"".join(chunks).decode(errors="replace")
    lines = out.replace("\r\n", "\n").split("\n")
    progress = [line for line in lines if "bstm: uploading" in line]
    assert len(progress) == 1  # one line, rewritten in place
    assert progress[0].count("\rbstm: uploading, 2 results left (") >= 2
    assert "2 passed" in out
    assert any(line.startswith("2 results uploaded to TR-1 in ") for line in lines)

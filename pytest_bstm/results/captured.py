"""``--bstm-attach-output``: the captured stdout, stderr and log of a failed test as text
attachments of its results (the tail, at most :data:`MAX_BYTES` each, cut where a character
starts, after a line saying how much was left out).

Registered where tests run (pytest's process, xdist workers) only when asked for. The text is
what pytest's own report shows under "Captured stdout call" and the like: the sections of the
first report of the test that failed (a call's report holds its setup's output too).
"""

from __future__ import annotations

from collections.abc import Callable, Generator

import pytest

from pytest_bstm.results.evidence import EvidenceRecorder

MAX_BYTES = 1024 * 1024
STREAMS = (("stdout", "capstdout"), ("stderr", "capstderr"), ("log", "caplog"))


class CapturedOutput:
    def __init__(self, recorder: EvidenceRecorder, mask: Callable[[str], str] = str) -> None:
        self.recorder = recorder
        self.mask = mask  # the access key, should a test print it (masking.Redactor)
        self._done: set[str] = set()  # tests whose output was attached (once per test)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if report.when == "teardown":
            self._done.discard(item.nodeid)
        if report.failed and item.nodeid not in self._done:
            self._done.add(item.nodeid)
            for name, attribute in STREAMS:
                text = getattr(report, attribute, "")
                if text:
                    data = tail(self.mask(text).encode("utf-8", "replace"), MAX_BYTES)
                    self.recorder.attach(item.nodeid, data, f"{name}.txt", "text/plain")
        return report


def tail(data: bytes, limit: int = MAX_BYTES) -> bytes:
    """``data`` when at most ``limit`` bytes, else a line saying how much was left out and
    the end of it, cut where a character starts (valid UTF-8), ``limit`` bytes in all."""
    if len(data) <= limit:
        return data
    marker_room = 80  # the marker line's bytes, at most
    start = len(data) - (limit - marker_room)
    while start < len(data) and data[start] & 0xC0 == 0x80:  # a continuation byte
        start += 1
    marker = f"[... first {start:,} bytes of {len(data):,} left out ...]\n".encode()
    return marker + data[start:]

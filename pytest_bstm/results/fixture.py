"""The ``bstm`` fixture, and its methods as functions for hooks and fixtures that hold an item
or a request (``pytest_bstm.attach``, ``pytest_bstm.link``, ``pytest_bstm.browserstack_session``).

What they record is kept by the process's :class:`~pytest_bstm.results.evidence.EvidenceRecorder`;
a BrowserStack session is followed by :mod:`pytest_bstm.results.automate` (imported on first use:
an inert session never loads it).
"""

from __future__ import annotations

import os
from typing import IO, Any

import pytest

from pytest_bstm.results.evidence import EvidenceRecorder, recorder_of


class Evidence:
    """The ``bstm`` fixture: evidence for every result of the test that requested it."""

    def __init__(
        self,
        recorder: EvidenceRecorder | None,
        nodeid: str,
        request: pytest.FixtureRequest | None = None,
    ) -> None:
        self._recorder = recorder
        self.nodeid = nodeid
        self._request = request  # of a module, class or session fixture: sessions are shared

    def attach(
        self,
        path_or_bytes: str | os.PathLike[str] | bytes | bytearray | memoryview | IO[Any],
        name: str | None = None,
        content_type: str | None = None,
    ) -> None:
        """Attach a file (copied now), bytes (a bytearray, a memoryview) or a binary file object
        (a ``BytesIO``: its buffer) to each result of the test; never raises: a file that is
        missing, unreadable or over 50 MB, or anything else, is one summary line."""
        if self._recorder is not None:
            self._recorder.attach(self.nodeid, path_or_bytes, name, content_type)

    def link(self, url: str, label: str | None = None) -> None:
        """Add a line ``label: url`` to the description of each result of the test."""
        if self._recorder is not None:
            self._recorder.link(self.nodeid, url, label)

    def browserstack_session(self, driver_or_page: Any) -> dict[str, Any] | None:
        """Link a BrowserStack Automate session and mark it passed or failed at the test's
        end; returns the session's details, or None off BrowserStack (nothing happens)."""
        if self._recorder is None:
            return None
        from pytest_bstm.results.automate import follow  # noqa: PLC0415

        return follow(self._recorder, self.nodeid, driver_or_page, self._request)


Node = pytest.Item | pytest.FixtureRequest


def attach(
    item_or_request: Node,
    path_or_bytes: str | os.PathLike[str] | bytes | bytearray | memoryview | IO[Any],
    name: str | None = None,
    content_type: str | None = None,
) -> None:
    """``bstm.attach`` for hooks and fixtures that hold an item or a request."""
    Evidence(*recorder_of(item_or_request)).attach(path_or_bytes, name, content_type)


def link(item_or_request: Node, url: str, label: str | None = None) -> None:
    """``bstm.link`` for hooks and fixtures that hold an item or a request."""
    Evidence(*recorder_of(item_or_request)).link(url, label)


def browserstack_session(item_or_request: Node, driver_or_page: Any) -> dict[str, Any] | None:
    """``bstm.browserstack_session`` for hooks and fixtures that hold an item or a request."""
    scoped = item_or_request if isinstance(item_or_request, pytest.FixtureRequest) else None
    if scoped is not None and isinstance(scoped.node, pytest.Item):
        scoped = None
    evidence = Evidence(*recorder_of(item_or_request), scoped)
    return evidence.browserstack_session(driver_or_page)

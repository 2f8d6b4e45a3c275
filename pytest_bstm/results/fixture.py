"""The ``bstm`` fixture, and its methods as functions for hooks and fixtures that hold an item
or a request (``pytest_bstm.attach``, ``pytest_bstm.link``, ``pytest_bstm.browserstack_session``).

What they record is kept by the process's :class:`~pytest_bstm.results.evidence.EvidenceRecorder`;
a BrowserStack session is followed by :mod:`pytest_bstm.results.automate` (imported on first use:
an inert session never loads it).
"""

from __future__ import annotations

import os
import re
from typing import IO, Any
from urllib.parse import urlsplit

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
        missing, unreadable, no regular file or over 50 MB, or anything else, is one summary
        line. A ``name`` or ``content_type`` of the wrong kind is the caller's bug: a
        ``TypeError`` or ``ValueError`` here, at the call."""
        check_attach(name, content_type)
        if self._recorder is not None:
            self._recorder.attach(self.nodeid, path_or_bytes, name, content_type)

    def link(self, url: str, label: str | None = None) -> None:
        """Add a line ``label: url`` to the description of each result of the test; a ``url``
        that is no absolute URL, or a ``label`` that is no text, is a ``TypeError`` or
        ``ValueError`` here, at the call."""
        check_link(url, label)
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
_PRINTABLE = re.compile(r"[\x20-\x7e]*")  # one line of ASCII: nothing to inject into a header


def check_attach(name: object, content_type: object) -> None:
    """``attach``'s own arguments, checked at the call (the data's problems are notes)."""
    if name is not None and not isinstance(name, str):
        kind = type(name).__name__
        raise TypeError(f"attach(): name must be a str such as 'shot.png' or None, not {kind}")
    if content_type is None:
        return
    if not isinstance(content_type, str):
        kind = type(content_type).__name__
        raise TypeError(
            f"attach(): content_type must be a str such as 'image/png' or None, not {kind}"
        )
    if not _PRINTABLE.fullmatch(content_type):
        raise ValueError(
            "attach(): content_type must be printable ASCII on one line, such as 'image/png', "
            f"not {content_type!r}"
        )


def check_link(url: object, label: object) -> None:
    """``link``'s arguments: an absolute URL with a host, a str label or None."""
    if not isinstance(url, str):
        kind = type(url).__name__
        raise TypeError(f"link(): url must be a str such as 'https://ci.example.com/1', not {kind}")
    parts = urlsplit(url) if _PRINTABLE.fullmatch(url) and " " not in url else None
    if parts is None or not parts.scheme or not parts.netloc:
        raise ValueError(
            f"link(): url must be an absolute URL such as 'https://ci.example.com/1', not {url!r}"
        )
    if label is not None and not isinstance(label, str):
        kind = type(label).__name__
        raise TypeError(f"link(): label must be a str or None, not {kind}")


def _node(item_or_request: object, call: str) -> Node:
    """The item or request a function for hooks was given; anything else is the caller's bug."""
    if isinstance(item_or_request, (pytest.Item, pytest.FixtureRequest)):
        return item_or_request
    kind = type(item_or_request).__name__
    raise TypeError(
        f"pytest_bstm.{call}() takes the test's item or a fixture's request first, not {kind} "
        f"(in a test, use the bstm fixture: bstm.{call}(...))"
    )


def attach(
    item_or_request: Node,
    path_or_bytes: str | os.PathLike[str] | bytes | bytearray | memoryview | IO[Any],
    name: str | None = None,
    content_type: str | None = None,
) -> None:
    """``bstm.attach`` for hooks and fixtures that hold an item or a request."""
    node = _node(item_or_request, "attach")
    Evidence(*recorder_of(node)).attach(path_or_bytes, name, content_type)


def link(item_or_request: Node, url: str, label: str | None = None) -> None:
    """``bstm.link`` for hooks and fixtures that hold an item or a request."""
    Evidence(*recorder_of(_node(item_or_request, "link"))).link(url, label)


def browserstack_session(item_or_request: Node, driver_or_page: Any) -> dict[str, Any] | None:
    """``bstm.browserstack_session`` for hooks and fixtures that hold an item or a request."""
    item_or_request = _node(item_or_request, "browserstack_session")
    scoped = item_or_request if isinstance(item_or_request, pytest.FixtureRequest) else None
    if scoped is not None and isinstance(scoped.node, pytest.Item):
        scoped = None
    evidence = Evidence(*recorder_of(item_or_request), scoped)
    return evidence.browserstack_session(driver_or_page)

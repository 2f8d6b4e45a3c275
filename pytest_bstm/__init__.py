"""pytest-bstm: report pytest results to BrowserStack Test Management.

``pytest_bstm.attach(item_or_request, path_or_bytes, name=None, content_type=None)``,
``pytest_bstm.link(item_or_request, url, label=None)`` and
``pytest_bstm.browserstack_session(item_or_request, driver_or_page)`` are the ``bstm``
fixture's methods for hooks and fixtures that hold an item or a request (imported on first
use: the emulator and the ``bstm`` command import this package without pytest).
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Evidence", "attach", "browserstack_session", "link"]

_EVIDENCE = frozenset(__all__)


def __getattr__(name: str) -> Any:
    if name in _EVIDENCE:
        from pytest_bstm.results import fixture  # noqa: PLC0415

        return getattr(fixture, name)
    raise AttributeError(f"module 'pytest_bstm' has no attribute {name!r}")

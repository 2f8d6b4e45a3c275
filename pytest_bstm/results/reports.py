"""What one report says, for a description: the error's own first line, a bounded excerpt of
the traceback, the label of a subtest."""

from __future__ import annotations

import re

import pytest

MAX_EXCERPT_LINES = 12
MAX_EXCERPT_CHARS = 1200


def short_message(report: pytest.TestReport) -> str | None:
    """The error's own first line: the reason of a skip, the crash message of a failure, the
    error string of a fixture lookup (``fixture 'databse' not found``), the text of
    ``pytest.fail(pytrace=False)``; never the location line that ends pytest's report."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return _first_line(str(longrepr[2]))
    for found in (
        getattr(longrepr, "errorstring", None),  # a fixture lookup error
        getattr(getattr(longrepr, "reprcrash", None), "message", None),
    ):
        if isinstance(found, str) and found.strip():
            return _first_line(found)
    text = report.longreprtext.strip()
    lines = [line for line in text.splitlines() if line.strip() and not _LOCATION.match(line)]
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    return _first_line(errors[0]) if errors else (lines[-1].strip() if lines else None)


def _first_line(text: str) -> str | None:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0].strip() if lines else None


_LOCATION = re.compile(r"^\S+:\d+(: .*)?$")  # "path/test_x.py:7" or "path:7: Error"


def excerpt(report: pytest.TestReport) -> str | None:
    if not report.failed:
        return None
    lines = report.longreprtext.strip().splitlines()[-MAX_EXCERPT_LINES:]
    text = "\n".join(lines)
    return text[-MAX_EXCERPT_CHARS:] if text else None


def subtest_label(report: pytest.TestReport) -> str | None:
    """``[msg] (i=1)`` for a subtest report (pytest's ``subtests``, unittest ``subTest``,
    the pytest-subtests plugin); None for a test's own report."""
    context = getattr(report, "context", None)
    if context is None or not hasattr(context, "kwargs"):
        return None
    parts = []
    msg = getattr(context, "msg", None)
    if msg is not None:
        parts.append(f"[{msg}]")
    kwargs = dict(getattr(context, "kwargs", None) or {})
    if kwargs:
        parts.append("(" + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")")
    return " ".join(parts) or "(<subtest>)"

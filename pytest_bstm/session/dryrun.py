"""``--bstm-dry-run``: the real lifecycle over a recording transport.

The session runs exactly as it would, against a private in-process emulator standing in for
the service (seeded with the project, the mapped cases and, for ``--bstm-run``/``--bstm-clone``,
an empty run of that ID), and every request is recorded on its way. The summary prints the
recorded calls, so what it shows is what the session does, not a description of it. Nothing
reaches the service and no credentials are needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from pytest_bstm.api import Transport

BODY_LIMIT = 160


@dataclass(frozen=True)
class Call:
    """One recorded request: method, path with query, JSON body."""

    method: str
    path: str
    body: Any = None


class Recorder:
    """A transport factory for ``Client(transport=...)`` that records each request."""

    def __init__(self) -> None:
        self.calls: list[Call] = []

    def __call__(self, session: requests.Session) -> Transport:
        return _Recording(session, self.calls)


class _Recording:
    def __init__(self, session: requests.Session, calls: list[Call]) -> None:
        self._session = session
        self._calls = calls

    def request(
        self, method: str, url: str, *, params: Any = None, json: Any = None, timeout: Any = None
    ) -> requests.Response:
        path = urlsplit(url).path
        if params:
            path += "?" + urlencode(params, doseq=True)
        self._calls.append(Call(method, path, json))
        return self._session.request(method, url, params=params, json=json, timeout=timeout)

    def close(self) -> None:
        self._session.close()


def _body(call: Call) -> str:
    body = call.body
    if body is None:
        return ""
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        return f" ({len(body['results'])} results)"
    text = json.dumps(body, separators=(",", ":"), sort_keys=True)
    return " " + (text if len(text) <= BODY_LIMIT else text[: BODY_LIMIT - 3] + "...")


def signature(calls: list[Call]) -> list[tuple[str, str]]:
    """(method, path) of each call, repeated polls of one path folded into one."""
    out: list[tuple[str, str]] = []
    for call in calls:
        item = (call.method, call.path.split("?")[0])
        if not out or out[-1] != item or call.method != "GET":
            out.append(item)
    return out


def render(calls: list[Call]) -> list[str]:
    """One line per call, with a bounded body excerpt; repeated polls folded (``x3``)."""
    lines: list[str] = []
    last: tuple[str, str] | None = None
    repeats = 0
    for call in calls:
        item = (call.method, call.path)
        if item == last and call.method == "GET":
            repeats += 1
            lines[-1] = f"{call.method:<5} {call.path} x{repeats + 1}"
            continue
        last, repeats = item, 0
        lines.append(f"{call.method:<5} {call.path}{_body(call)}")
    return lines

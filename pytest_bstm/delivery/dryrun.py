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

from pytest_bstm.api import Client, Transport, errors
from pytest_bstm.config.settings import Settings
from pytest_bstm.vocabulary import SYSTEM_STATUSES

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
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        json: Any = None,
        timeout: Any = None,
        files: Any = None,
        headers: Any = None,
    ) -> requests.Response:
        path = urlsplit(url).path
        if params:
            path += "?" + urlencode(params, doseq=True)
        if files:  # an attachment: its name and size, never its bytes
            json = {k: f"{f[0]} ({_count(len(f[1]), 'byte')})" for k, f in files.items()}
            self._calls.append(Call(method, path, json))
            return self._session.request(
                method, url, params=params, files=files, headers=headers, timeout=timeout
            )
        self._calls.append(Call(method, path, json))
        return self._session.request(method, url, params=params, json=json, timeout=timeout)

    def close(self) -> None:
        self._session.close()


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _body(call: Call, full: bool) -> str:
    body = call.body
    if body is None:
        return ""
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        return f" ({_count(len(body['results']), 'result')})"
    text = json.dumps(body, separators=(",", ":"), sort_keys=True)
    return " " + (text if full or len(text) <= BODY_LIMIT else text[: BODY_LIMIT - 3] + "...")


def render(calls: list[Call], full: bool = False) -> list[str]:
    """One line per call, with a bounded body excerpt (``full``: the whole body); repeated
    polls folded (``x3``)."""
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
        lines.append(f"{call.method:<5} {call.path}{_body(call, full)}")
    return lines


def account(settings: Settings, read: Client | None) -> tuple[dict[str, Any], str | None]:
    """The private service's account (an emulator seed) and a note for the summary.

    With credentials (``read``), the project's cases, the account's configurations and the
    joined or cloned run's entries are read from the service (reads only), so the dry run meets
    the same unknown cases and configurations and the same case delta as the session. Without,
    every mapped case is assumed to exist and the run to hold none. The test plan named by the
    options exists either way.
    """
    s = settings
    project: dict[str, Any] = {"identifier": s.project, "test_cases": []}
    if s.test_plan or s.sub_test_plan:
        subs = [{"identifier": s.sub_test_plan, "name": "sub plan"}] if s.sub_test_plan else []
        plan = s.test_plan or "TP-1"
        project["test_plans"] = [{"identifier": plan, "name": "plan", "sub_test_plans": subs}]
    custom = [v for v in s.status_map.values() if v.lower() not in SYSTEM_STATUSES]
    runs: list[dict[str, Any]] = []
    configurations: list[dict[str, Any]] = []
    note = None
    existing = s.run_id or s.clone_id
    if read is None:
        note = "without credentials the dry run assumes every mapped case exists" + (
            f" and {existing} holds no case" if existing else ""
        )
    else:
        try:
            project["test_cases"] = [c.identifier for c in read.iter_project_test_cases(s.project)]
            configurations = [  # the IDs a create names are checked as the service would
                {"id": c.id, "name": c.name or f"Config {c.id}"} for c in read.iter_configurations()
            ]
            if existing:
                entries = list(read.iter_run_test_cases(s.project, existing, page_size=300))
                configs = sorted({c for e in entries if (c := e.configuration_id) is not None})
                cases = sorted({e.identifier for e in entries})
                pairs = [[e.identifier, e.configuration_id] for e in entries]  # exactly these
                runs.append({"test_cases": cases, "configurations": configs, "entries": pairs})
        except errors.BstmError as exc:
            note = f"the dry run could not read the service ({exc}); it assumed an empty run"
            project["test_cases"] = []
    if existing and not runs:
        runs.append({"test_cases": []})
    for run in runs:
        run.update(identifier=existing, project_id=s.project, name="existing run")
    seed = {"projects": [project], "runs": runs, "custom_statuses": custom}
    if configurations:
        seed["configurations"] = configurations
    return seed, note

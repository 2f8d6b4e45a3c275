"""The upload of attachments: one self-contained step after the results are sent.

Used by the session's upload thread and by ``bstm journal upload`` (and meant for any other
driver of a journal). Each attachment line of the journal (``type: attachment``, see
:mod:`pytest_bstm.delivery.journal`) names its result by (case, configuration); the result's
numeric ID is ``latest_result_id`` in the run's test-case listing (doc), read once per call.
Exactly once, across retries, lost answers and replays: before adding files to a result the
step lists the result's attachments and skips a name already there (names are unique within
a result, :func:`records_for`), and each file is marked ``attached`` in the journal once the
service has it. A copy is removed once attached.

Transient failures (transport, 5xx, 429) propagate: the caller tries again later with what is
still unattached. A permanent refusal (the file is gone, too big, the result unknown) is
marked ``attachment_failed`` with its reason and named in the summary.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_bstm.api import Client, errors
from pytest_bstm.delivery.events import UploadStopped, describe
from pytest_bstm.delivery.journal import Journal
from pytest_bstm.delivery.sender import TRANSIENT, Sender
from pytest_bstm.results.model import Result, TestOutcome
from pytest_bstm.vocabulary import MAX_ATTACHMENT_BYTES

Record = dict[str, Any]


@dataclass
class Attached:
    """What was done: files uploaded, those refused for good (``name (case): why``), and the
    IDs of both (kept across calls, so that a retry after a transient failure goes on)."""

    uploaded: int = 0
    failed: list[str] = field(default_factory=list)
    settled: set[str] = field(default_factory=set)


def records_for(result: Result, outcomes: list[TestOutcome], folder: Path) -> list[Record]:
    """The journal's attachment lines for ``result``: every file its tests attached, a name
    used twice made unique (``shot.png``, ``shot-2.png``), paths relative to ``folder``."""
    records: list[Record] = []
    names: set[str] = set()
    for outcome in outcomes:
        for ev in outcome.evidence:
            if ev.get("kind") != "attachment":
                continue
            name, n = ev["name"], 1
            while name in names:
                n += 1
                stem, dot, ext = ev["name"].rpartition(".")
                name = f"{stem}-{n}.{ext}" if dot and stem else f"{ev['name']}-{n}"
            names.add(name)
            file = Path(ev["file"])
            with contextlib.suppress(ValueError):
                file = file.relative_to(folder)
            records.append(
                {
                    "id": f"{result.key}-{len(records) + 1}",
                    "key": result.key,
                    "case": result.case_id,
                    "configuration": result.configuration_id,
                    "file": str(file),
                    "name": name,
                    "content_type": ev.get("content_type") or "application/octet-stream",
                    "size": ev.get("size"),
                    "nodeid": outcome.nodeid,
                }
            )
    return records


def upload(
    client: Client,
    project: str,
    run_id: str,
    journal: Journal,
    records: Iterable[Record],
    *,
    check: Callable[[], None] = lambda: None,
    done: Attached | None = None,
    others: Iterable[Record] = (),
) -> Attached:
    """Upload each of ``records`` (their results were sent) once; mark each in ``journal``.
    ``check`` runs before each write (the session's stop signal); ``done`` carries on what an
    earlier call did. A copy is removed once every record naming it is settled (``others``:
    records still to come that may name it too)."""
    done = done if done is not None else Attached()
    todo = [r for r in records if r["id"] not in done.settled]
    if not todo:
        return done
    try:
        _upload(client, project, run_id, journal, todo, check=check, done=done)
    finally:
        needed = {r["file"] for r in [*todo, *others] if r["id"] not in done.settled}
        for file in {r["file"] for r in todo} - needed:
            if not Path(file).is_absolute():  # a copy under the journal's folder: the plugin's
                with contextlib.suppress(OSError):
                    (journal.path.parent / file).unlink()
    return done


def _upload(
    client: Client,
    project: str,
    run_id: str,
    journal: Journal,
    todo: list[Record],
    *,
    check: Callable[[], None],
    done: Attached,
) -> None:
    check()
    ids = {
        (e.identifier, e.configuration_id): e.latest_result_id
        for e in client.iter_run_test_cases(project, run_id)
    }
    present: dict[str, list[str]] = {}  # result ID -> names already on it
    for record in todo:
        result_id = ids.get((record["case"], record["configuration"]))
        if result_id is None:
            _failed(journal, done, record, f"no result for {record['case']} in {run_id}")
            continue
        rid = str(result_id)
        if rid not in present:
            check()
            present[rid] = client.list_attachment_names(project, rid)
        if record["name"] in present[rid]:  # sent before, its mark lost (a kill, a lost answer)
            _attached(journal, done, record, count=False)
            continue
        path = Path(record["file"])
        if not path.is_absolute():
            path = journal.path.parent / path
        try:
            data = path.read_bytes()
        except OSError as exc:
            _failed(journal, done, record, f"cannot read its copy ({exc.strerror or exc})")
            continue
        if len(data) > MAX_ATTACHMENT_BYTES:
            _failed(journal, done, record, "over 50 MB")
            continue
        check()
        try:
            client.add_attachment(
                project, rid, name=record["name"], data=data, content_type=record["content_type"]
            )
        except errors.AmbiguousRequestError:
            present[rid] = client.list_attachment_names(project, rid)
            if record["name"] not in present[rid]:
                raise
        except errors.BstmError as exc:
            if isinstance(exc, errors.TRANSIENT):
                raise
            _failed(journal, done, record, str(exc))
            continue
        present[rid].append(record["name"])
        _attached(journal, done, record)


def _attached(journal: Journal, done: Attached, record: Record, count: bool = True) -> None:
    journal.attached([record["id"]])
    done.uploaded += count
    done.settled.add(record["id"])


def _failed(journal: Journal, done: Attached, record: Record, why: str) -> None:
    journal.attachment_failed(record["id"], why)
    done.failed.append(f"{record['name']} ({record['case']}): {why}")
    done.settled.add(record["id"])


class Pending:
    """A session's attachments, journaled as their results are submitted and uploaded once
    those results were delivered (the upload thread calls :meth:`step` at the session end)."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.records: list[Record] = []
        self.done = Attached()

    def add(self, result: Result, outcomes: list[TestOutcome]) -> None:
        """Main thread: journal the files ``result``'s tests attached (after the result)."""
        if any(o.evidence for o in outcomes):
            records = records_for(result, outcomes, self.journal.path.parent)
            if records:
                self.journal.attachments(records)
                self.records.extend(records)

    @property
    def waiting(self) -> int:
        return len([r for r in self.records if r["id"] not in self.done.settled])

    def step(self, sender: Sender, check: Callable[[], None]) -> None:
        """Upload what is left of the delivered results; transient failures propagate."""
        refused = {result.key for result, _ in sender.rejected}
        ready = []
        for record in self.records:
            if record["id"] in self.done.settled:
                continue
            if record["key"] in refused:  # nothing to attach to
                _failed(self.journal, self.done, record, "its result was refused")
            elif record["key"] in sender.done:
                ready.append(record)
        client, project, run_id = sender.client, sender.project, sender.run_id
        upload(
            client,
            project,
            run_id,
            self.journal,
            ready,
            check=check,
            done=self.done,
            others=self.records,
        )

    def settle(
        self, sender: Sender, check: Callable[[], None], note: Callable[[str], None]
    ) -> bool:
        """:meth:`step` for the upload thread: False when a transient failure asks for another
        try (``note`` tells it); anything else ends the step, named in the summary."""
        try:
            self.step(sender, check)
        except (*TRANSIENT, errors.AmbiguousRequestError) as exc:
            note(f"attachments: {describe(exc)}")
            return False
        except UploadStopped:
            raise
        except Exception as exc:
            self.done.failed.append(f"{type(exc).__name__}: {exc}")
        return True

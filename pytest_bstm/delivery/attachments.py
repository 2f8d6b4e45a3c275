"""The upload of attachments: one self-contained step after the results are sent.

Used by the session's upload thread and by ``bstm journal upload`` (and meant for any other
driver of a journal). Each attachment line of the journal (``type: attachment``, see
:mod:`pytest_bstm.delivery.journal` and :mod:`pytest_bstm.delivery.attachment_records`) names
its result by key: the file goes to the result whose description carries the key's marker
(the one this journal sent, read from the run's results once per call), else, when the
service kept no marker, to the pair's ``latest_result_id`` in the run's test-case listing
(doc). Another journal's result of the same case (a shard) never takes it by mistake.

Exactly once, across retries, lost answers and replays, per (journal, attachment): before
the ``POST`` an ``attaching`` mark records the result chosen and how many files of that name
it held then; a later try finds the mark and counts again: one more means the earlier try
landed (its ``attached`` mark was lost: a kill, a lost answer). A file of the same name that
another shard put on the result is never mistaken for this one, and never skipped. Each file
is marked ``attached`` once the service has it; a copy is removed once attached.

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
from pytest_bstm.delivery.records import KEY_RE
from pytest_bstm.delivery.sender import TRANSIENT, Sender
from pytest_bstm.vocabulary import MAX_ATTACHMENT_BYTES

Record = dict[str, Any]


@dataclass
class Attached:
    """What was done: files uploaded, those refused for good (``name (case): why``), and the
    IDs of both (kept across calls, so that a retry after a transient failure goes on)."""

    uploaded: int = 0
    failed: list[str] = field(default_factory=list)
    settled: set[str] = field(default_factory=set)


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
    targets = _targets(client, project, run_id, todo)
    present: dict[str, list[str]] = {}  # result ID -> names on it, as listed
    for record in todo:
        rid = record.get("result") or targets.get(record["key"])
        if rid is None:
            _failed(journal, done, record, f"no result for {record['case']} in {run_id}")
            continue
        rid, name = str(rid), record["name"]
        if rid not in present:
            check()
            present[rid] = client.list_attachment_names(project, rid)
        if "seen" in record and present[rid].count(name) > record["seen"]:
            _attached(journal, done, record, count=False)  # an earlier try landed
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
        if "seen" not in record:  # on disk before the POST: a replay knows what to count
            record.update(result=rid, seen=present[rid].count(name))
            journal.attaching(record["id"], rid, record["seen"])
        check()
        try:
            client.add_attachment(
                project, rid, name=name, data=data, content_type=record["content_type"]
            )
        except errors.AmbiguousRequestError:
            present[rid] = client.list_attachment_names(project, rid)
            if present[rid].count(name) <= record["seen"]:
                raise
        except errors.BstmError as exc:
            if isinstance(exc, errors.TRANSIENT):
                raise
            _failed(journal, done, record, str(exc))
            continue
        else:
            present[rid].append(name)
        _attached(journal, done, record)


def _targets(client: Client, project: str, run_id: str, todo: list[Record]) -> dict[str, str]:
    """Result key -> the ID of the result to attach to: the one whose description carries
    the key's marker (this journal's), else the pair's latest result (the run's listing)."""
    wanted = {r["key"] for r in todo if not r.get("result")}
    found: dict[str, str] = {}
    if not wanted:
        return found
    for result in client.iter_results(project, run_id):
        for match in KEY_RE.finditer(result.description or ""):
            if match.group(1) in wanted and result.id is not None:
                found[match.group(1)] = str(result.id)  # the newest listed wins
    if wanted - set(found):
        latest = {
            (e.identifier, e.configuration_id): e.latest_result_id
            for e in client.iter_run_test_cases(project, run_id)
        }
        for record in todo:
            rid = latest.get((record["case"], record["configuration"]))
            if record["key"] not in found and rid is not None:
                found[record["key"]] = str(rid)
    return found


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

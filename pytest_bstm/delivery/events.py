"""What the sender process tells pytest's process: typed events while tests run, and one final
:class:`DeliveryReport`. Both travel as JSON lines (:func:`encode`, :func:`decode`); nothing is
passed as a sentence to be parsed back into a fact. Stdlib only: pytest's process imports this
module, and it must not import the client stack (requests, pydantic).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from pytest_bstm.delivery.failures import Failure
from pytest_bstm.run.info import RunInfo

if TYPE_CHECKING:
    from pytest_bstm.delivery.failures import Remedy
    from pytest_bstm.results.model import Key
    from pytest_bstm.run.plan import RunPlan
    from pytest_bstm.run.prepare import Prepared

# the name of the folder pytest's process makes for a sender's events and stderr (a temporary
# folder's prefix); a sender that outlives its reader removes it
SENDER_FOLDER = "pytest-bstm-sender-"


class UploadStopped(Exception):
    """The session stopped waiting while the sender waited to retry; nothing more is sent."""


@dataclass(frozen=True)
class Counted:
    """How many cases, and (case, configuration) pairs, a change of the run's cases took: what
    the summary says (``14 added (27 with configurations)``). Counts, not the pairs: pytest's
    process never holds a copy of the run's cases."""

    cases: int = 0
    pairs: int = 0

    @classmethod
    def of(cls, pairs: Iterable[Key]) -> Counted:
        unique = set(pairs)
        return cls(len({case for case, _ in unique}), len(unique))

    def __bool__(self) -> bool:
        return self.pairs > 0


@dataclass(frozen=True)
class Ready:
    """The run is ready for results: what preparing it did, for the summary and the hooks."""

    run: RunInfo
    added: Counted = Counted()
    removed: Counted = Counted()
    assigned: Counted = Counted()
    unknown: frozenset[str] = frozenset()
    note: str | None = None


@dataclass(frozen=True)
class Event:
    """Something pytest's main thread must hear: ``ready`` and ``closed`` (``ready`` set),
    ``failed`` (the run could not be prepared, or uploads stopped for good), ``retrying``,
    ``note``, ``selected`` (``cases``: ``--bstm-select``'s answer, None when unknown),
    ``progress`` (``pending`` results left while the session end waits), ``configurations``
    (``listing``: the account's configurations as (ID, name) pairs, None when unread, and
    ``message`` why). ``failure``: what failed (``retrying``, ``failed``), counted for the
    session."""

    kind: str
    message: str = ""
    ready: Ready | None = None
    cases: frozenset[str] | None = None
    pending: int = 0
    listing: tuple[tuple[int, str], ...] | None = None
    failure: Failure | None = None


@dataclass(frozen=True)
class DeliveryReport:
    """What delivery did in the session, handed over once at its end."""

    sent: dict[str, int] = field(default_factory=dict)  # status -> results stored
    added: Counted = Counted()  # pairs added to the run: by its preparation and while sending
    rejected: tuple[tuple[str, tuple[str, ...], str], ...] = ()  # (case, nodeids, why)
    unknown_cases: tuple[str, ...] = ()  # rejected: not in the project
    pending: int = 0  # results journaled and not delivered
    attached: int = 0  # files uploaded to results
    attachments_waiting: int = 0  # kept in the journal
    not_attached: tuple[str, ...] = ()  # "name: why"
    requests: int = 0
    rate_limited: int = 0
    stopped: str | None = None  # why delivery stopped for good
    remedy: Remedy = "retry"  # what can deliver what is left (delivery.failures)
    errors: tuple[str, ...] = ()
    failure: Failure | None = None  # the session's latest failure, with its session count
    close_failure: Failure | None = None  # why the run's close did not happen
    never_reached: bool = False  # no request of the session reached the service
    interrupted: bool = False
    journal_failure: str | None = None
    url: str = ""  # the service the sender talked to
    select_error: str | None = None
    dry_run_calls: tuple[str, ...] = ()
    dry_run_note: str | None = None
    emulator_view: tuple[str, ...] = ()
    peak_kb: int = 0  # the sender process's own peak resident memory (KiB), not pytest's


def own_peak_kb() -> int:
    """This process's peak resident memory in KiB: ``VmHWM`` where ``/proc`` has it, else its
    own ``ru_maxrss`` (never a child's, never the parent's); 0 where neither is (Windows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    try:
        import resource  # noqa: PLC0415 (not on Windows)
    except ImportError:
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # macOS counts bytes


def ready_of(prepared: Prepared) -> Ready:
    """What pytest's process hears of a prepared run."""
    p = prepared
    counted = Counted.of
    return Ready(
        p.run, counted(p.added), counted(p.removed), counted(p.assigned), p.unknown, p.note
    )


def encode(item: Event | DeliveryReport) -> str:
    """One JSON line (no newline) for an event or the report."""
    if isinstance(item, DeliveryReport):
        return json.dumps({"type": "report", **asdict(item)})
    body = {"type": "event", "kind": item.kind, "message": item.message, "pending": item.pending}
    if item.cases is not None:
        body["cases"] = sorted(item.cases)
    if item.listing is not None:
        body["listing"] = [list(pair) for pair in item.listing]
    if item.failure is not None:
        body["failure"] = asdict(item.failure)
    if item.ready is not None:
        r = item.ready
        body["ready"] = {
            "run": asdict(r.run),
            "added": asdict(r.added),
            "removed": asdict(r.removed),
            "assigned": asdict(r.assigned),
            "unknown": sorted(r.unknown),
            "note": r.note,
        }
    return json.dumps(body)


def decode(line: str) -> Event | DeliveryReport:
    """The event or report :func:`encode` wrote."""
    body = json.loads(line)
    if body.pop("type") == "report":
        body["added"] = Counted(**body["added"])
        body["rejected"] = tuple((c, tuple(n), m) for c, n, m in body["rejected"])
        for name in ("errors", "dry_run_calls", "emulator_view", "not_attached", "unknown_cases"):
            body[name] = tuple(body[name])
        for name in ("failure", "close_failure"):
            body[name] = _failure(body[name])
        return DeliveryReport(**body)
    ready = body.get("ready")
    cases = body.get("cases")
    listing = body.get("listing")
    return Event(
        kind=body["kind"],
        message=body["message"],
        pending=body["pending"],
        cases=None if cases is None else frozenset(cases),
        listing=None if listing is None else tuple((int(c), str(n)) for c, n in listing),
        failure=_failure(body.get("failure")),
        ready=None
        if ready is None
        else Ready(
            run=RunInfo(**ready["run"]),
            added=Counted(**ready["added"]),
            removed=Counted(**ready["removed"]),
            assigned=Counted(**ready["assigned"]),
            unknown=frozenset(ready["unknown"]),
            note=ready["note"],
        ),
    )


def _failure(raw: Any) -> Failure | None:
    return None if raw is None else Failure(**raw)


def describe(exc: BaseException) -> str:
    """The error's message (each error says what to check, once)."""
    return str(exc) or type(exc).__name__


def preparing(plan: RunPlan) -> str:
    """What preparing ``plan`` does, for messages: ``join run TR-5``."""
    if plan.mode == "join":
        return f"join run {plan.run_id}"
    if plan.mode == "clone":
        return f"clone run {plan.source}"
    return "create the run"

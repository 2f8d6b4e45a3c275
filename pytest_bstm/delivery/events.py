"""What the upload thread tells the main thread, and the words its messages share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the plugin imports this module when reporting is off too
    from pytest_bstm.run.plan import RunPlan
    from pytest_bstm.run.prepare import Prepared


class UploadStopped(Exception):
    """The session stopped waiting while the thread waited to retry; nothing more is sent."""


@dataclass(frozen=True)
class Event:
    """Something the main thread must hear: ``ready`` (``prepared`` set), ``failed`` (the run
    could not be prepared, or uploads stopped for good), ``retrying`` and ``note``."""

    kind: str
    message: str = ""
    prepared: Prepared | None = None


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

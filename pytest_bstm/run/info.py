"""The run a session reports into: what the user hook ``pytest_bstm_run_ready`` receives.

Plain data (no client import): pytest's process learns it from the sender process's events.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunInfo:
    """The run a session reports into."""

    project: str
    run_id: str
    name: str | None
    mode: str
    web_url: str | None = None
    created: bool = False

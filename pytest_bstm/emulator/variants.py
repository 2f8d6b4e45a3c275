"""Switches between the answers real clients show the service giving where the doc is open.

Each switch has a default that follows the vendor reference (or our strict reading where it
says nothing), and the alternatives that the vendor's own code or clients of the live
service show. Set them with ``Emulator(variants={...})``, a seed's ``"variants"`` object, or
``emu.set_variants(...)`` (until the next ``reset()``).

- ``run_key``: where answers put the run. ``"doc"``: ``testrun`` for create, update and
  close, ``test_run`` for clone and details (the doc's examples); ``"testrun"``,
  ``"test_run"``: that key for every answer; ``"top"``: the run's fields at the top level,
  beside ``success`` (the vendor's code reads that).
- ``details_identifier``: False leaves ``identifier`` out of a run's details (seen by a tool
  measured against the live service).
- ``case_paths``: which paths serve add/remove test cases: ``"both"`` (default),
  ``"update-test-cases"`` (the doc's path only; ``PATCH .../test-cases`` answers 405) or
  ``"test-cases"`` (the vendor code's path only; the documented one answers 404).
- ``case_not_in_run``: a result for a project case that is not in the run under that
  configuration: ``"reject"`` (400 ``test_case_not_in_run``, nothing stored; our strict
  reading) or ``"add"`` (the pair joins the run and the result is stored).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

RUN_KEYS = ("doc", "testrun", "test_run", "top")
CASE_PATHS = ("both", "update-test-cases", "test-cases")
NOT_IN_RUN = ("reject", "add")

# The doc's key per answer.
_DOC_KEYS = {
    "create": "testrun",
    "update": "testrun",
    "close": "testrun",
    "clone": "test_run",
    "details": "test_run",
}


@dataclass(frozen=True)
class Variants:
    """The emulator's answer variants (see the module docstring)."""

    run_key: str = "doc"
    details_identifier: bool = True
    case_paths: str = "both"
    case_not_in_run: str = "reject"

    def __post_init__(self) -> None:
        for name, allowed in (
            ("run_key", RUN_KEYS),
            ("case_paths", CASE_PATHS),
            ("case_not_in_run", NOT_IN_RUN),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"variant {name} must be one of {', '.join(allowed)}, "
                    f"not {getattr(self, name)!r}"
                )
        if not isinstance(self.details_identifier, bool):
            raise ValueError("variant details_identifier must be true or false")

    def changed(self, changes: Mapping[str, Any]) -> Variants:
        """A copy with ``changes`` applied; unknown names are a ValueError."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise ValueError(f"unknown emulator variant(s): {', '.join(unknown)}")
        return dataclasses.replace(self, **changes)

    def run_answer(self, operation: str, run: dict[str, Any]) -> dict[str, Any]:
        """The answer of ``operation`` (create, update, close, clone, details) for ``run``."""
        key = _DOC_KEYS[operation] if self.run_key == "doc" else self.run_key
        if key == "top":
            return {"success": True, **run}
        return {"success": True, key: run}

    def serves(self, path: str) -> bool:
        """Whether ``path`` (``"update-test-cases"`` or ``"test-cases"``) takes changes."""
        return self.case_paths in ("both", path)

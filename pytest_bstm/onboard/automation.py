"""``bstm cases sync``, automation coverage: every case a test maps to is ``automated`` in TM.

TM counts a case as covered by automation from its ``automation_status``. A test that maps to
a case proves the case is automated, so the sync sets ``automated`` on each mapped case that
is not marked so yet (one ``PATCH .../test-cases/{id}`` per case, vendor code), and lists the
mapped cases the project no longer has (a deleted case: its marker or tag points nowhere).
The cases are read with the ``test_case_id`` filter, 100 IDs a request (our bound, to keep
URLs short); a dry run only reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pytest_bstm.api import Client

AUTOMATED = "automated"
CHUNK = 100


@dataclass
class Coverage:
    marked: list[str] = field(default_factory=list)  # set to automated (or would be)
    missing: list[str] = field(default_factory=list)  # mapped, but not in the project


def _number(case_id: str) -> int:
    return int(case_id.partition("-")[2] or 0)


def keep_automated(
    client: Client,
    project: str,
    mapped: Mapping[str, list[str]],
    *,
    dry_run: bool,
    say: Callable[[str], None],
) -> Coverage:
    """Mark every case in ``mapped`` (case -> node IDs mapping to it) automated."""
    ids = sorted(mapped, key=_number)
    status: dict[str, str] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        for case in client.iter_project_test_cases(project, test_case_id=chunk):
            status[case.identifier] = (case.automation_status or "").lower()
    out = Coverage()
    for case_id in ids:
        if case_id not in status:
            out.missing.append(case_id)
            nodes = mapped[case_id]
            more = f" and {len(nodes) - 1} more" if len(nodes) > 1 else ""
            say(f"missing  {case_id}  mapped by {nodes[0]}{more}: not in {project}")
        elif status[case_id] != AUTOMATED:
            if not dry_run:
                client.update_test_case(project, case_id, automation_status=AUTOMATED)
            verb = "would mark" if dry_run else "marked"
            say(f"{verb}  {case_id}  automated (was {status[case_id] or 'unset'})")
            out.marked.append(case_id)
    return out

"""What the sender process reads before the tests run, and only reads: the cases of the run
``--bstm-select`` keeps, and the account's configurations ``bstm_configuration_param`` names.
Each says why when the service cannot answer (no warning, so ``-W error`` cannot crash it)."""

from __future__ import annotations

from collections.abc import Callable

from pytest_bstm.api import Client, errors
from pytest_bstm.config.settings import Settings


def _why(exc: errors.BstmError) -> str:
    return f"HTTP {exc.status}" if isinstance(exc, errors.ApiError) else str(exc)


def cases_to_select(
    settings: Settings, client: Callable[[], Client], dry_run_note: str | None
) -> tuple[set[str] | None, str | None]:
    """``--bstm-select``: the cases of the joined run, or of the run a clone would copy
    (those whose latest status is one of ``--bstm-clone-statuses``); None and why when the
    service cannot say."""
    s = settings
    run_id = s.run_id or s.clone_id
    assert run_id is not None
    if s.dry_run and dry_run_note is not None:
        return None, f"--bstm-select not applied: {dry_run_note}"
    wanted = {status.lower() for status in s.clone_statuses}
    try:
        with client() as read:
            cases = read.iter_run_test_cases(s.project, run_id, page_size=300, minify=False)
            kept = {c for c in cases if not wanted or (c.latest_status or "").lower() in wanted}
            return {c.identifier for c in kept}, None
    except errors.BstmError as exc:
        return None, (
            f"--bstm-select: could not read the cases of {run_id} ({_why(exc)}): "
            "no test was deselected"
        )


def configurations(
    settings: Settings, client: Callable[[], Client], dry_run_note: str | None
) -> tuple[dict[int, str] | None, str | None]:
    """``bstm_configuration_param``: the account's configurations (ID -> name), read once
    before any write, and why not when the service cannot say (or a dry run has no
    credentials): then only ``bstm_configuration_map`` applies. ``client()`` gives up after
    a bounded wait."""
    if settings.dry_run and dry_run_note is not None:
        return None, "the dry run could not read the account's configurations"
    try:
        with client() as read:
            return {c.id: c.name for c in read.iter_configurations() if c.name}, None
    except errors.BstmError as exc:
        return None, f"could not read the account's configurations ({_why(exc)})"

"""An inventory suite meant for ``pytest -n 2 --reruns 1 --bstm-emulator``."""

import re
from pathlib import Path

import pytest

STOCK = {"apple": 12, "pear": 0, "plum": 7}


@pytest.mark.tc("TC-21")
def test_run_id_is_known_on_every_worker(bstm_run_id: str | None) -> None:
    if bstm_run_id is None:
        pytest.skip("reporting is not enabled")
    assert re.fullmatch(r"TR-\d+", bstm_run_id)


@pytest.mark.tc("TC-22")
@pytest.mark.parametrize("item", sorted(STOCK))
def test_every_item_is_stocked_or_zero(item: str) -> None:
    assert STOCK[item] >= 0


@pytest.mark.tc("TC-23")
def test_out_of_stock_items() -> None:
    assert [name for name, count in STOCK.items() if count == 0] == ["pear"]


@pytest.mark.tc("TC-24")
def test_warehouse_sync_is_flaky(session_dir: Path, request: pytest.FixtureRequest) -> None:
    """Fails on its first attempt only; ``--reruns 1`` makes the final attempt pass.

    The marker file lives in the session-wide directory, so the outcome is the same whichever
    xdist worker runs the test; only the final attempt's outcome (passed) is reported to TM.
    """
    marker = session_dir / f"{request.node.name}.attempted"
    if not marker.exists():
        marker.touch()
        pytest.fail("warehouse did not answer in time (first attempt only)")


@pytest.mark.tc("TC-25")
@pytest.mark.xfail(reason="reservations expire too early", strict=True)
def test_reservation_expiry() -> None:
    assert STOCK["plum"] == 8

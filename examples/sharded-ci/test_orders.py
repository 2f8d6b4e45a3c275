"""Order tests: TC-37..TC-39."""

import pytest


@pytest.mark.tc("TC-37")
def test_order_number_format() -> None:
    assert f"ORD-{42:06d}" == "ORD-000042"


@pytest.mark.tc("TC-38")
def test_order_starts_pending() -> None:
    assert {"state": "pending"}["state"] == "pending"


@pytest.mark.tc("TC-39")
@pytest.mark.xfail(reason="partial shipments are not supported yet", strict=True)
def test_partial_shipment() -> None:
    assert "partial" in {"full"}

"""Minimal calls: never proportional to the number of tests."""

from __future__ import annotations

import math

import pytest
from bstm_helpers import API, Inner


@pytest.mark.parametrize("n", [1, 301, 650])
def test_created_run_costs_create_batches_close(inner: Inner, n: int) -> None:
    ids = [f"TC-{i}" for i in range(1001, 1001 + n)]
    inner.emulator.add_test_cases("PR-1", ids)
    inner.pytester.makepyfile(
        "import pytest\n\n"
        f"@pytest.mark.parametrize('case', {ids!r})\n"
        "def test_case(case):\n"
        "    pass\n"
    )
    inner.pytester.makeconftest(
        """
        def pytest_bstm_case_ids(item):
            return [item.callspec.params["case"]]
        """
    )
    inner.run("-q").assert_outcomes(passed=n)
    rid = inner.only_run()["identifier"]
    assert len(inner.statuses(rid)) == n
    calls = inner.calls()
    expected = (  # the create validates the case IDs: no lookup while they all exist
        [("POST", API)]
        + [("POST", f"{API}/{rid}/results")] * math.ceil(n / 300)
        + [("POST", f"{API}/{rid}/close")]
    )
    assert calls == expected


def test_unknown_ids_cost_one_lookup_of_the_project(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_known():
            pass

        @pytest.mark.tc("TC-99999")
        def test_unknown():
            pass
        """
    )
    inner.run("-q").assert_outcomes(passed=2)
    rid = inner.only_run()["identifier"]
    assert inner.calls() == [
        ("POST", API),  # refused: invalid_test_case_id
        ("GET", "/api/v2/projects/PR-1/test-cases"),  # 60 seeded cases: one page
        ("POST", API),
        ("POST", f"{API}/{rid}/results"),
        ("POST", f"{API}/{rid}/close"),
    ]

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


def test_joining_a_large_run_polls_the_count_not_every_page(inner: Inner) -> None:
    """A shard joins a run of 400 entries with 2 new cases: it reads the run's pages once,
    adds its cases, waits by asking for the count, reads the pages once more, and posts."""
    from pytest_bstm.api import Client, models

    emu = inner.emulator
    held = [f"TC-{i}" for i in range(2001, 2401)]
    emu.add_test_cases("PR-1", [*held, "TC-3001", "TC-3002"])
    with Client(base_url=emu.url, username=emu.username, access_key=emu.access_key) as client:
        rid = client.create_run("PR-1", models.NewTestRun(name="big", test_cases=held)).identifier
    start = len(emu.requests)
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-3001", "TC-3002")
        def test_new():
            pass
        """
    )
    inner.run("-q", "--bstm-run", rid).assert_outcomes(passed=1)
    calls = [(r["method"], r["path"], dict(r["query"])) for r in emu.requests[start:]]
    cases = f"{API}/{rid}/test-cases"
    pages = [c for c in calls if c[1] == cases and c[2].get("page_size") == "300"]
    probes = [c for c in calls if c[1] == cases and c[2].get("page_size") == "30"]
    assert len(pages) == 4, "\n".join(
        map(str, calls)
    )  # two pages before the addition, two after it applied
    assert 1 <= len(probes) <= 4, calls
    assert [c[:2] for c in calls if c[0] != "GET"] == [
        ("PATCH", f"{API}/{rid}/update-test-cases"),
        ("POST", f"{API}/{rid}/results"),
    ]
    assert sorted(inner.statuses(rid)) == [("TC-3001", None), ("TC-3002", None)]

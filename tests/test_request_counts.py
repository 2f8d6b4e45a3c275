"""Minimal calls: never proportional to the number of tests."""

from __future__ import annotations

import math

import pytest
from bstm_helpers import API, Inner


@pytest.mark.parametrize("n", [1, 301, 650])
def test_created_run_costs_lookup_create_batches_close(inner: Inner, n: int) -> None:
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
    project_cases = 60 + n  # the seed's 60 plus ours
    calls = inner.calls()
    expected = (
        [("GET", "/api/v2/projects/PR-1/test-cases")] * math.ceil(project_cases / 300)
        + [("POST", API)]
        + [("POST", f"{API}/{rid}/results")] * math.ceil(n / 300)
        + [("POST", f"{API}/{rid}/close")]
    )
    assert calls == expected

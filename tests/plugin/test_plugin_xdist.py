"""pytest-xdist: one run, made and closed by the controller; every result exactly once."""

from __future__ import annotations

import time

import pytest
from bstm_helpers import API, Inner

pytest.importorskip("xdist")


def suite(n: int) -> str:
    lines = ["import pytest", "", "calls = {}", ""]
    for i in range(1, n + 1):
        lines += [
            f'@pytest.mark.tc("TC-{i}")',
            f"def test_{i}():",
            f"    calls[{i}] = calls.get({i}, 0) + 1",
            f"    assert {i} % 7 != 0 or calls[{i}] > 1",
            "",
        ]
    return "\n".join(lines)


@pytest.mark.parametrize("workers", ["2", "4"])
def test_xdist_one_run_every_result_once_with_reruns(inner: Inner, workers: str) -> None:
    n = 40
    inner.emulator.add_test_cases("PR-1", [f"TC-{i}" for i in range(1, n + 1)])
    inner.pytester.makepyfile(test_a=suite(n))
    result = inner.pytester.runpytest_subprocess(
        *inner.args(
            "-p", "xdist.plugin", "-n", workers, "-p", "pytest_rerunfailures", "--reruns", "1"
        )
    )
    result.assert_outcomes(passed=n)
    run = inner.only_run()
    rid = run["identifier"]
    assert run["active_state"] == "closed"
    statuses = inner.statuses(rid)  # fails on any duplicate
    assert statuses == {(f"TC-{i}", None): "passed" for i in range(1, n + 1)}
    assert "rerun: attempt 1" in inner.descriptions(rid)["TC-7"]
    calls = inner.calls()
    assert calls.count(("POST", API)) == 1
    assert calls.count(("POST", f"{API}/{rid}/close")) == 1
    assert calls.count(("POST", f"{API}/{rid}/results")) == 1
    assert len(calls) == 3  # create, one batch, close: workers made no call


def test_xdist_loadscope_select_and_worker_run_id(inner: Inner) -> None:
    from pytest_bstm.api import Client, models

    client = Client(
        base_url=inner.emulator.url,
        username=inner.emulator.username,
        access_key=inner.emulator.access_key,
    )
    rid = client.create_run(
        "PR-1", models.NewTestRun(name="shard", test_cases=["TC-1", "TC-2"])
    ).identifier
    inner.pytester.makeconftest(
        """
        import pytest
        from pytest_bstm.plugin import current_run

        @pytest.fixture
        def run_id(request):
            return current_run(request.config)
        """
    )
    inner.pytester.makepyfile(
        test_s="""
        import pytest

        @pytest.mark.tc("TC-1")
        def test_one(run_id):
            assert run_id and run_id.startswith("TR-")

        @pytest.mark.tc("TC-2")
        def test_two(run_id):
            assert run_id

        @pytest.mark.tc("TC-3")
        def test_three():
            pass
        """
    )
    result = inner.pytester.runpytest_subprocess(
        *inner.args(
            "-p",
            "xdist.plugin",
            "-n",
            "2",
            "--dist",
            "loadscope",
            "--bstm-run",
            rid,
            "--bstm-select",
        )
    )
    result.assert_outcomes(passed=2)
    assert inner.statuses(rid) == {("TC-1", None): "passed", ("TC-2", None): "passed"}
    assert inner.emulator.run(rid)["active_state"] == "active"
    result.stdout.fnmatch_lines(["deselected: 1 test whose cases are not in the run"])


def test_xdist_a_service_never_reached_holds_no_test_back(inner: Inner) -> None:
    inner.pytester.makepyfile(
        test_t="""
        import time
        import pytest

        @pytest.mark.tc("TC-1")
        def test_one():
            with open("started.txt", "a") as out:
                out.write(f"{time.time()}\\n")

        @pytest.mark.tc("TC-2")
        def test_two():
            with open("started.txt", "a") as out:
                out.write(f"{time.time()}\\n")
        """
    )
    inner.emulator.faults.down(True)
    try:
        launched = time.time()
        result = inner.pytester.runpytest_subprocess(
            *inner.args("-p", "xdist.plugin", "-n", "2", "--bstm-drain-timeout", "60")
        )
        spent = time.time() - launched
    finally:
        inner.emulator.faults.down(False)
    result.assert_outcomes(passed=2)
    first = min(map(float, (inner.pytester.path / "started.txt").read_text().split()))
    # workers start in a few seconds; they used to wait about 10 s more for the run ID
    assert first - launched < 8, first - launched
    assert spent < 30, spent  # not the drain timeout: the service was never reached
    result.stdout.fnmatch_lines(["*could not create the run: the service was never reached*"])

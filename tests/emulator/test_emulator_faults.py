"""Emulator: fault injection and concurrent use."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from pytest_bstm.emulator import Emulator

RUNS = "/projects/PR-1/test-runs"


def test_fail_times_then_recover(emulator: Emulator, emulator_api: requests.Session) -> None:
    emulator.faults.fail(503, times=2, retry_after=7)
    first = emulator_api.get("/projects")
    assert first.status_code == 503
    assert first.headers["Retry-After"] == "7"
    assert first.json()["success"] is False
    assert emulator_api.get("/projects").status_code == 503
    assert emulator_api.get("/projects").status_code == 200
    assert [r["status"] for r in emulator.requests] == [503, 503, 200]


def test_fail_filters_by_method_and_path(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    emulator.faults.fail(429, times=None, methods=["POST"], path_contains="/results")
    emulator_api.post(RUNS, json={"test_run": {"test_cases": ["TC-1"]}})
    body = {"test_case_id": "TC-1", "test_result": {"status": "passed"}}
    for _ in range(3):
        limited = emulator_api.post(RUNS + "/TR-1/results", json=body)
        assert limited.status_code == 429
        assert "Retry-After" not in limited.headers
    assert emulator_api.get(RUNS + "/TR-1/results").status_code == 200
    assert emulator.results("TR-1") == []
    emulator.faults.clear()
    assert emulator_api.post(RUNS + "/TR-1/results", json=body).status_code == 200


def test_fail_rate_is_reproducible(emulator: Emulator, emulator_api: requests.Session) -> None:
    def pattern() -> list[int]:
        emulator.reset()
        emulator.faults.fail_rate(500, probability=0.5, seed=3)
        return [emulator_api.get("/projects").status_code for _ in range(20)]

    first = pattern()
    assert first == pattern()
    assert 0 < first.count(500) < 20


def test_latency_delays_answers(emulator: Emulator, emulator_api: requests.Session) -> None:
    emulator.faults.latency(0.05, times=1)
    start = time.monotonic()
    assert emulator_api.get("/projects").status_code == 200
    assert time.monotonic() - start >= 0.05
    start = time.monotonic()
    emulator_api.get("/projects")
    assert time.monotonic() - start < 0.05


def test_drop_before_processing_changes_nothing(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    emulator.faults.drop(times=1, methods="POST")
    with pytest.raises(requests.ConnectionError):
        emulator_api.post(RUNS, json={"test_run": {"name": "lost"}})
    assert emulator.runs() == []
    assert emulator.requests[0]["status"] is None
    assert emulator_api.post(RUNS, json={"test_run": {"name": "kept"}}).status_code == 200


def test_drop_after_processing_applies_the_write(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    emulator.faults.drop(times=1, after_processing=True, path_contains="/test-runs")
    with pytest.raises(requests.ConnectionError):
        emulator_api.post(RUNS, json={"test_run": {"name": "ambiguous"}})
    assert [r["name"] for r in emulator.runs()] == ["ambiguous"]


def test_fail_after_processing_applies_the_write_then_answers_the_failure(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    emulator.faults.fail(502, times=1, after_processing=True, methods=["POST"])
    lost = emulator_api.post(RUNS, json={"test_run": {"name": "applied", "test_cases": ["TC-1"]}})
    assert lost.status_code == 502
    assert lost.json()["success"] is False
    assert [r["name"] for r in emulator.runs()] == ["applied"]
    assert [r["status"] for r in emulator.requests] == [502]
    body = {"test_case_id": "TC-1", "test_result": {"status": "passed"}}
    assert emulator_api.post(RUNS + "/TR-1/results", json=body).status_code == 200
    assert len(emulator.results("TR-1")) == 1


# ---------------------------------------------------------------- the rate limit


def test_rate_limit_answers_429_without_retry_after_beyond_the_count(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    emulator.faults.rate_limit(3, window=0.4)
    statuses = [emulator_api.get("/projects").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    limited = emulator_api.get("/projects")
    assert "Retry-After" not in limited.headers
    assert limited.json()["error"] == "rate_limited"
    time.sleep(0.45)  # the window slides past the three admitted requests
    assert [emulator_api.get("/projects").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_rate_limit_is_shared_by_every_client(emulator: Emulator) -> None:
    emulator.faults.rate_limit(4, window=30)
    sessions = [requests.Session() for _ in range(2)]
    try:
        seen = []
        for session in sessions * 3:
            session.auth = (emulator.username, emulator.access_key)
            seen.append(session.get(emulator.url + "/api/v2/projects", timeout=5).status_code)
    finally:
        for session in sessions:
            session.close()
    assert seen == [200, 200, 200, 200, 429, 429]
    assert [r["status"] for r in emulator.requests] == seen


def test_rate_limit_off_by_default_and_after_clear(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    assert all(emulator_api.get("/projects").ok for _ in range(20))
    emulator.faults.rate_limit(1, window=30)
    assert emulator_api.get("/projects").ok
    assert emulator_api.get("/projects").status_code == 429
    emulator.faults.clear()
    assert emulator_api.get("/projects").ok
    emulator.faults.rate_limit(1, window=30)
    emulator.faults.rate_limit(None)
    assert all(emulator_api.get("/projects").ok for _ in range(3))


@pytest.mark.parametrize(("count", "window"), [(0, 1.0), (5, 0.0)])
def test_rate_limit_arguments_are_checked(emulator: Emulator, count: int, window: float) -> None:
    with pytest.raises(ValueError, match="rate_limit"):
        emulator.faults.rate_limit(count, window)


def test_down_refuses_connections_then_serves_on_same_port(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    assert emulator_api.get("/projects").status_code == 200  # a pooled keep-alive connection
    url = emulator.url
    emulator.faults.down(True)
    with pytest.raises(requests.ConnectionError):
        emulator_api.get("/projects")
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/api/v2/projects", timeout=2)
    emulator.faults.down(False)
    assert emulator.url == url
    assert emulator_api.get("/projects").status_code == 200


def test_reset_brings_a_down_emulator_back(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    emulator.faults.down(True)
    emulator.reset()
    assert emulator_api.get("/projects").status_code == 200


def test_concurrent_results_keep_unique_ids(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    cases = [f"TC-{n}" for n in range(1, 21)]
    emulator_api.post(RUNS, json={"test_run": {"test_cases": cases}})
    errors: list[int] = []

    def worker(case: str) -> None:
        with requests.Session() as session:
            session.auth = (emulator.username, emulator.access_key)
            for _ in range(5):
                body = {"test_case_id": case, "test_result": {"status": "passed"}}
                answer = session.post(
                    f"{emulator.url}/api/v2{RUNS}/TR-1/results", json=body, timeout=10
                )
                if answer.status_code != 200:
                    errors.append(answer.status_code)

    threads = [threading.Thread(target=worker, args=(case,)) for case in cases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ids = [r["id"] for r in emulator.results("TR-1")]
    assert sorted(ids) == list(range(1, 101))


def test_context_manager_stops_serving() -> None:
    with Emulator() as emu:
        url = emu.url
        assert requests.get(
            url + "/api/v2/projects", auth=(emu.username, emu.access_key), timeout=5
        ).ok
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/api/v2/projects", timeout=2)

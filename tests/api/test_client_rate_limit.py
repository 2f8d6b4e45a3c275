"""The client under the account's rate limit (the emulator enforcing it, scaled down):
waits without Retry-After, retrying until a deadline, request counts, what it waits for."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from pytest_bstm.api import Client, RetryPolicy, Waiting, errors
from pytest_bstm.emulator import Emulator

WINDOW = 0.4  # the rate limit's window, scaled down from the documented 60 s


def make_client(emu: Emulator, policy: RetryPolicy, **options: Any) -> Client:
    return Client(
        base_url=emu.url,
        username=emu.username,
        access_key=emu.access_key,
        timeout=5.0,
        retry=policy,
        **options,
    )


def recording(waits: list[float]) -> Callable[[float], None]:
    """A ``sleep=`` seam that records each wait and really waits."""

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    return sleep


def test_waits_out_the_limit_until_the_deadline_whatever_the_attempts(emulator: Emulator) -> None:
    emulator.faults.rate_limit(3, window=WINDOW)
    policy = RetryPolicy(attempts=1, rate_limit_window=WINDOW)  # alone: no retry at all
    waits: list[float] = []
    until = time.monotonic() + 20
    with make_client(emulator, policy.retrying_until(until), sleep=recording(waits)) as client:
        for _ in range(8):
            assert list(client.iter_configurations())
        sent, limited = client.requests_sent, client.rate_limited
    statuses = [r["status"] for r in emulator.requests]
    assert statuses.count(200) == 8
    assert limited == statuses.count(429) >= 1
    assert sent == len(statuses)
    assert len(waits) == limited
    assert all(0.0 <= w <= WINDOW for w in waits)  # the window, never a longer series


def test_without_a_deadline_429_is_retried_attempts_times(emulator: Emulator) -> None:
    emulator.faults.rate_limit(1, window=30)
    waits: list[float] = []
    policy = RetryPolicy(attempts=3, rate_limit_window=0.05, jitter=False)
    with make_client(emulator, policy, sleep=waits.append) as client:
        assert list(client.iter_projects())
        with pytest.raises(errors.RateLimitError) as info:
            list(client.iter_projects())
        assert client.rate_limited == 3
        assert client.requests_sent == 4
    assert info.value.attempts == 3
    assert waits == [0.05, 0.05]  # the window each time, not 0.5, 1, 2...
    assert "Retry-After" not in str(info.value)


def test_gives_up_when_the_deadline_passes(emulator: Emulator) -> None:
    emulator.faults.rate_limit(1, window=30)
    policy = RetryPolicy(attempts=1, rate_limit_window=0.1)
    with make_client(emulator, policy.retrying_until(time.monotonic() + 0.5)) as client:
        assert list(client.iter_projects())
        started = time.monotonic()
        with pytest.raises(errors.RateLimitError) as info:
            list(client.iter_projects())
        elapsed = time.monotonic() - started
    assert info.value.attempts >= 2
    assert elapsed < 2.0


def test_concurrent_clients_share_the_limit_and_all_finish(emulator: Emulator) -> None:
    emulator.faults.rate_limit(6, window=WINDOW)
    policy = RetryPolicy(attempts=1, rate_limit_window=WINDOW)
    until = time.monotonic() + 30
    counts: list[int] = []
    failures: list[BaseException] = []

    def shard() -> None:
        try:
            with make_client(emulator, policy.retrying_until(until)) as client:
                for _ in range(3):
                    list(client.iter_configurations())
                counts.append(client.requests_sent)
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=shard) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    statuses = [r["status"] for r in emulator.requests]
    assert statuses.count(200) == 24
    assert sum(counts) == len(statuses)


@pytest.mark.parametrize(
    ("status", "reason"),
    [(429, "rate limited by the service"), (503, "HTTP 503 from the service")],
)
def test_waiting_says_what_and_how_long(emulator: Emulator, status: int, reason: str) -> None:
    emulator.faults.fail(status, times=1)
    seen: list[tuple[Waiting | None, float]] = []
    holder: list[Client] = []

    def sleep(seconds: float) -> None:
        seen.append((holder[0].waiting, seconds))

    policy = RetryPolicy(backoff=0.2, backoff_max=0.2, rate_limit_window=0.2, jitter=False)
    with make_client(emulator, policy, sleep=sleep) as client:
        holder.append(client)
        assert list(client.iter_projects())
        assert client.waiting is None
    [(waiting, seconds)] = seen
    assert waiting is not None
    assert (waiting.reason, waiting.attempt) == (reason, 1)
    assert (waiting.method, waiting.path) == ("GET", "/api/v2/projects")
    assert seconds == 0.2
    assert 0.0 < waiting.seconds_left() <= 0.2
    assert waiting.seconds_left(now=waiting.until + 1) == 0.0


def test_waiting_names_a_missing_connection(emulator: Emulator) -> None:
    seen: list[Waiting | None] = []
    holder: list[Client] = []
    policy = RetryPolicy(attempts=2, backoff=0.0)
    emulator.faults.down(True)
    try:
        with make_client(emulator, policy, sleep=lambda s: seen.append(holder[0].waiting)) as api:
            holder.append(api)
            with pytest.raises(errors.TransportError):
                list(api.iter_projects())
            assert api.requests_sent == 2
    finally:
        emulator.faults.down(False)
    [waiting] = seen
    assert waiting is not None
    host = emulator.url.removeprefix("http://")
    assert waiting.reason == f"{host} refused the connection"  # the root cause, in one line
    assert waiting.told().startswith(f"{host} refused the connection (1 attempt)")

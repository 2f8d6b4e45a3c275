"""Retry policy pieces: backoff bounds, Retry-After parsing, sent/not-sent classification."""

from __future__ import annotations

import email.utils
import http.client

import pytest
import requests
import urllib3.exceptions

from pytest_bstm.api import RetryPolicy
from pytest_bstm.api._transport import Delivery, classify_exception
from pytest_bstm.api.retry import parse_retry_after


def test_backoff_is_exponential_and_capped() -> None:
    policy = RetryPolicy(backoff=0.5, backoff_max=3.0, jitter=False)
    assert [policy.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_full_jitter_stays_within_bounds() -> None:
    policy = RetryPolicy(backoff=1.0, backoff_max=4.0)
    for attempt in range(1, 8):
        bound = min(4.0, 2.0 ** (attempt - 1))
        waits = [policy.delay(attempt) for _ in range(50)]
        assert all(0.0 <= w <= bound for w in waits)
        assert len(set(waits)) > 1


def test_retry_after_replaces_backoff() -> None:
    policy = RetryPolicy(backoff_max=1.0)
    assert policy.delay(1, retry_after=30.0) == 30.0
    assert policy.delay(3, retry_after=-2.0) == 0.0


def test_429_waits_for_the_rate_limit_window_not_a_fast_series() -> None:
    fixed = RetryPolicy(jitter=False)
    assert [fixed.delay(n, status=429) for n in range(1, 5)] == [60.0] * 4
    scaled = RetryPolicy(rate_limit_window=2.0)
    waits = [scaled.delay(1, status=429) for _ in range(200)]
    assert all(0.0 <= w <= 2.0 for w in waits)
    assert max(waits) > 1.5  # full jitter over the whole window, whatever the attempt
    assert min(waits) < 0.5
    assert scaled.delay(1, retry_after=7.0, status=429) == 7.0  # Retry-After wins


def test_next_wait_bounded_by_attempts_and_deadline() -> None:
    policy = RetryPolicy(attempts=3, backoff=1.0, deadline=10.0, jitter=False)
    assert policy.next_wait(1, elapsed=0.0, now=0.0, status=503) == 1.0
    assert policy.next_wait(2, elapsed=1.0, now=1.0, status=503) == 2.0
    assert policy.next_wait(3, elapsed=3.0, now=3.0, status=503) is None  # attempts spent
    assert policy.next_wait(1, elapsed=9.5, now=9.5, status=503) == 0.5  # shortened to fit
    assert policy.next_wait(1, elapsed=10.0, now=10.0, status=503) is None
    assert policy.next_wait(1, elapsed=0.0, now=0.0, retry_after=11.0) is None


def test_until_replaces_attempts_and_deadline() -> None:
    policy = RetryPolicy(attempts=1, deadline=0.0, jitter=False).retrying_until(1000.0)
    assert policy.until == 1000.0
    assert policy.next_wait(50, elapsed=500.0, now=500.0, status=429) == 60.0
    assert policy.next_wait(99, elapsed=0.0, now=990.0, status=429) == 10.0  # ends on the bound
    assert policy.next_wait(2, elapsed=0.0, now=1000.0, status=503) is None
    assert policy.next_wait(2, elapsed=0.0, now=990.0, retry_after=30.0) is None
    assert policy.next_wait(2, elapsed=0.0, now=900.0, retry_after=30.0) == 30.0
    assert policy.retrying_until(None).next_wait(1, elapsed=0.0, now=0.0) is None


def test_policy_is_frozen_and_validated() -> None:
    policy = RetryPolicy()
    assert (policy.attempts, policy.backoff, policy.backoff_max, policy.deadline) == (
        5,
        0.5,
        60.0,
        120.0,
    )
    assert (policy.rate_limit_window, policy.until) == (60.0, None)
    with pytest.raises(AttributeError):
        policy.attempts = 9  # type: ignore[misc]
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError, match="deadline"):
        RetryPolicy(deadline=-1)
    with pytest.raises(ValueError, match="rate_limit_window"):
        RetryPolicy(rate_limit_window=-1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("7", 7.0), (" 1.5 ", 1.5), ("-3", 0.0), ("soon", None), ("", None)],
)
def test_parse_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(email.utils.formatdate(now + 42, usegmt=True), now=now) == 42.0
    assert parse_retry_after(email.utils.formatdate(now - 42, usegmt=True), now=now) == 0.0


def _wrapped(reason: Exception) -> requests.exceptions.ConnectionError:
    pool_error = urllib3.exceptions.MaxRetryError(None, "/api/v2/projects", reason)  # type: ignore[arg-type]
    return requests.exceptions.ConnectionError(pool_error)


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (requests.exceptions.ConnectTimeout("connect timed out"), Delivery.NOT_SENT),
        (
            _wrapped(urllib3.exceptions.NewConnectionError(None, "refused")),  # type: ignore[arg-type]
            Delivery.NOT_SENT,
        ),
        (
            _wrapped(
                urllib3.exceptions.NameResolutionError("nohost.invalid", None, OSError("dns"))  # type: ignore[arg-type]
            ),
            Delivery.NOT_SENT,
        ),
        (requests.exceptions.ProxyError("proxy refused"), Delivery.NOT_SENT),
        (requests.exceptions.ReadTimeout("read timed out"), Delivery.MAYBE_SENT),
        (requests.exceptions.ChunkedEncodingError("cut short"), Delivery.MAYBE_SENT),
        (
            requests.exceptions.ConnectionError(
                urllib3.exceptions.ProtocolError(
                    "Connection aborted.", http.client.RemoteDisconnected("closed")
                )
            ),
            Delivery.MAYBE_SENT,
        ),
        (requests.exceptions.ConnectionError("unknown"), Delivery.MAYBE_SENT),
        (requests.exceptions.SSLError("certificate verify failed"), Delivery.FATAL),
        (requests.exceptions.InvalidURL("bad"), Delivery.FATAL),
    ],
)
def test_classify_exception(exc: requests.RequestException, expected: Delivery) -> None:
    assert classify_exception(exc) is expected

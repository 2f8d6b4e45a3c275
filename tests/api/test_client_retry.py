"""Retry policy pieces: backoff bounds, Retry-After parsing, sent/not-sent classification."""

from __future__ import annotations

import email.utils
import http.client

import pytest
import requests
import urllib3.exceptions

from pytest_bstm.api import RetryPolicy
from pytest_bstm.api.retry import Delivery, classify_exception, parse_retry_after


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


def test_policy_is_frozen_and_validated() -> None:
    policy = RetryPolicy()
    assert (policy.attempts, policy.backoff, policy.backoff_max, policy.deadline) == (
        5,
        0.5,
        60.0,
        120.0,
    )
    with pytest.raises(AttributeError):
        policy.attempts = 9  # type: ignore[misc]
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError, match="deadline"):
        RetryPolicy(deadline=-1)


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

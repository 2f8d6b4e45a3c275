"""Retry policy: which failures are retried, and how long to wait between attempts."""

from __future__ import annotations

import enum
import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import requests
import urllib3.exceptions

__all__ = ["RETRY_STATUSES", "Delivery", "RetryPolicy", "classify_exception", "parse_retry_after"]

#: HTTP statuses retried for every method (the request was not applied).
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long :class:`~pytest_bstm.api.Client` retries.

    ``attempts`` bounds the number of tries (1 = no retry); ``deadline`` bounds the total
    time in seconds from the first try. Waits grow exponentially from ``backoff`` up to
    ``backoff_max``; with ``jitter`` each wait is drawn uniformly from zero to that bound
    ("full jitter"). A ``Retry-After`` header (seconds or HTTP date) replaces the computed
    wait.
    """

    attempts: int = 5
    backoff: float = 0.5
    backoff_max: float = 60.0
    deadline: float = 120.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")
        if self.backoff < 0 or self.backoff_max < 0 or self.deadline < 0:
            raise ValueError("RetryPolicy backoff, backoff_max and deadline must be >= 0")

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after the failed try number ``attempt`` (1-based)."""
        if retry_after is not None:
            return max(0.0, retry_after)
        bound = min(self.backoff_max, self.backoff * 2 ** (attempt - 1))
        return random.uniform(0.0, bound) if self.jitter else bound


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header value; None if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


class Delivery(enum.Enum):
    """What a failed attempt tells about whether the request reached the service."""

    NOT_SENT = "not sent"  # safe to retry for every method
    MAYBE_SENT = "maybe sent"  # retry only idempotent calls
    FATAL = "fatal"  # not worth retrying (TLS failure, bad URL)


def classify_exception(exc: requests.RequestException) -> Delivery:
    """Whether a ``requests`` failure happened before the request was sent."""
    if isinstance(exc, requests.exceptions.SSLError):
        return Delivery.FATAL
    if isinstance(exc, (requests.exceptions.ConnectTimeout, requests.exceptions.ProxyError)):
        return Delivery.NOT_SENT
    if isinstance(exc, (requests.exceptions.ReadTimeout, requests.exceptions.ChunkedEncodingError)):
        return Delivery.MAYBE_SENT
    if isinstance(exc, requests.exceptions.ConnectionError):
        return Delivery.NOT_SENT if _connection_not_established(exc) else Delivery.MAYBE_SENT
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)):
        return Delivery.FATAL
    return Delivery.MAYBE_SENT


def _connection_not_established(exc: BaseException) -> bool:
    """True if the cause chain shows the TCP connection was never made."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        # NameResolutionError subclasses NewConnectionError in urllib3 2.
        if isinstance(current, (urllib3.exceptions.NewConnectionError, ConnectionRefusedError)):
            return True
        if isinstance(current, urllib3.exceptions.ProtocolError):
            return False
        stack.append(getattr(current, "reason", None))
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
        stack.append(current.__cause__)
        stack.append(current.__context__)
    return False

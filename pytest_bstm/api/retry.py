"""Retry policy: which answers are retried, and how long to wait between attempts (what a
``requests`` failure means is read in :mod:`pytest_bstm.api._transport`).

The client's loop is the only one that retries a failed request: delivery makes each step once
(:mod:`pytest_bstm.delivery.driver`) and gives the client the session's deadline
(:meth:`RetryPolicy.retrying_until`)."""

from __future__ import annotations

import dataclasses
import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

__all__ = [
    "MAYBE_APPLIED_STATUSES",
    "RETRY_STATUSES",
    "RetryPolicy",
    "Waiting",
    "parse_retry_after",
]

#: HTTP statuses retried (for every method, save :data:`MAYBE_APPLIED_STATUSES`).
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

#: Gateway failures: a proxy lost the service's answer, so a write may have been applied.
#: Retried for idempotent calls only; a create, clone or results post answered so raises
#: :class:`~pytest_bstm.api.errors.AmbiguousRequestError` for the caller to check (our
#: choice: 500 comes from the service itself, which did not apply the request).
MAYBE_APPLIED_STATUSES = frozenset({502, 504})

#: The rate limit's window in seconds: 300 requests per minute per account group, and on
#: 429 "wait 60 seconds" (doc); no ``Retry-After`` is documented.
RATE_LIMIT_WINDOW = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long :class:`~pytest_bstm.api.Client` retries.

    ``attempts`` bounds the number of tries (1 = no retry); ``deadline`` bounds the total
    time in seconds from the first try. Waits grow exponentially from ``backoff`` up to
    ``backoff_max``; with ``jitter`` each wait is drawn uniformly from zero to that bound
    ("full jitter"). A 429 without ``Retry-After`` waits for the rate limit's window
    (``rate_limit_window`` seconds, 60 by the doc; full jitter over it, so concurrent jobs
    come back spread out), never a fast series. A ``Retry-After`` header (seconds or HTTP
    date) replaces the computed wait.

    ``until`` (a :func:`time.monotonic` instant, see :meth:`retrying_until`) replaces
    ``attempts`` and ``deadline``: transient failures (429, 5xx, connection failures) are
    retried until that instant, however many tries it takes. A computed wait that would
    pass the bound is shortened to end on it, for one last try; a ``Retry-After`` that
    would pass it ends the retries at once.
    """

    attempts: int = 5
    backoff: float = 0.5
    backoff_max: float = 60.0
    deadline: float = 120.0
    jitter: bool = True
    rate_limit_window: float = RATE_LIMIT_WINDOW
    until: float | None = None

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")
        if min(self.backoff, self.backoff_max, self.deadline, self.rate_limit_window) < 0:
            raise ValueError(
                "RetryPolicy backoff, backoff_max, deadline and rate_limit_window must be >= 0"
            )

    def retrying_until(self, until: float | None) -> RetryPolicy:
        """This policy, retrying transient failures until the monotonic instant ``until``
        (None: back to ``attempts`` and ``deadline``)."""
        return dataclasses.replace(self, until=until)

    def delay(
        self, attempt: int, retry_after: float | None = None, *, status: int | None = None
    ) -> float:
        """Seconds to wait after the failed try number ``attempt`` (1-based) that was
        answered ``status`` (None: no answer)."""
        if retry_after is not None:
            return max(0.0, retry_after)
        if status == 429:
            window = self.rate_limit_window
            return random.uniform(0.0, window) if self.jitter else window
        bound = min(self.backoff_max, self.backoff * 2 ** (attempt - 1))
        return random.uniform(0.0, bound) if self.jitter else bound

    def next_wait(
        self,
        attempt: int,
        *,
        elapsed: float,
        now: float,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> float | None:
        """Seconds to wait before the next try, or None to give up.

        ``attempt`` tries failed (the last answered ``status``, None for no answer),
        ``elapsed`` seconds after the first; ``now`` is :func:`time.monotonic`.
        """
        wait = self.delay(attempt, retry_after, status=status)
        if self.until is not None:
            remaining = self.until - now
        elif attempt >= self.attempts:
            return None
        else:
            remaining = self.deadline - elapsed
        if remaining <= 0 or (retry_after is not None and wait > remaining):
            return None
        return min(wait, remaining)


@dataclass(frozen=True)
class Waiting:
    """A retry wait in progress: what the client waits for, and until when.

    ``reason`` reads like "rate limited by the service" or "HTTP 503 from the service";
    ``until`` is a :func:`time.monotonic` instant; ``attempt`` tries of ``method path``
    failed so far, the first at ``since``.
    """

    reason: str
    until: float
    attempt: int
    method: str
    path: str
    since: float | None = None
    kind: str = "transport"  # rate_limited, server, timeout, or the wire's (dns, refused, ...)

    def seconds_left(self, now: float | None = None) -> float:
        """Seconds until the next try (0 once due)."""
        return max(0.0, self.until - (time.monotonic() if now is None else now))

    def told(self, now: float | None = None) -> str:
        """``127.0.0.1:8799 refused the connection (3 attempts over 4.2 s)``."""
        if self.attempt == 1 or self.since is None:
            return f"{self.reason} ({self.attempt} attempt{'s' if self.attempt > 1 else ''})"
        spent = (time.monotonic() if now is None else now) - self.since
        return f"{self.reason} ({self.attempt} attempts over {seconds(spent)})"


def seconds(value: float) -> str:
    """``0.4 s``, ``2.1 s``, ``10 s``: a duration for messages."""
    return f"{value:.1f} s" if value < 10 else f"{value:.0f} s"


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

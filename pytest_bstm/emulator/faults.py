"""Fault injection: failing answers, latency, dropped connections, a service that is down,
and the account's rate limit."""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass
class _Rule:
    remaining: int | None
    methods: frozenset[str] | None
    path_contains: str | None
    status: int = 500
    retry_after: int | float | None = None
    probability: float = 0.0
    rng: random.Random | None = None
    after_processing: bool = False
    seconds: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.methods is not None and method not in self.methods:
            return False
        return self.path_contains is None or self.path_contains in path

    def consume(self) -> None:
        if self.remaining is not None:
            self.remaining -= 1


@dataclass
class _RateLimit:
    """At most ``count`` requests in any ``window`` seconds (a sliding window)."""

    count: int
    window: float
    accepted: deque[float] = field(default_factory=deque)

    def admits(self, now: float) -> bool:
        """Whether one more request fits; an admitted request is counted."""
        while self.accepted and self.accepted[0] <= now - self.window:
            self.accepted.popleft()
        if len(self.accepted) >= self.count:
            return False
        self.accepted.append(now)
        return True


@dataclass
class Decision:
    """What to do to one request; ``after_processing``: apply it, then answer ``status``
    (or drop the connection)."""

    latency: float = 0.0
    status: int | None = None
    retry_after: int | float | None = None
    drop: bool = False
    after_processing: bool = False


def _methods(methods: str | Iterable[str] | None) -> frozenset[str] | None:
    if methods is None:
        return None
    if isinstance(methods, str):
        methods = [methods]
    return frozenset(m.upper() for m in methods)


class Faults:
    """The faults of one emulator (``emu.faults``); :meth:`clear` and ``reset()`` remove them."""

    def __init__(self, set_down: Callable[[bool], None]) -> None:
        self._lock = threading.Lock()
        self._set_down = set_down
        self._fail: list[_Rule] = []
        self._rate: list[_Rule] = []
        self._latency: list[_Rule] = []
        self._drop: list[_Rule] = []
        self._limit: _RateLimit | None = None
        self._down = False

    def fail(
        self,
        status: int = 500,
        times: int | None = 1,
        *,
        methods: str | Iterable[str] | None = None,
        path_contains: str | None = None,
        retry_after: int | float | None = None,
        after_processing: bool = False,
    ) -> None:
        """Answer the next ``times`` matching requests (``None``: all) with ``status``;
        ``after_processing`` applies each request first (an answer lost after the write,
        as a gateway answering 502 while the service did the work)."""
        rule = _Rule(times, _methods(methods), path_contains, status, retry_after)
        rule.after_processing = after_processing
        with self._lock:
            self._fail.append(rule)

    def fail_rate(
        self,
        status: int = 500,
        probability: float = 0.3,
        *,
        seed: int = 0,
        methods: str | Iterable[str] | None = None,
        path_contains: str | None = None,
    ) -> None:
        """Answer matching requests with ``status`` at ``probability`` (seeded, reproducible)."""
        rule = _Rule(None, _methods(methods), path_contains, status)
        rule.probability, rule.rng = probability, random.Random(seed)
        with self._lock:
            self._rate.append(rule)

    def latency(self, seconds: float, *, times: int | None = None) -> None:
        """Wait ``seconds`` before handling each of the next ``times`` requests (``None``: all)."""
        rule = _Rule(times, None, None, seconds=seconds)
        with self._lock:
            self._latency.append(rule)

    def drop(
        self,
        times: int | None = 1,
        *,
        after_processing: bool = False,
        methods: str | Iterable[str] | None = None,
        path_contains: str | None = None,
    ) -> None:
        """Close the connection unanswered; ``after_processing`` applies the request first."""
        rule = _Rule(times, _methods(methods), path_contains, after_processing=after_processing)
        with self._lock:
            self._drop.append(rule)

    def rate_limit(self, count: int | None = 300, window: float = 60.0) -> None:
        """Enforce the account's rate limit: at most ``count`` requests in any ``window``
        seconds, shared by every client of this emulator; beyond it, 429 without
        ``Retry-After`` (the doc documents none). Refused requests do not count. ``None``
        turns it off (the default; so does :meth:`clear`). The doc's limit is 300 per 60 s;
        tests scale the window down."""
        if count is not None and (count < 1 or window <= 0):
            raise ValueError("rate_limit needs a count >= 1 and a window > 0 seconds")
        with self._lock:
            self._limit = None if count is None else _RateLimit(count, window)

    def down(self, is_down: bool = True) -> None:
        """Refuse connections (listening socket closed), or serve again on the same port."""
        with self._lock:
            if is_down == self._down:
                return
            self._down = is_down
        self._set_down(is_down)

    @property
    def is_down(self) -> bool:
        return self._down

    def clear(self) -> None:
        """Remove every fault, and serve again if down."""
        with self._lock:
            self._fail, self._rate, self._latency, self._drop = [], [], [], []
            self._limit = None
        self.down(False)

    def decide(self, method: str, path: str) -> Decision:
        """Consume the rules matching one request and say what to do to it."""
        decision = Decision()
        with self._lock:
            for rule in self._latency:
                if rule.matches(method, path):
                    rule.consume()
                    decision.latency += rule.seconds
            for rule in self._fail:
                if rule.matches(method, path):
                    rule.consume()
                    decision.status, decision.retry_after = rule.status, rule.retry_after
                    decision.after_processing = rule.after_processing
                    return decision
            for rule in self._rate:
                if rule.matches(method, path) and rule.rng and rule.rng.random() < rule.probability:
                    decision.status = rule.status
                    return decision
            if self._limit is not None and not self._limit.admits(time.monotonic()):
                decision.status = 429
                return decision
            for rule in self._drop:
                if rule.matches(method, path):
                    rule.consume()
                    decision.drop = True
                    decision.after_processing = rule.after_processing
                    return decision
        return decision

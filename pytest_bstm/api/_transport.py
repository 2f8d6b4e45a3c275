"""Sending one try, and what a ``requests`` failure means: the only place the client
catches one. The retry loop (:mod:`pytest_bstm.api._request`) sees an answer or an
:class:`Undelivered`, read once."""

from __future__ import annotations

import enum
import socket
import ssl
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
import urllib3.exceptions

from pytest_bstm.masking import Redactor

from .retry import seconds

_FORM = {"Content-Type": None}  # drops the session's JSON Content-Type for a multipart form


class Transport(Protocol):
    """What the client sends requests through: a ``requests.Session`` or a wrapper of one.

    ``Client(transport=wrap)`` calls ``wrap(session)`` with the session it built (auth,
    proxies, CA bundle resolved) and sends every request through what ``wrap`` returns. The
    dry run records requests through this seam; tests inject faults through it.
    """

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        json: Any = None,
        timeout: Any = None,
        files: Any = None,
        headers: Any = None,
    ) -> requests.Response: ...

    def close(self) -> None: ...


TransportFactory = Callable[[requests.Session], Transport]


@dataclass(frozen=True)
class Undelivered:
    """A try that got no answer, read once: whether it may have reached the service
    (``delivery``), what went wrong as a fact (``kind``: ``proxy``, ``dns``, ``refused``,
    ``certificate``, ``tls``, ``unreachable`` (no connection within the timeout),
    ``timeout`` (no answer), ``dropped``, ``bad_url`` or ``transport``) and in one short
    clause for people (``reason``: ``127.0.0.1:8799 refused the connection``; never
    urllib3's nested text)."""

    exc: requests.RequestException
    delivery: Delivery
    kind: str
    reason: str


def send(
    session: Transport,
    method: str,
    url: str,
    *,
    params: Mapping[str, str | int] | None,
    body: Any,
    files: Mapping[str, tuple[str, bytes, str]] | None,
    timeout: float,
    base_url: str,
    redact: Redactor,
) -> requests.Response | Undelivered:
    """One try: the answer, or what its failure means. ``files`` ({field: (name, bytes,
    type)}) sends a multipart form instead of the JSON ``body``."""
    payload = {"json": body} if files is None else {"files": files, "headers": _FORM}
    try:
        return session.request(method, url, params=params, timeout=timeout, **payload)
    except requests.RequestException as exc:
        kind, reason = read_failure(redact, exc, base_url, timeout)
        return Undelivered(exc, classify_exception(exc), kind, reason)


# urllib3 2 wraps a DNS failure in NameResolutionError; urllib3 1 chains socket.gaierror
_NAME_RESOLUTION: tuple[type[BaseException], ...] = tuple(
    kind
    for kind in (getattr(urllib3.exceptions, "NameResolutionError", None),)
    if isinstance(kind, type)
)


def read_failure(redact: Redactor, exc: BaseException, url: str, timeout: float) -> tuple[str, str]:
    """(kind, reason) of a failure on the wire (see :class:`Undelivered`)."""
    parts = urlsplit(url)
    host = parts.hostname or url
    where = parts.netloc.rpartition("@")[2] or host
    chain = list(exception_chain(exc))

    def has(*kinds: type[BaseException]) -> bool:
        return any(isinstance(e, kinds) for e in chain)

    if has(requests.exceptions.ProxyError, urllib3.exceptions.ProxyError):
        inner = chain[-1]
        return "proxy", f"the proxy failed on the way to {where} ({type(inner).__name__})"
    if has(socket.gaierror, *_NAME_RESOLUTION):
        return "dns", f"{host} could not be resolved (DNS)"
    if has(ConnectionRefusedError):
        return "refused", f"{where} refused the connection"
    if has(requests.exceptions.SSLError, ssl.SSLError):
        tls = next((e for e in chain if isinstance(e, ssl.SSLError)), None)
        verify = getattr(tls, "verify_message", None)
        why = f"certificate: {verify}" if verify else getattr(tls, "reason", None) or "unknown"
        return (
            "certificate" if verify else "tls"
        ), f"TLS with {where} failed ({redact.snippet(str(why))})"
    if has(requests.exceptions.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError):
        return "unreachable", f"{where} did not accept the connection within {seconds(timeout)}"
    if has(requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError, TimeoutError):
        return "timeout", f"{where} did not answer within {seconds(timeout)}"
    if has(ConnectionResetError, ConnectionAbortedError, BrokenPipeError) or has(
        urllib3.exceptions.ProtocolError, requests.exceptions.ChunkedEncodingError
    ):
        return "dropped", f"{where} closed the connection without an answer"
    if has(requests.exceptions.InvalidURL, requests.exceptions.MissingSchema):
        return "bad_url", f"{url} is not a URL the client can use"
    inner = chain[-1]
    return "transport", f"{where}: {type(inner).__name__}: {redact.snippet(str(inner))[:120]}"


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


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception it wraps (urllib3's ``reason``, exceptions among the
    arguments, ``__cause__``, ``__context__``), outermost first, each once."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        inner: list[BaseException | None] = [getattr(current, "reason", None)]
        inner.extend(arg for arg in current.args if isinstance(arg, BaseException))
        inner += [current.__cause__, current.__context__]
        stack.extend(reversed([e for e in inner if isinstance(e, BaseException)]))


def _connection_not_established(exc: BaseException) -> bool:
    """True if the cause chain shows the TCP connection was never made."""
    for current in exception_chain(exc):
        # NameResolutionError subclasses NewConnectionError in urllib3 2.
        if isinstance(current, (urllib3.exceptions.NewConnectionError, ConnectionRefusedError)):
            return True
        if isinstance(current, urllib3.exceptions.ProtocolError):
            return False
    return False

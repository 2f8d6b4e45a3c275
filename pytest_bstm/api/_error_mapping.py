"""Turning failed answers into :mod:`pytest_bstm.api.errors`, with secrets masked."""

from __future__ import annotations

import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3.exceptions

from pytest_bstm.masking import MAX_TEXT, Redactor

from . import errors
from ._transport import Delivery, classify_exception, exception_chain
from .retry import parse_retry_after, seconds

# urllib3 2 wraps a DNS failure in NameResolutionError; urllib3 1 chains socket.gaierror
_NAME_RESOLUTION: tuple[type[BaseException], ...] = tuple(
    kind
    for kind in (getattr(urllib3.exceptions, "NameResolutionError", None),)
    if isinstance(kind, type)
)


# the credentials of a URL (``https://user:KEY@hub-cloud.browserstack.com/wd/hub``)
def root_cause(redact: Redactor, exc: BaseException, url: str, timeout: float) -> str:
    """What went wrong on the wire, in one short clause: ``127.0.0.1:8799 refused the
    connection``, ``nowhere.invalid could not be resolved (DNS)``; never urllib3's nested
    text."""
    parts = urlsplit(url)
    host = parts.hostname or url
    where = parts.netloc.rpartition("@")[2] or host
    chain = list(exception_chain(exc))

    def has(*kinds: type[BaseException]) -> bool:
        return any(isinstance(e, kinds) for e in chain)

    if has(requests.exceptions.ProxyError, urllib3.exceptions.ProxyError):
        inner = chain[-1]
        return f"the proxy failed on the way to {where} ({type(inner).__name__})"
    if has(socket.gaierror, *_NAME_RESOLUTION):
        return f"{host} could not be resolved (DNS)"
    if has(ConnectionRefusedError):
        return f"{where} refused the connection"
    if has(requests.exceptions.SSLError, ssl.SSLError):
        tls = next((e for e in chain if isinstance(e, ssl.SSLError)), None)
        verify = getattr(tls, "verify_message", None)
        why = f"certificate: {verify}" if verify else getattr(tls, "reason", None) or "unknown"
        return f"TLS with {where} failed ({redact.snippet(str(why))})"
    if has(requests.exceptions.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError):
        return f"{where} did not accept the connection within {seconds(timeout)}"
    if has(requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError, TimeoutError):
        return f"{where} did not answer within {seconds(timeout)}"
    if has(ConnectionResetError, ConnectionAbortedError, BrokenPipeError) or has(
        urllib3.exceptions.ProtocolError, requests.exceptions.ChunkedEncodingError
    ):
        return f"{where} closed the connection without an answer"
    if has(requests.exceptions.InvalidURL, requests.exceptions.MissingSchema):
        return f"{url} is not a URL the client can use"
    inner = chain[-1]
    return f"{where}: {type(inner).__name__}: {redact.snippet(str(inner))[:120]}"


def failure_kind(failure: requests.Response | BaseException) -> str:
    """What a retried failure was, as a fact: ``rate_limited`` (429), ``timeout`` (408),
    ``server`` (another retried status), or the wire's (:func:`wire_kind`)."""
    if isinstance(failure, requests.Response):
        return {429: "rate_limited", 408: "timeout"}.get(failure.status_code, "server")
    return wire_kind(failure)


def wire_kind(exc: BaseException) -> str:
    """What went wrong on the wire, as a fact (the same tests as :func:`root_cause`): ``proxy``,
    ``dns``, ``refused``, ``certificate``, ``tls``, ``unreachable`` (no connection within the
    timeout), ``timeout`` (no answer), ``dropped``, ``bad_url`` or ``transport``."""
    chain = list(exception_chain(exc))

    def has(*kinds: type[BaseException]) -> bool:
        return any(isinstance(e, kinds) for e in chain)

    if has(requests.exceptions.ProxyError, urllib3.exceptions.ProxyError):
        return "proxy"
    if has(socket.gaierror, *_NAME_RESOLUTION):
        return "dns"
    if has(ConnectionRefusedError):
        return "refused"
    if has(requests.exceptions.SSLError, ssl.SSLError):
        tls = next((e for e in chain if isinstance(e, ssl.SSLError)), None)
        return "certificate" if getattr(tls, "verify_message", None) else "tls"
    if has(requests.exceptions.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError):
        return "unreachable"
    if has(requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError, TimeoutError):
        return "timeout"
    if has(ConnectionResetError, ConnectionAbortedError, BrokenPipeError) or has(
        urllib3.exceptions.ProtocolError, requests.exceptions.ChunkedEncodingError
    ):
        return "dropped"
    if has(requests.exceptions.InvalidURL, requests.exceptions.MissingSchema):
        return "bad_url"
    return "transport"


def api_error(
    redact: Redactor,
    method: str,
    api_path: str,
    response: requests.Response,
    data: Any,
    *,
    attempts: int,
) -> errors.ApiError:
    """The :class:`~pytest_bstm.api.errors.ApiError` subclass for an error answer."""
    status = response.status_code
    code: str | None = None
    message = ""
    if isinstance(data, dict):
        raw_code = data.get("error")
        if isinstance(raw_code, str):
            code = raw_code
        raw_message = data.get("message", data.get("errors"))
        if raw_message is not None:
            message = raw_message if isinstance(raw_message, str) else str(raw_message)
    elif response.text.strip():
        message = redact.snippet(response.text)
    if status == 429:
        wait = parse_retry_after(response.headers.get("Retry-After"))
        if wait is not None:
            message = f"{message} (Retry-After: {wait:.0f}s)".strip()
    cls = errors.api_error_for_status(status)
    return cls(
        status=status,
        error=redact(code) if code else None,
        message=redact(message)[:MAX_TEXT],
        method=method,
        path=api_path,
        attempts=attempts,
    )


def invalid_response(
    status: int, method: str, api_path: str, message: str, *, shape: bool
) -> errors.ApiError:
    """An answer that is not JSON (``shape`` False) or not of the shape expected."""
    hint = (
        "The service answered in an unexpected shape; report this to pytest-bstm."
        if shape
        else "The service answered in an unexpected format; try again later."
    )
    return errors.ApiError(
        status=status,
        error="invalid_response",
        message=message,
        method=method,
        path=api_path,
        hint=hint,
    )


def maybe_applied(
    method: str, api_path: str, status: int, attempts: int
) -> errors.AmbiguousRequestError:
    """A write answered by a gateway failure: it may have been applied."""
    return errors.AmbiguousRequestError(
        f"{method} {api_path} was answered HTTP {status} by a gateway: the service may have "
        "applied it; it was not retried, to avoid a duplicate. Check whether it took effect "
        "before sending it again.",
        method=method,
        path=api_path,
        attempts=attempts,
    )


def check_delivery(
    redact: Redactor,
    exc: requests.RequestException,
    method: str,
    api_path: str,
    *,
    url: str,
    timeout: float,
    attempt: int,
    idempotent: bool,
) -> None:
    """Raise at once for a failure not worth retrying; return for a retryable one.

    TLS failures and bad URLs raise :class:`~pytest_bstm.api.errors.FatalTransportError`; a
    failure after the request may have been sent raises
    :class:`~pytest_bstm.api.errors.AmbiguousRequestError` for a non-idempotent call.
    """
    delivery = classify_exception(exc)
    reason = root_cause(redact, exc, url, timeout)
    if delivery is Delivery.FATAL:
        hint = "check the URL"
        if "certificate" in reason:
            hint = "set REQUESTS_CA_BUNDLE to the CA bundle that signs the service's certificate"
        raise errors.FatalTransportError(
            f"{reason}: {hint}",
            method=method,
            path=api_path,
            attempts=attempt,
            kind=wire_kind(exc),
        ) from exc
    if delivery is Delivery.MAYBE_SENT and not idempotent:
        raise errors.AmbiguousRequestError(
            f"{method} {api_path} may have reached the service but no answer "
            f"arrived ({reason}); it was not retried, to avoid a duplicate: "
            "check whether it took effect before sending it again",
            method=method,
            path=api_path,
            attempts=attempt,
            kind=wire_kind(exc),
        ) from exc

"""Turning failed answers into :mod:`pytest_bstm.api.errors`, with secrets masked."""

from __future__ import annotations

from typing import Any

import requests

from pytest_bstm.masking import MAX_TEXT, Redactor

from . import errors
from ._transport import Delivery, Undelivered
from .retry import parse_retry_after


def read_status(status: int) -> tuple[str, str]:
    """(kind, reason) of a retried answer, as :class:`~pytest_bstm.api._transport.Undelivered`
    reads a failure: kind ``rate_limited`` (429), ``timeout`` (408) or ``server``; the reason
    in words for a progress line."""
    if status == 429:
        return "rate_limited", "rate limited by the service"
    return {408: "timeout"}.get(status, "server"), f"HTTP {status} from the service"


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
    failure: Undelivered, method: str, api_path: str, *, attempt: int, idempotent: bool
) -> None:
    """Raise at once for a failure not worth retrying; return for a retryable one.

    TLS failures and bad URLs raise :class:`~pytest_bstm.api.errors.FatalTransportError`; a
    failure after the request may have been sent raises
    :class:`~pytest_bstm.api.errors.AmbiguousRequestError` for a non-idempotent call.
    """
    reason = failure.reason
    if failure.delivery is Delivery.FATAL:
        hint = "check the URL"
        if "certificate" in reason:
            hint = "set REQUESTS_CA_BUNDLE to the CA bundle that signs the service's certificate"
        raise errors.FatalTransportError(
            f"{reason}: {hint}",
            method=method,
            path=api_path,
            attempts=attempt,
            kind=failure.kind,
        ) from failure.exc
    if failure.delivery is Delivery.MAYBE_SENT and not idempotent:
        raise errors.AmbiguousRequestError(
            f"{method} {api_path} may have reached the service but no answer "
            f"arrived ({reason}); it was not retried, to avoid a duplicate: "
            "check whether it took effect before sending it again",
            method=method,
            path=api_path,
            attempts=attempt,
            kind=failure.kind,
        ) from failure.exc

"""The exception tree of the Test Management client.

::

    BstmError
      InvalidRequestError (also a ValueError)   rejected locally, before any request
      CredentialsMissingError                   no username or access key
      ApiError                                  the service answered with an error
        BadRequestError        400
        AuthenticationError    401
        PermissionDeniedError  403
        NotFoundError          404
        RateLimitError         429
        ServerError            5xx
      TransportError                            no HTTP answer (after retries)
        AmbiguousRequestError                   a write may have happened (no answer, or a
                                                gateway's 502/504); not retried
        FatalTransportError                     TLS failure or bad URL: retrying cannot help

Every message says what to do next. No message ever contains the access key.
"""

from __future__ import annotations

from pytest_bstm.vocabulary import CREDENTIALS_ADVICE

__all__ = [
    "AmbiguousRequestError",
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "BstmError",
    "CredentialsMissingError",
    "FatalTransportError",
    "InvalidRequestError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "TransportError",
    "api_error_for_status",
]


class BstmError(Exception):
    """Base class of every error raised by :mod:`pytest_bstm.api`."""


class InvalidRequestError(BstmError, ValueError):
    """Arguments rejected locally; no request was sent."""


class CredentialsMissingError(BstmError):
    """The username or the access key is missing."""


class ApiError(BstmError):
    """The service answered with an error status (or a 2xx with ``"success": false``).

    ``status`` is the HTTP status, ``error`` the service's error code (if any),
    ``message`` the service's message, ``method`` and ``path`` identify the request.
    """

    hint = "See the message above; the request was not applied."

    def __init__(
        self,
        *,
        status: int,
        error: str | None,
        message: str,
        method: str,
        path: str,
        attempts: int = 1,
        hint: str | None = None,
    ) -> None:
        self.status = status
        self.error = error
        self.message = message
        self.method = method
        self.path = path
        self.attempts = attempts
        if hint is not None:
            self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        code = f" {self.error}" if self.error else ""
        text = f": {self.message}" if self.message else ""
        tries = f" (after {self.attempts} attempts)" if self.attempts > 1 else ""
        return f"{self.method} {self.path} -> HTTP {self.status}{code}{text}{tries}. {self.hint}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, error={self.error!r}, "
            f"message={self.message!r}, method={self.method!r}, path={self.path!r})"
        )


class BadRequestError(ApiError):
    """400: the service rejected the request's content."""

    hint = "The service rejected the request's content; check the values sent."


class AuthenticationError(ApiError):
    """401: the credentials were not accepted."""

    hint = (
        f"Authentication failed: {CREDENTIALS_ADVICE} "
        "(the access key is shown in the BrowserStack account settings)."
    )


class PermissionDeniedError(ApiError):
    """403: the user may not read or write this project or run."""

    hint = (
        "Permission denied: the BrowserStack user needs access to this project in "
        "Test Management; ask a project admin, or check the project ID."
    )


class NotFoundError(ApiError):
    """404: unknown project, run or case, or a closed run."""

    hint = (
        "Not found: check the project ID (PR-...) and run ID (TR-...); a closed run "
        'also answers 404 "Test Run ID is invalid", so write to an open run.'
    )


class RateLimitError(ApiError):
    """429: the account group's rate limit is exhausted."""

    hint = (
        "Rate limit exceeded: 300 requests per minute per account group, shared by all "
        "its users; wait a minute or report from fewer parallel jobs."
    )


class ServerError(ApiError):
    """5xx: the service failed."""

    hint = "The Test Management service failed; try again later."


class TransportError(BstmError):
    """No HTTP answer: connection refused, DNS failure, timeout, dropped connection."""

    def __init__(
        self, message: str, *, method: str, path: str, attempts: int = 1, kind: str = "transport"
    ) -> None:
        self.method = method
        self.path = path
        self.attempts = attempts
        self.kind = kind  # what went wrong on the wire: dns, refused, timeout, ...
        super().__init__(message)


class AmbiguousRequestError(TransportError):
    """A non-idempotent write (create, clone, add results) may have reached the service:
    the connection failed after sending, or a gateway answered 502 or 504.

    It was not retried, to avoid a duplicate; check whether it took effect (for example,
    list the runs or results) before sending it again.
    """


class FatalTransportError(TransportError):
    """No HTTP answer, and none will come by trying again: a TLS failure (a certificate
    not trusted, https to a plain-http port) or a bad URL. Fix the URL or the CA bundle."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def api_error_for_status(status: int) -> type[ApiError]:
    """The :class:`ApiError` subclass for an HTTP status (the base class if none fits)."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, ApiError)


#: Failures that the same request may get past later (no answer, a 5xx, the rate limit):
#: what the client gave up retrying, a caller tries again; every other error is permanent.
TRANSIENT = (TransportError, ServerError, RateLimitError)

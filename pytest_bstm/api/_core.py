"""The client's core: construction and the single ``_request()`` choke point."""

from __future__ import annotations

import base64
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType
from typing import Any, TypeVar

import requests
from pydantic import BaseModel, ValidationError

from pytest_bstm import __version__
from pytest_bstm.vocabulary import API_PREFIX

from . import errors
from ._envelopes import Page
from ._transport import (
    DEFAULT_BASE_URL,
    Transport,
    TransportFactory,
    build_session,
    normalize_base_url,
    parse_body,
    resolve_credentials,
)
from .retry import RETRY_STATUSES, Delivery, RetryPolicy, classify_exception, parse_retry_after

logger = logging.getLogger("pytest_bstm.api")

ModelT = TypeVar("ModelT", bound=BaseModel)
ItemT = TypeVar("ItemT", bound=BaseModel)
SelfT = TypeVar("SelfT", bound="ClientCore")

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})
_MAX_TEXT = 300


class ClientCore:
    """Holds the session, the retry policy and the request machinery."""

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        username: str | None = None,
        access_key: str | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        user_agent: str | None = None,
        transport: TransportFactory | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.base_url = normalize_base_url(base_url)
        user, key = resolve_credentials(username, access_key, os.environ)
        if timeout <= 0:
            raise errors.InvalidRequestError("timeout must be a positive number of seconds")
        self.username = user
        self.timeout = timeout
        self.retry = retry if retry is not None else RetryPolicy()
        self.user_agent = user_agent or f"pytest-bstm/{__version__}"
        token = base64.b64encode(f"{user}:{key}".encode()).decode("ascii")
        self._secrets = (key, token)
        session = build_session(
            self.base_url, username=user, access_key=key, user_agent=self.user_agent
        )
        self._session: Transport = session if transport is None else transport(session)
        # How to wait between attempts (a caller may end the wait by raising), and the clock
        # of the retry deadline.
        self._sleep: Callable[[float], None] = time.sleep if sleep is None else sleep
        self._clock: Callable[[], float] = time.monotonic

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, username={self.username!r})"

    def wait(self, seconds: float) -> None:
        """Wait ``seconds`` the way the client waits between retries (its ``sleep=``, which
        may end the wait by raising)."""
        self._sleep(seconds)

    def close(self) -> None:
        """Close the underlying HTTP session."""
        self._session.close()

    def __enter__(self: SelfT) -> SelfT:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------ the choke point

    def _request(
        self,
        method: str,
        path: str,
        *,
        model: type[ModelT],
        params: Mapping[str, str | int] | None = None,
        body: Any = None,
        idempotent: bool | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> ModelT:
        """Send one API call (with retries) and validate the answer into ``model``.

        ``path`` is relative to ``/api/v2``. ``idempotent`` defaults to True for every
        method but POST; a non-idempotent call is not retried once it may have been sent.
        ``context`` is handed to the model's validators.
        """
        api_path = API_PREFIX + path
        if idempotent is None:
            idempotent = method in _IDEMPOTENT_METHODS
        response, attempts = self._send(method, api_path, params, body, idempotent=idempotent)
        data = parse_body(response.text)
        status = response.status_code
        if status >= 400 or (isinstance(data, dict) and data.get("success") is False):
            raise self._api_error(method, api_path, response, data, attempts)
        if data is None and not response.text.strip():
            data = {}
        if not isinstance(data, dict):
            raise errors.ApiError(
                status=status,
                error="invalid_response",
                message=f"expected a JSON object, got {self._snippet(response.text)!r}",
                method=method,
                path=api_path,
                hint="The service answered in an unexpected format; try again later.",
            )
        try:
            return model.model_validate(data, context=context)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise errors.ApiError(
                status=status,
                error="invalid_response",
                message=f"unexpected answer: {where}: {first['msg']}",
                method=method,
                path=api_path,
                hint="The service answered in an unexpected shape; report this to pytest-bstm.",
            ) from exc

    def _send(
        self,
        method: str,
        api_path: str,
        params: Mapping[str, str | int] | None,
        body: Any,
        *,
        idempotent: bool,
    ) -> tuple[requests.Response, int]:
        """The retry loop; returns the final answer or raises TransportError."""
        policy = self.retry
        url = self.base_url + api_path
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            retry_after: float | None = None
            try:
                response = self._session.request(
                    method, url, params=params, json=body, timeout=self.timeout
                )
            except requests.RequestException as exc:
                delivery = classify_exception(exc)
                reason = self._describe(exc)
                if delivery is Delivery.FATAL:
                    raise errors.TransportError(
                        f"{method} {api_path} failed: {reason}. Check the base URL "
                        "and, for TLS errors, REQUESTS_CA_BUNDLE.",
                        method=method,
                        path=api_path,
                        attempts=attempt,
                    ) from exc
                if delivery is Delivery.MAYBE_SENT and not idempotent:
                    raise errors.AmbiguousRequestError(
                        f"{method} {api_path} may have reached the service but no answer "
                        f"arrived ({reason}); it was not retried, to avoid a duplicate. "
                        "Check whether it took effect before sending it again.",
                        method=method,
                        path=api_path,
                        attempts=attempt,
                    ) from exc
                failure: requests.Response | requests.RequestException = exc
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response, attempt
                failure = response
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            delay = policy.delay(attempt, retry_after)
            elapsed = self._clock() - started
            if attempt >= policy.attempts or elapsed + delay > policy.deadline:
                if isinstance(failure, requests.Response):
                    return failure, attempt
                raise errors.TransportError(
                    f"{method} {api_path}: no answer from {self.base_url} after {attempt} "
                    f"attempt(s) in {elapsed:.1f}s ({self._describe(failure)}). Check the "
                    "network, proxy settings and the base URL, or try again later.",
                    method=method,
                    path=api_path,
                    attempts=attempt,
                ) from failure
            what = (
                f"HTTP {failure.status_code}"
                if isinstance(failure, requests.Response)
                else type(failure).__name__
            )
            logger.info(
                "%s %s: %s, retrying in %.2fs (attempt %d of %d)",
                method,
                api_path,
                what,
                delay,
                attempt + 1,
                policy.attempts,
            )
            self._sleep(delay)

    # ------------------------------------------------------------ errors

    def _api_error(
        self,
        method: str,
        api_path: str,
        response: requests.Response,
        data: Any,
        attempts: int,
    ) -> errors.ApiError:
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
            message = self._snippet(response.text)
        if status == 429:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is not None:
                message = f"{message} (Retry-After: {wait:.0f}s)".strip()
        cls = errors.api_error_for_status(status)
        return cls(
            status=status,
            error=self._redact(code) if code else None,
            message=self._redact(message)[:_MAX_TEXT],
            method=method,
            path=api_path,
            attempts=attempts,
        )

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _snippet(self, text: str) -> str:
        return self._redact(" ".join(text.split()))[:_MAX_TEXT]

    def _describe(self, exc: BaseException) -> str:
        return f"{type(exc).__name__}: {self._snippet(str(exc))}"

    # ------------------------------------------------------------ pagination

    def _paginate(
        self,
        path: str,
        page_model: type[Page[ItemT]],
        params: Mapping[str, str | int],
        page_size: int,
    ) -> Iterator[ItemT]:
        """Follow ``info.next`` from page 1 until it is null."""
        page = 1
        while True:
            query = {**params, "p": page, "page_size": page_size}
            result = self._request("GET", path, model=page_model, params=query)
            yield from result.items
            following = result.info.next if result.info is not None else None
            if following is None:
                return
            if following <= page:
                raise errors.ApiError(
                    status=200,
                    error="invalid_pagination",
                    message=f"page {page} points back to page {following}",
                    method="GET",
                    path=API_PREFIX + path,
                    hint="The service's pagination did not advance; try again later.",
                )
            page = following

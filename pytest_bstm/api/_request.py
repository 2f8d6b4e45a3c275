"""The client's core: construction and the single ``_request()`` choke point."""

from __future__ import annotations

import base64
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import requests
from pydantic import BaseModel, ValidationError

from pytest_bstm import __version__
from pytest_bstm.masking import Redactor
from pytest_bstm.vocabulary import API_PREFIX

from . import errors
from ._envelopes import Page, parse_body
from ._error_mapping import (
    api_error,
    check_delivery,
    invalid_response,
    maybe_applied,
    read_status,
)
from ._learnt import CaseChangePath, ProjectLinks
from ._session import DEFAULT_BASE_URL, build_session, normalize_base_url, resolve_credentials
from ._transport import Transport, TransportFactory, Undelivered, send
from .retry import (
    MAYBE_APPLIED_STATUSES,
    RETRY_STATUSES,
    RetryPolicy,
    Waiting,
    parse_retry_after,
)

logger = logging.getLogger("pytest_bstm.api")

ModelT = TypeVar("ModelT", bound=BaseModel)
ItemT = TypeVar("ItemT", bound=BaseModel)
SelfT = TypeVar("SelfT", bound="ClientCore")

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE"})


class ClientCore:
    """Holds the session, the retry policy and the request machinery.

    ``requests_sent`` counts HTTP requests (every try, retries included) and
    ``rate_limited`` the answers 429, since the client was built; ``waiting`` says what a
    retry is waiting for while it waits. All three are safe to read from any thread.

    The endpoint functions (:mod:`pytest_bstm.api.client`) call :meth:`_request` and
    :meth:`_paginate`; what they learn from answers is kept in two explicit objects of
    :mod:`pytest_bstm.api._learnt`: ``links`` (project and run web pages) and
    ``case_changes`` (the add/remove test cases path that works).
    """

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
        self._redact = Redactor(key, token)
        session = build_session(
            self.base_url, username=user, access_key=key, user_agent=self.user_agent
        )
        self._session: Transport = session if transport is None else transport(session)
        # How to wait between attempts (a caller may end the wait by raising), and the clock
        # of the retry deadline.
        self._sleep: Callable[[float], None] = time.sleep if sleep is None else sleep
        self._clock: Callable[[], float] = time.monotonic
        # What the endpoint functions learn from answers, kept for the client's life.
        self.links = ProjectLinks(self.base_url)
        self.case_changes = CaseChangePath()
        self._stats_lock = threading.Lock()
        self._requests_sent = 0
        self._rate_limited = 0
        self._waiting: Waiting | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, username={self.username!r})"

    def wait(self, seconds: float) -> None:
        """Wait ``seconds`` the way the client waits between retries (its ``sleep=``, which
        may end the wait by raising)."""
        self._sleep(seconds)

    def close(self) -> None:
        """Close the underlying HTTP session."""
        self._session.close()

    @property
    def requests_sent(self) -> int:
        """HTTP requests sent so far (every try, retries included)."""
        with self._stats_lock:
            return self._requests_sent

    @property
    def rate_limited(self) -> int:
        """Answers 429 (rate limit exceeded) received so far."""
        with self._stats_lock:
            return self._rate_limited

    @property
    def waiting(self) -> Waiting | None:
        """The retry wait in progress (in any thread), or None."""
        return self._waiting

    def __enter__(self: SelfT) -> SelfT:
        return self

    def __exit__(self, *exc_info: object) -> None:
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
        retry: RetryPolicy | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> ModelT:
        """Send one API call (with retries) and validate the answer into ``model``.

        ``path`` is relative to ``/api/v2``. ``idempotent`` defaults to True for every
        method but POST; a non-idempotent call is not retried once it may have been sent.
        ``context`` is handed to the model's validators; ``retry`` replaces the client's
        policy for this call; ``files`` ({field: (name, bytes, type)}) sends a multipart form.
        """
        api_path = API_PREFIX + path
        if idempotent is None:
            idempotent = method in _IDEMPOTENT_METHODS
        policy = self.retry if retry is None else retry
        response, attempts = self._send(
            method, api_path, params, body, idempotent=idempotent, policy=policy, files=files
        )
        data = parse_body(response.text)
        status = response.status_code
        if status >= 400 or (isinstance(data, dict) and data.get("success") is False):
            raise api_error(self._redact, method, api_path, response, data, attempts=attempts)
        if data is None and not response.text.strip():
            data = {}
        if not isinstance(data, dict):
            text = self._redact.snippet(response.text)
            message = f"expected a JSON object, got {text!r}"
            raise invalid_response(status, method, api_path, message, shape=False)
        try:
            return model.model_validate(data, context=context)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            message = f"unexpected answer: {where}: {first['msg']}"
            raise invalid_response(status, method, api_path, message, shape=True) from exc

    def _send(
        self,
        method: str,
        api_path: str,
        params: Mapping[str, str | int] | None,
        body: Any,
        *,
        idempotent: bool,
        policy: RetryPolicy,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> tuple[requests.Response, int]:
        """The retry loop; returns the final answer or raises TransportError."""
        url = self.base_url + api_path
        started = self._clock()
        attempt = 0
        while True:
            attempt += 1
            retry_after: float | None = None
            status: int | None = None
            with self._stats_lock:
                self._requests_sent += 1
            answer = send(
                self._session,
                method,
                url,
                params=params,
                body=body,
                files=files,
                timeout=self.timeout,
                base_url=self.base_url,
                redact=self._redact,
            )
            if isinstance(answer, Undelivered):
                check_delivery(answer, method, api_path, attempt=attempt, idempotent=idempotent)
                reason, kind = answer.reason, answer.kind
            else:
                status = answer.status_code
                if status == 429:
                    with self._stats_lock:
                        self._rate_limited += 1
                if status not in RETRY_STATUSES:
                    return answer, attempt
                if status in MAYBE_APPLIED_STATUSES and not idempotent:
                    raise maybe_applied(method, api_path, status, attempt)
                retry_after = parse_retry_after(answer.headers.get("Retry-After"))
                kind, reason = read_status(status)
            now = self._clock()
            delay = policy.next_wait(
                attempt, elapsed=now - started, now=now, status=status, retry_after=retry_after
            )
            waiting = Waiting(
                reason, now + (delay or 0.0), attempt, method, api_path, started, kind=kind
            )
            if delay is None:
                if isinstance(answer, Undelivered):
                    raise errors.TransportError(
                        waiting.told(now), method=method, path=api_path, attempts=attempt, kind=kind
                    ) from answer.exc
                return answer, attempt
            logger.info(
                "%s %s: %s, retrying in %.2fs (attempt %d)",
                method,
                api_path,
                reason,
                delay,
                attempt + 1,
            )
            self._waiting = waiting
            try:
                self._sleep(delay)
            finally:
                self._waiting = None

    # ------------------------------------------------------------ pagination

    def _paginate(
        self,
        path: str,
        page_model: type[Page[ItemT]],
        params: Mapping[str, str | int],
        page_size: int,
        *,
        retry: RetryPolicy | None = None,
    ) -> Iterator[ItemT]:
        """Follow ``info.next`` from page 1 until it is null."""
        page = 1
        while True:
            query = {**params, "p": page, "page_size": page_size}
            result = self._request("GET", path, model=page_model, params=query, retry=retry)
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

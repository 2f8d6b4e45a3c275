"""Session set-up (auth, proxies, CA bundle resolved once) and lenient body parsing."""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
import requests.utils
import urllib3.exceptions

from pytest_bstm.vocabulary import (
    ACCESS_KEY_ENV,
    DEFAULT_URL,
    USERNAME_ENV,
    check_url,
    is_loopback,
)

from .errors import CredentialsMissingError, InvalidRequestError

DEFAULT_BASE_URL = DEFAULT_URL


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


class RedactedBasicAuth(requests.auth.HTTPBasicAuth):
    """HTTP Basic auth whose repr never shows the access key."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(username={self.username!r}, password='***')"


def resolve_credentials(
    username: str | None, access_key: str | None, environ: Mapping[str, str]
) -> tuple[str, str]:
    """Explicit values win; else the environment; both are required."""
    user = username if username is not None else environ.get(USERNAME_ENV, "")
    key = access_key if access_key is not None else environ.get(ACCESS_KEY_ENV, "")
    if not user or not key:
        missing = [
            name for name, value in ((USERNAME_ENV, user), (ACCESS_KEY_ENV, key)) if not value
        ]
        raise CredentialsMissingError(
            f"BrowserStack credentials missing ({', '.join(missing)} not set): set both "
            f"{USERNAME_ENV} and {ACCESS_KEY_ENV} (or pass username= and access_key=)."
        )
    return user, key


def normalize_base_url(base_url: str) -> str:
    """``scheme://host[:port][/prefix]`` without a trailing slash or ``/api/v2``; the rule is
    :func:`pytest_bstm.vocabulary.check_url`. Raises InvalidRequestError."""
    try:
        return check_url(base_url)
    except ValueError as exc:
        raise InvalidRequestError(f"base_url: {exc}.") from None


def build_session(
    base_url: str, *, username: str, access_key: str, user_agent: str
) -> requests.Session:
    """A session with everything requests would read from the environment fixed now.

    Proxies (for ``base_url``; none for loopback hosts) and the CA bundle
    (``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE``, else the default store) are resolved once,
    then ``trust_env`` is switched off so no later request reads ``os.environ``.
    TLS verification stays on.
    """
    session = requests.Session()
    session.auth = RedactedBasicAuth(username, access_key)
    session.headers.update(
        {"User-Agent": user_agent, "Accept": "application/json", "Content-Type": "application/json"}
    )
    host = urlsplit(base_url).hostname or ""
    if not is_loopback(host):
        session.proxies.update(requests.utils.get_environ_proxies(base_url))
    session.verify = _ca_bundle()
    session.trust_env = False
    return session


def _ca_bundle() -> str | bool:
    """The CA bundle named by the environment (checked to exist), else the default store."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        path = os.environ.get(name)
        if path:
            if not os.path.exists(path):
                raise InvalidRequestError(
                    f"{name} names {path!r}, which does not exist; fix or unset it."
                )
            return path
    return True


def parse_body(text: str) -> Any:
    """JSON, tolerating trailing commas; None for an empty or unreadable body."""
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return json.loads(_strip_trailing_commas(text))
    except ValueError:
        return None


def _strip_trailing_commas(text: str) -> str:
    """Drop commas that directly precede ``}`` or ``]`` (outside strings)."""
    out: list[str] = []
    in_string = escaped = False
    pending_comma: int | None = None
    for char in text:
        if in_string:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char in "}]" and pending_comma is not None:
            del out[pending_comma]
        if not char.isspace():
            pending_comma = None
        if char == ",":
            pending_comma = len(out)
        elif char == '"':
            in_string = True
        out.append(char)
    return "".join(out)


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

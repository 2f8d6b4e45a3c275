"""The client's ``requests.Session``: credentials, base URL, auth, proxies and CA bundle,
resolved once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

import requests
import requests.utils

from pytest_bstm.vocabulary import (
    ACCESS_KEY_ENV,
    DEFAULT_URL,
    USERNAME_ENV,
    check_url,
    is_loopback,
)

from .errors import CredentialsMissingError, InvalidRequestError

DEFAULT_BASE_URL = DEFAULT_URL


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

"""Masking of secrets in any text the plugin shows or keeps: one rule (stdlib only, so that
pytest's process can use it without the client stack)."""

from __future__ import annotations

import re

MAX_TEXT = 300  # characters of one masked line

# a scheme of at most 32 characters, so that a long text without ``://`` is scanned a bounded
# length from each position, not to its end (a longer run still matches at its last 32)
_SCHEME = r"[A-Za-z][A-Za-z0-9+.-]{0,31}://"
_USERINFO = re.compile(rf"(?P<scheme>{_SCHEME})[^/\s@]+@")
# a query's values in a URL (``?token=...``): a secret as often as not
_QUERY = re.compile(rf"(?P<url>{_SCHEME}[^\s?#'\"]*\?)(?P<query>[^\s#'\"]*)")
_VALUE = re.compile(r"=[^&;]*")


def _mask_query(match: re.Match[str]) -> str:
    return match["url"] + _VALUE.sub("=***", match["query"])


def _userinfo(text: str) -> str:
    return _USERINFO.sub(r"\g<scheme>***@", text)


def urls(text: str) -> str:
    """``text`` with the credentials and query values of every URL in it masked
    (``https://***@host/?token=***``): for what the plugin and ``bstm`` say about the URLs
    they were given. (Evidence links keep their query: a BrowserStack public link's
    ``auth_token`` is there to be shared.)"""
    return _QUERY.sub(_mask_query, _userinfo(text))


# a URL query's value of a parameter that names a secret (``?access_key=...&password=...``);
# not ``auth_token``: a BrowserStack session's public link is meant to be shared
_SECRET_PARAM = re.compile(
    r"(?i)(?P<name>[?&#](?:access_?key|api_?key|key|password|passwd|pwd|secret|client_secret"
    r"|token|access_token|private_token|id_token|refresh_token|sig|signature"
    r"|x-amz-signature|x-amz-credential|x-goog-signature)=)"
    r"[^&#\s]+"
)


class Redactor:
    """Masks the access key (and the Basic auth token made from it) in any text, and the
    credentials of any URL in it (``https://***@host/...``), whoever's key they are, and the
    value of a query parameter named for a secret (``?access_key=***``)."""

    def __init__(self, *secrets: str) -> None:
        self._secrets = tuple(s for s in secrets if s)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        text = _userinfo(text)
        return _SECRET_PARAM.sub(r"\g<name>***", text)

    def snippet(self, text: str) -> str:
        """One masked line of at most 300 characters."""
        return self(" ".join(text.split()))[:MAX_TEXT]

    def describe(self, exc: BaseException) -> str:
        """``ExceptionType: message``, masked."""
        return f"{type(exc).__name__}: {self.snippet(str(exc))}"

"""The words pytest-bstm shares with the TM API: ID patterns, environment names, the default URL,
the system statuses, run modes, the default run name, the batch limit, the date formats, and
the URL and credential rules. One place for each; every other module imports from here.

Sources: IDs as the API reference shows them (``PR-1``, ``TR-5``, ``TC-1``, ``TP-1``, ``STP-5``);
the credential variables are the vendor's documented ``BROWSERSTACK_USERNAME`` /
``BROWSERSTACK_ACCESS_KEY``; the URL rules (plain http only for loopback, no credentials, no
query) are our choice, so that an access key never travels in clear text or in a URL. The
system statuses are the keys of the doc's ``overall_progress`` (``in_progress`` among them:
the test-runs reference lists it with the other six, and api-notes names all seven); the
300-per-request limit of bulk results and the two date formats are the doc's.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Mapping
from typing import Literal
from urllib.parse import urlsplit

from pytest_bstm import masking

PROJECT_RE = re.compile(r"PR-\d+")
RUN_RE = re.compile(r"TR-\d+")
CASE_ID_RE = re.compile(r"TC-\d+")
PLAN_RE = re.compile(r"TP-\d+")
SUB_PLAN_RE = re.compile(r"STP-\d+")
EMAIL_RE = re.compile(r"[^@\s,]+@[^@\s,]+\.[^@\s,]+")
STATUS_RE = re.compile(r"[A-Za-z][A-Za-z0-9_ ]*")  # a system or custom result status name

USERNAME_ENV = "BROWSERSTACK_USERNAME"
ACCESS_KEY_ENV = "BROWSERSTACK_ACCESS_KEY"
PROJECT_ENV = "BSTM_PROJECT"
URL_ENV = "BSTM_URL"
RUN_ENV = "BSTM_RUN"
RATE_LIMIT_WINDOW_ENV = "BSTM_RATE_LIMIT_WINDOW"  # seconds; the doc's window is 60

DEFAULT_URL = "https://test-management.browserstack.com"
API_PREFIX = "/api/v2"

#: Result statuses every account has, in the order progress lines show them (custom statuses,
#: named per account, come before ``untested``).
SYSTEM_STATUSES = ("passed", "failed", "blocked", "retest", "skipped", "in_progress", "untested")
RUN_STATES = ("new", "new_run", "in_progress", "under_review", "rejected", "done", "closed")
#: How a session finds its run: a new one, a clone of another, or one it joins.
RunMode = Literal["create", "clone", "join"]
#: The name of a run the user did not name (``{date}``, ``{time}``, ``{env:VAR}`` filled).
DEFAULT_RUN_NAME = "pytest {date} {time}"
#: Results one bulk request takes at the most (api-notes: "at most 300 per request").
MAX_RESULTS_PER_REQUEST = 300
#: Dates as the service takes them in filters: ``YYYY-MM-DD`` or ``DD-MM-YYYY`` (doc).
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y")
#: The largest file a test result takes (third-party material; see api/_readings.py).
MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024

OUTCOMES = (
    "passed",
    "failed",
    "setup_error",
    "teardown_error",
    "skipped",
    "xfailed",
    "xpassed",
    "rerun_passed",  # passed after pytest-rerunfailures repeated it
)
DEFAULT_STATUS_MAP: Mapping[str, str] = {
    "passed": "passed",
    "failed": "failed",
    "setup_error": "blocked",
    "teardown_error": "failed",
    "skipped": "skipped",
    "xfailed": "skipped",
    "xpassed": "passed",
    "rerun_passed": "passed",
}


def parse_date(text: str) -> dt.date | None:
    """A date written in one of :data:`DATE_FORMATS`, or None."""
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback IP address (``127.0.0.1``, ``::1``)."""
    if host.lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> str:
    """The API base URL as ``scheme://host[:port][/prefix]``, without a trailing slash or
    ``/api/v2``. Raises ``ValueError`` naming what to change: not http(s), no host,
    credentials in the URL, a query or fragment, or plain http to a non-loopback host."""
    text = url.strip()
    shown = masking.urls(text)  # never echo a secret in its query
    try:
        parts = urlsplit(text)
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError(f"{shown!r} is not an http(s) URL") from None
    if parts.scheme not in {"http", "https"} or not hostname:
        raise ValueError(f"{shown!r} is not an http(s) URL (e.g. {DEFAULT_URL})")
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            f"the URL must not contain credentials: set {USERNAME_ENV} and {ACCESS_KEY_ENV}"
        )
    if parts.query or parts.fragment:
        raise ValueError(f"{shown!r} must not have a query or fragment")
    if parts.scheme == "http" and not is_loopback(hostname):
        raise ValueError(f"{shown!r} uses plain http, which only loopback hosts may: use https")
    path = parts.path.rstrip("/")
    if path.endswith(API_PREFIX):
        path = path[: -len(API_PREFIX)]
    return f"{parts.scheme}://{parts.netloc}{path}"


#: What to do when the service refuses the credentials (HTTP 401).
CREDENTIALS_ADVICE = f"check {USERNAME_ENV} and {ACCESS_KEY_ENV}"
#: what a 401 means, said alike by the plugin and ``bstm``
CREDENTIALS_REFUSED = f"the service refused the credentials (HTTP 401): {CREDENTIALS_ADVICE}"


def missing_credentials(environ: Mapping[str, str]) -> list[str]:
    """The names of the credential variables that are unset or empty in ``environ``."""
    return [name for name in (USERNAME_ENV, ACCESS_KEY_ENV) if not environ.get(name)]


def credentials_hint(missing: list[str]) -> str:
    """One sentence saying which variables to set."""
    return f"BrowserStack credentials missing ({', '.join(missing)} not set): set both " + (
        f"{USERNAME_ENV} and {ACCESS_KEY_ENV}"
    )

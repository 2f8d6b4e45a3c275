"""HTTP client of the BrowserStack Test Management API (``/api/v2``)."""

from __future__ import annotations

from . import errors, models
from ._transport import Transport
from .client import DEFAULT_BASE_URL, Client
from .retry import RetryPolicy, Waiting

__all__ = [
    "DEFAULT_BASE_URL",
    "Client",
    "RetryPolicy",
    "Transport",
    "Waiting",
    "errors",
    "models",
]

"""Local validation and formatting of query parameters (before any request)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pytest_bstm.vocabulary import parse_date

from .errors import InvalidRequestError

PAGE_SIZES = (30, 300)


def check_page_size(page_size: int) -> int:
    """The service accepts only 30 or 300 items per page."""
    if isinstance(page_size, bool) or page_size not in PAGE_SIZES:
        raise InvalidRequestError(f"page_size must be 30 or 300, not {page_size!r}")
    return page_size


def format_date(name: str, value: dt.date | str) -> str:
    """A ``date`` (or ``datetime``) or a ``YYYY-MM-DD`` / ``DD-MM-YYYY`` string, as YYYY-MM-DD."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and (parsed := parse_date(value)) is not None:
        return parsed.isoformat()
    raise InvalidRequestError(
        f"{name} must be a datetime.date or a 'YYYY-MM-DD' or 'DD-MM-YYYY' string, not {value!r}"
    )


def join_values(name: str, value: str | Sequence[str]) -> str:
    """One value or several (sent comma-separated: any of them matches)."""
    values = [value] if isinstance(value, str) else list(value)
    if not values:
        raise InvalidRequestError(f"{name} needs at least one value")
    for item in values:
        if not isinstance(item, str) or not item.strip() or "," in item:
            raise InvalidRequestError(
                f"{name} values must be non-empty strings without commas, not {item!r}"
            )
    return ",".join(item.strip() for item in values)


def single_value(name: str, value: str) -> str:
    """A parameter that the service accepts only once."""
    if not isinstance(value, str) or not value.strip() or "," in value:
        raise InvalidRequestError(f"{name} takes a single value (e.g. 'TP-1'), not {value!r}")
    return value.strip()


def flag(value: bool) -> str:
    """A boolean query parameter."""
    if not isinstance(value, bool):
        raise InvalidRequestError(f"expected True or False, not {value!r}")
    return "true" if value else "false"

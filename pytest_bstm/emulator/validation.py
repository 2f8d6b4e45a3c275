"""Strict readers for request bodies and query strings: anything malformed is a 400."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from .errors import bad_request

EMAIL_RE = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DMY_DATE = re.compile(r"^\d{2}-\d{2}-\d{4}$")


def require_object(value: Any, what: str) -> dict[str, Any]:
    """``value`` as a JSON object, else 400."""
    if not isinstance(value, dict):
        raise bad_request(f"{what} must be a JSON object")
    return value


def reject_unknown(obj: Mapping[str, Any], allowed: set[str] | frozenset[str], what: str) -> None:
    """400 when ``obj`` carries keys outside ``allowed``."""
    unknown = sorted(set(obj) - set(allowed))
    if unknown:
        raise bad_request(f"Unknown field(s) in {what}: {', '.join(unknown)}")


def opt_str(obj: Mapping[str, Any], key: str, *, blank: bool = True) -> str | None:
    """An optional string field (``null`` and absence give ``None``)."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(f"{key} must be a string")
    if not blank and not value.strip():
        raise bad_request(f"{key} can't be blank")
    return value


def opt_email(obj: Mapping[str, Any], key: str) -> str | None:
    """An optional email address field."""
    value = opt_str(obj, key)
    if value is not None and not EMAIL_RE.match(value):
        raise bad_request(f"{key} must be a valid email address, got {value!r}")
    return value


def opt_bool(obj: Mapping[str, Any], key: str) -> bool | None:
    """An optional JSON boolean field."""
    value = obj.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise bad_request(f"{key} must be true or false")


def str_list(
    obj: Mapping[str, Any], key: str, error: str = "validation_failed"
) -> list[str] | None:
    """An optional array of strings."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise bad_request(f"{key} must be an array of strings", error)
    return list(value)


def is_int(value: Any) -> bool:
    """A JSON integer (booleans excluded)."""
    return isinstance(value, int) and not isinstance(value, bool)


def int_list(
    obj: Mapping[str, Any], key: str, error: str = "validation_failed"
) -> list[int] | None:
    """An optional array of integers."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(is_int(item) for item in value):
        raise bad_request(f"{key} must be an array of integers", error)
    return list(value)


def unique(items: list[Any]) -> list[Any]:
    """``items`` without repeats, first occurrence kept."""
    return list(dict.fromkeys(items))


def parse_date(value: str, name: str) -> dt.date:
    """A query date in ``YYYY-MM-DD`` or ``DD-MM-YYYY``; anything else is a 400."""
    try:
        if _ISO_DATE.match(value):
            return dt.datetime.strptime(value, "%Y-%m-%d").date()
        if _DMY_DATE.match(value):
            return dt.datetime.strptime(value, "%d-%m-%Y").date()
    except ValueError:
        pass
    raise bad_request(f"{name} must be a date in YYYY-MM-DD or DD-MM-YYYY format, got {value!r}")


def query_bool(query: Mapping[str, str], name: str) -> bool | None:
    """A ``true``/``false`` query parameter; absent gives ``None``."""
    value = query.get(name)
    if value is None:
        return None
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise bad_request(f"{name} must be true or false, got {value!r}")


def csv(value: str) -> list[str]:
    """Comma-joined query values, blanks dropped."""
    return [part.strip() for part in value.split(",") if part.strip()]


def date_of(timestamp: str) -> dt.date:
    """The UTC calendar date of one of our ISO 8601 timestamps."""
    return dt.date.fromisoformat(timestamp[:10])

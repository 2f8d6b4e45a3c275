"""How one result is written: its journal record, its wire form, its key marker."""

from __future__ import annotations

import json
import re
from typing import Any

from pytest_bstm.api import models
from pytest_bstm.results.model import Result

KEY_RE = re.compile(r"\[pytest-bstm ([0-9a-f]{16})\]")  # the key at the end of a description
MAX_BATCH = 300  # results per request (api-notes: bulk results take at most 300)


def marker(key: str) -> str:
    return f"[pytest-bstm {key}]"


def journal_record(result: Result) -> dict[str, object]:
    return {
        "key": result.key,
        "case": result.case_id,
        "configuration": result.configuration_id,
        "status": result.status,
        "description": result.description,
        "nodeids": result.nodeids,
        "duration_ms": result.duration_ms,
        "issues": result.issues,
        "custom_fields": result.custom_fields,
    }


def from_record(record: dict[str, Any]) -> Result:
    """The result a journal record holds; KeyError/TypeError/ValueError when malformed."""
    return Result(
        case_id=str(record["case"]),
        configuration_id=record.get("configuration"),
        status=str(record["status"]),
        description=str(record.get("description") or ""),
        nodeids=[str(n) for n in record.get("nodeids") or []],
        duration_ms=int(record.get("duration_ms") or 0),
        issues=record.get("issues"),
        custom_fields=record.get("custom_fields"),
        key=str(record["key"]),
    )


def to_wire(result: Result) -> models.ResultIn:
    return models.ResultIn(
        test_case_id=result.case_id,
        status=result.status,
        description=result.description,
        configuration_id=result.configuration_id,
        issues=result.issues,
        custom_fields=result.custom_fields,
        duration_in_ms=result.duration_ms,
    )


def result_size(result: Result) -> int:
    """Approximate bytes of the result on the wire."""
    fields = json.dumps(result.custom_fields) if result.custom_fields else "{}"
    return len(result.description) + 200 + len(fields)

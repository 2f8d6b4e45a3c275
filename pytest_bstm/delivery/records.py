"""How one result is written: its journal record, its wire form, its key marker."""

from __future__ import annotations

import json
import re

from pytest_bstm.api import models
from pytest_bstm.results.tracker import Result

KEY_RE = re.compile(r"\[pytest-bstm ([0-9a-f]{16})\]")  # the key at the end of a description
MAX_BATCH = 300  # results per request


def journal_record(result: Result, project: str, run_id: str | None) -> dict[str, object]:
    return {
        "key": result.key,
        "project": project,
        "run": run_id,
        "case": result.case_id,
        "configuration": result.configuration_id,
        "status": result.status,
        "description": result.description,
        "nodeids": result.nodeids,
        "duration_ms": result.duration_ms,
        "issues": result.issues,
        "custom_fields": result.custom_fields,
    }


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
    return len(result.description) + 200 + len(json.dumps(result.custom_fields or {}))

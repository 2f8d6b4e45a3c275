"""How one result is written: its journal record, its wire form, its key marker."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from json.encoder import encode_basestring_ascii as _text  # json's own string encoder
from typing import TYPE_CHECKING, Any

from pytest_bstm.results.model import MAX_ATTEMPTS, Key, Result, TestOutcome
from pytest_bstm.vocabulary import MAX_RESULTS_PER_REQUEST

if TYPE_CHECKING:  # pytest's process journals records and never imports the client stack
    from pytest_bstm.api import models

KEY_RE = re.compile(r"\[pytest-bstm ([0-9a-f]{16})\]")  # the key at the end of a description
MAX_BATCH = MAX_RESULTS_PER_REQUEST
MAX_FILES = 20  # attachments a test line keeps
FILE_FIELDS = ("kind", "file", "name", "content_type", "size")


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


_ENCODE = json.JSONEncoder(separators=(",", ":")).encode  # one, not one per line
_RESULT = (
    '{"type":"result","key":%s,"case":%s,"configuration":%s,"status":%s,"description":%s,'
    '"nodeids":[%s],"duration_ms":%d,"issues":null,"custom_fields":null}\n'
)


def line(record: dict[str, Any]) -> str:
    """One journal line (compact JSON and a newline)."""
    return _ENCODE(record) + "\n"


def result_line(record: dict[str, Any]) -> str:
    """The journal line of a result record (:func:`journal_record`), the same JSON as
    :func:`line` gives ``{"type": "result", **record}``: a prebuilt template for the usual
    record (no issues, no custom fields), the encoder for the rest."""
    configuration, duration = record["configuration"], record["duration_ms"]
    if (
        record["issues"] is None
        and record["custom_fields"] is None
        and (configuration is None or type(configuration) is int)
        and type(duration) is int
        and len(record) == 9
    ):
        return _RESULT % (
            _text(record["key"]),
            _text(record["case"]),
            "null" if configuration is None else configuration,
            _text(record["status"]),
            _text(record["description"]),
            ",".join([_text(n) for n in record["nodeids"]]),
            duration,
        )
    return line({"type": "result", **record})


def running_line(nodeid: str, keys: Sequence[Key], status: str) -> str:
    """The journal line of a test about to run (its pairs, the status a crash gives them)."""
    pairs = ",".join([f"[{_text(c)},{'null' if n is None else int(n)}]" for c, n in keys])
    return (
        f'{{"type":"running","nodeid":{_text(nodeid)},"keys":[{pairs}],"status":{_text(status)}}}\n'
    )


def test_record(outcome: TestOutcome, status: str, keys: list[Key]) -> dict[str, object]:
    """One finished test whose pairs still wait for other tests, journaled once and small:
    its node ID, outcome, mapped status, the pairs it counts for and what its description
    line needs, each bounded (message 300 characters, 20 subtests of 300, the excerpt's 1,200,
    the last :data:`~pytest_bstm.results.model.MAX_ATTEMPTS` earlier attempts of 200, as
    the description names them): at most about 10 KB plus the node ID and the pairs."""
    record: dict[str, object] = {
        "type": "test",
        "nodeid": outcome.nodeid,
        "keys": keys,
        "outcome": outcome.outcome,
        "status": status,
        "duration": round(outcome.duration, 6),
    }
    if outcome.message:
        record["message"] = outcome.message[:300]
    if outcome.excerpt:
        record["excerpt"] = outcome.excerpt[-1200:]
    if outcome.subtests:
        record["subtests"] = [s[:300] for s in outcome.subtests[:20]]
    if outcome.earlier_attempts:
        record["earlier"] = [a[:200] for a in outcome.earlier_attempts[-MAX_ATTEMPTS:]]
    files = [e for e in outcome.evidence if e.get("kind") == "attachment"][:MAX_FILES]
    if files:  # a killed session's replay attaches them to the pair's result
        record["evidence"] = [{k: e.get(k) for k in FILE_FIELDS} for e in files]
    return record


def outcome_from_test_record(record: dict[str, Any]) -> tuple[TestOutcome, str, list[Key]]:
    """(the outcome, its status, its pairs) a ``test`` journal line holds; KeyError,
    TypeError or ValueError when malformed (a hand-edited journal)."""
    keys: list[Key] = []
    for pair in record["keys"]:
        case, configuration = pair
        if not isinstance(case, str) or not isinstance(configuration, int | None):
            raise ValueError(f"malformed test line: {record}")
        keys.append((case, configuration))
    outcome = TestOutcome(
        nodeid=str(record["nodeid"]),
        outcome=str(record["outcome"]),
        duration=float(record.get("duration") or 0.0),
        refs=[],
        message=record.get("message"),
        excerpt=record.get("excerpt"),
        earlier_attempts=[str(a) for a in record.get("earlier") or []],
        subtests=[str(s) for s in record.get("subtests") or []],
        evidence=[dict(e) for e in record.get("evidence") or [] if isinstance(e, dict)],
    )
    return outcome, str(record["status"]), keys


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
    """The result as the sender process posts it."""
    from pytest_bstm.api import models  # noqa: PLC0415 - the sender's side only

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

"""Response envelopes: the shapes around the models, validated by ``Client._request``."""

from __future__ import annotations

import json
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationInfo, model_validator

from ._readings import RESULT_ID_KEYS, RESULT_LIST_KEYS, pick_run
from .models import (
    Configuration,
    Project,
    ProjectTestCase,
    RunTestCase,
    TestResult,
    TestRun,
    TestRunDetails,
)

ItemT = TypeVar("ItemT", bound=BaseModel)


class Envelope(BaseModel):
    """Any JSON object answer; unknown keys kept."""

    model_config = ConfigDict(
        frozen=True, extra="allow", coerce_numbers_to_str=True, defer_build=True
    )

    success: bool | None = None
    message: str | None = None


class RunEnvelope(Envelope):
    """An answer holding one run under ``testrun``, ``test_run`` or at the top level.

    A ``run_id`` in the validation context (the ID the request named) fills a missing
    ``identifier``; see :func:`pytest_bstm.api._readings.pick_run`.
    """

    run: TestRun

    @model_validator(mode="before")
    @classmethod
    def _pick_run(cls, data: Any, info: ValidationInfo) -> Any:
        return pick_run(data, (info.context or {}).get("run_id"))


class RunDetailsEnvelope(RunEnvelope):
    """``GET .../test-runs/{id}``: the run with its test cases."""

    run: TestRunDetails


class AcceptedEnvelope(Envelope):
    """202 answer of adding/removing a run's test cases."""

    unique_id: str | None = None


class ResultCreatedEnvelope(Envelope):
    """Answer of posting one result: ``{"test-result": {"id": ...}}``."""

    result_id: str | int | None = None

    @model_validator(mode="before")
    @classmethod
    def _pick_id(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in RESULT_ID_KEYS:
                nested = data.get(key)
                if isinstance(nested, dict) and "id" in nested:
                    return {**data, "result_id": nested["id"]}
        return data


class PageInfo(BaseModel):
    """Pagination block: ``next`` is None on the last page."""

    model_config = ConfigDict(frozen=True, extra="allow", defer_build=True)

    page: int | None = None
    page_size: int | None = None
    count: int | None = None
    prev: int | None = None
    next: int | None = None


class Page(Envelope, Generic[ItemT]):
    """One page of a list; the items are read from the first of ``items_keys`` present."""

    items_keys: ClassVar[tuple[str, ...]] = ()

    info: PageInfo | None = None
    items: list[ItemT] = []

    @model_validator(mode="before")
    @classmethod
    def _pick_items(cls, data: Any) -> Any:
        if isinstance(data, dict) and "items" not in data:
            for key in cls.items_keys:
                if key in data:
                    rest = {k: v for k, v in data.items() if k != key}
                    return {**rest, "items": data[key] if data[key] is not None else []}
        return data


class RunsPage(Page[TestRun]):
    items_keys = ("test_runs", "testruns")


class RunCasesPage(Page[RunTestCase]):
    items_keys = ("test_cases",)


class ResultsPage(Page[TestResult]):
    items_keys = RESULT_LIST_KEYS


class ProjectCasesPage(Page[ProjectTestCase]):
    items_keys = ("test_cases",)


class ProjectsPage(Page[Project]):
    items_keys = ("projects",)


class ConfigurationsPage(Page[Configuration]):
    items_keys = ("configurations",)


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

"""Pydantic models of the Test Management API.

Response models are lenient: unknown fields are kept (``extra="allow"``), ``null`` lists
and mappings read as empty, numeric identifiers read as strings. Request models are strict
(``extra="forbid"``) and serialise without ``None`` fields. All models are frozen.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from ._readings import (
    SYSTEM_STATUSES,
    normalize_status,
    project_web_url,
    read_custom_fields,
    read_issues,
)

__all__ = [
    "SYSTEM_STATUSES",
    "Assignment",
    "CaseSelection",
    "Configuration",
    "ConfigurationMapEntry",
    "IssueTracker",
    "NewTestRun",
    "Project",
    "ProjectTestCase",
    "ResultIn",
    "RunTestCase",
    "TestResult",
    "TestRun",
    "TestRunDetails",
    "normalize_status",
]


def _empty_list_if_none(value: Any) -> Any:
    return [] if value is None else value


def _empty_dict_if_none(value: Any) -> Any:
    return {} if value is None else value


def _config_ids(value: Any) -> Any:
    """Configuration lists hold IDs; accept ``{"id": ...}`` objects too."""
    if value is None:
        return []
    if isinstance(value, list):
        return [item.get("id") if isinstance(item, dict) else item for item in value]
    return value


StrList = Annotated[list[str], BeforeValidator(_empty_list_if_none)]
IntList = Annotated[list[int], BeforeValidator(_config_ids)]
StrDict = Annotated[dict[str, str], BeforeValidator(_empty_dict_if_none)]
CountDict = Annotated[dict[str, int], BeforeValidator(_empty_dict_if_none)]


class _Response(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="allow", coerce_numbers_to_str=True, defer_build=True
    )


class _Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    def to_wire(self) -> dict[str, Any]:
        """The JSON body fragment for this object (``None`` fields left out)."""
        return self.model_dump(mode="json", exclude_none=True)


# ---------------------------------------------------------------- responses


class TestRun(_Response):
    """A test run as the service reports it."""

    __test__ = False  # not a pytest test class

    identifier: str
    name: str | None = None
    description: str | None = None
    run_state: str | None = None
    active_state: str | None = None
    assignee: str | None = None
    project_id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    tags: StrList = []
    issues: StrList = []
    configurations: IntList = []
    test_cases_count: int | None = None
    links: StrDict = {}
    urls: StrDict = {}
    overall_progress: CountDict = {}
    test_case_summary: CountDict = {}

    @property
    def web_url(self) -> str | None:
        """The run's page in the Test Management web UI, when the service sent it."""
        return self.urls.get("self")


class RunTestCase(_Response):
    """One (test case, configuration) entry of a run."""

    identifier: str
    configuration_id: int | None = None
    assignee: str | None = None
    latest_status: str | None = None
    latest_result_id: int | str | None = None
    name: str | None = None


class TestRunDetails(TestRun):
    """A run with its test cases (``GET .../test-runs/{id}``)."""

    test_cases: Annotated[list[RunTestCase], BeforeValidator(_empty_list_if_none)] = []


class ProjectTestCase(_Response):
    """A test case of a project."""

    identifier: str
    title: str | None = None
    description: str | None = None
    status: str | None = None
    priority: str | None = None
    case_type: str | None = None
    folder_id: int | None = None
    owner: str | None = None
    automation_status: str | None = None
    tags: StrList = []


class Project(_Response):
    """A Test Management project; ``urls.self`` is its page, with its numeric web ID."""

    identifier: str
    id: int | None = None
    name: str | None = None
    urls: StrDict = {}

    @property
    def web_url(self) -> str | None:
        """``https://host/projects/<numeric web ID>``, when the listing carried it."""
        return project_web_url(self.urls)


class Configuration(_Response):
    """A configuration (OS, browser, device combination)."""

    id: int
    name: str | None = None
    os: str | None = None
    os_version: str | None = None
    device: str | None = None
    browser: str | None = None
    browser_version: str | None = None
    is_system: bool | None = None


class TestResult(_Response):
    """A result posted to a run; ``status`` is read from ``result_status.field_value``.

    ``issues`` and ``custom_fields`` read both the shapes written (keys; an object keyed by
    field name) and the shapes listed (objects, see :mod:`pytest_bstm.api._readings`);
    unknown extras (``step_result``, ``updated_at``, ``execution_id``) are kept, unchecked.
    """

    __test__ = False  # not a pytest test class

    id: int | str | None = None
    test_case_id: str
    test_run_id: str | None = None
    configuration_id: int | None = None
    description: str | None = None
    status: str | None = None
    issues: Annotated[list[str], BeforeValidator(read_issues)] = []
    custom_fields: Annotated[dict[str, Any], BeforeValidator(read_custom_fields)] = {}
    created_at: str | None = None
    created_by: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _status_from_result_status(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("status") is None:
            nested = data.get("result_status")
            if isinstance(nested, dict) and nested.get("field_value") is not None:
                return {**data, "status": nested["field_value"]}
            if isinstance(nested, str):
                return {**data, "status": nested}
        return data


# ---------------------------------------------------------------- requests


class IssueTracker(_Request):
    """The issue tracker that a run's issue keys belong to."""

    name: str
    host: str | None = None


class ConfigurationMapEntry(_Request):
    """Explicit configurations for one or several test cases of a run."""

    test_case_id: str | list[str]
    configuration_ids: list[int]


class NewTestRun(_Request):
    """The body of a run to create (or the complete body of a replacement)."""

    name: str
    description: str | None = None
    run_state: str | None = None
    assignee: str | None = None
    test_case_assignee: str | None = None
    tags: list[str] | None = None
    issues: list[str] | None = None
    issue_tracker: IssueTracker | None = None
    configurations: list[int] | None = None
    configuration_map: list[ConfigurationMapEntry] | None = None
    test_plan_id: str | None = None
    sub_test_plan_id: str | None = None
    test_cases: list[str] | None = None
    folder_ids: list[int] | None = None
    include_all: bool | None = None
    filter_scope: Literal["global", "within_folders"] | None = None
    filter_test_cases: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_plan_link(self) -> NewTestRun:
        if self.test_plan_id is not None and self.sub_test_plan_id is not None:
            raise ValueError(
                "test_plan_id and sub_test_plan_id are mutually exclusive: give only one"
            )
        if self.sub_test_plan_id is not None and self.sub_test_plan_id.upper().startswith("TP-"):
            raise ValueError(
                f"sub_test_plan_id {self.sub_test_plan_id!r} is a test plan ID: "
                "pass it as test_plan_id, or give a sub test plan ID (STP-...)"
            )
        return self


class CaseSelection(_Request):
    """Test cases to add to or remove from a run, under the given configurations.

    Without ``configuration_ids`` the entries without a configuration are targeted.
    """

    test_case_ids: list[str] = Field(min_length=1)
    configuration_ids: list[int] | None = None


class Assignment(_Request):
    """Assign one (test case, configuration) of a run to a user."""

    test_case_id: str
    assignee: str
    configuration_id: int | None = None


class ResultIn(_Request):
    """A result to post. System statuses are sent in lower case; custom ones as given."""

    test_case_id: str
    status: str = Field(min_length=1)
    description: str | None = None
    configuration_id: int | None = None
    issues: list[str] | None = None
    custom_fields: dict[str, Any] | None = None
    duration_in_ms: int | None = Field(default=None, ge=0)

    def to_wire(self) -> dict[str, Any]:
        """``{"test_case_id", "configuration_id"?, "test_result": {...}}``."""
        result: dict[str, Any] = {"status": normalize_status(self.status)}
        for key in ("description", "issues", "custom_fields", "duration_in_ms"):
            value = getattr(self, key)
            if value is not None:
                result[key] = value
        wire: dict[str, Any] = {"test_case_id": self.test_case_id}
        if self.configuration_id is not None:
            wire["configuration_id"] = self.configuration_id
        wire["test_result"] = result
        return wire

"""Test case folders, creating test cases in them, and changing a test case.

What the sources say (vendor code unless noted): ``GET .../folders`` lists the project's top
level and ``GET .../folders/{id}/sub-folders`` a folder's direct children, both paged, items
``{id, name, description, parent_id, cases_count, sub_folders_count}`` (the doc's folder
details add ``links.sub_folders``); ``POST .../folders`` takes ``{"folder": {"name",
"description", "parent_id"}}`` (``parent_id`` null: top level) and answers ``{"success": true,
"folder": {...}}``; ``POST .../folders/{id}/test-cases`` takes ``{"test_case": {...}}`` and
answers ``{"success": true, "test_case": {"identifier": "TC-n", ...}}``; ``priority`` and
``case_type`` take display names only ("Medium", not "medium").

Choices where the sources are silent (strict, so a client that passes here sends only what the
vendor's own code sends): unknown fields are a 400; an unknown folder, in the path or as
``parent_id``, is a 404; folder names need not be unique; ``automation_status`` is one of
``not_automated``, ``automated``, ``automation_not_required``; ``preconditions``, ``issues``,
``issue_tracker`` and ``template`` are validated, not kept. New folder IDs and case
identifiers are account-wide and never reused.
"""

from __future__ import annotations

from typing import Any

from .context import Reply, Request
from .errors import bad_request, not_found
from .state import Folder, Project, TestCase, now_iso
from .validation import (
    is_int,
    opt_email,
    opt_str,
    reject_unknown,
    require_object,
    str_list,
)
from .views import paginate, test_case_item

FOLDER_FIELDS = frozenset({"name", "description", "parent_id"})
CASE_FIELDS = frozenset(
    {
        "name", "description", "preconditions", "owner", "tags", "issues", "issue_tracker",
        "automation_status", "priority", "case_type", "test_case_steps", "custom_fields",
        "template",
    }
)  # fmt: skip
AUTOMATION_STATUSES = ("not_automated", "automated", "automation_not_required")
PRIORITIES = ("Low", "Medium", "High", "Critical")
CASE_TYPES = (
    "Acceptance", "Accessibility", "Compatibility", "Destructive", "Functional", "Other",
    "Performance", "Regression", "Security", "Smoke & Sanity", "Usability",
)  # fmt: skip
TEMPLATES = ("test_case_steps", "test_case_bdd")


def folder_item(project: Project, folder: Folder) -> dict[str, Any]:
    """One folder as the list, sub-folder and details answers show it."""
    base = f"/api/v2/projects/{project.identifier}/folders/{folder.id}"
    return {
        "id": folder.id,
        "name": folder.name,
        "description": folder.description,
        "parent_id": folder.parent_id,
        "cases_count": sum(1 for c in project.test_cases.values() if c.folder_id == folder.id),
        "sub_folders_count": sum(1 for f in project.folders.values() if f.parent_id == folder.id),
        "links": {"sub_folders": f"{base}/sub-folders"},
    }


def _folder(project: Project, raw: str | int) -> Folder:
    text = str(raw)
    folder = project.folders.get(int(text)) if text.isdigit() else None
    if folder is None:
        raise not_found(f"Folder {text} not found in project {project.identifier}")
    return folder


def _children(req: Request, parent_id: int | None) -> Reply:
    project = req.state.project(req.project_id)
    items = [
        folder_item(project, f)
        for f in sorted(project.folders.values(), key=lambda f: f.id)
        if f.parent_id == parent_id
    ]
    page, info = paginate(items, req.query)
    return 200, {"success": True, "info": info, "folders": page}


def list_folders(req: Request) -> Reply:
    """The project's top-level folders."""
    return _children(req, None)


def list_sub_folders(req: Request) -> Reply:
    """A folder's direct sub-folders (the folder ID arrives as ``req.run_id``)."""
    project = req.state.project(req.project_id)
    return _children(req, _folder(project, req.run_id).id)


def get_folder(req: Request) -> Reply:
    project = req.state.project(req.project_id)
    return 200, {"success": True, "folder": folder_item(project, _folder(project, req.run_id))}


def create_folder(req: Request) -> Reply:
    project = req.state.project(req.project_id)
    body = req.nested("folder")
    reject_unknown(body, FOLDER_FIELDS, "folder")
    name = opt_str(body, "name", blank=False)
    if name is None:
        raise bad_request("name can't be blank")
    parent = body.get("parent_id")
    if parent is not None:
        if not is_int(parent):
            raise bad_request("parent_id must be a folder's numeric identifier or null")
        _folder(project, parent)
    folder = Folder(
        id=req.state.new_folder_id(),
        name=name,
        description=opt_str(body, "description") or "",
        parent_id=parent,
    )
    project.folders[folder.id] = folder
    return 200, {"success": True, "folder": folder_item(project, folder)}


def create_test_case(req: Request) -> Reply:
    """Create a case in the folder of the path (the folder ID arrives as ``req.run_id``)."""
    project = req.state.project(req.project_id)
    folder = _folder(project, req.run_id)
    body = req.nested("test_case")
    reject_unknown(body, CASE_FIELDS, "test_case")
    name = opt_str(body, "name", blank=False)
    if name is None:
        raise bad_request("name can't be blank")
    for key in ("preconditions", "template"):
        opt_str(body, key)
    str_list(body, "issues")
    if body.get("issue_tracker") is not None:
        require_object(body["issue_tracker"], "issue_tracker")
    _one_of(body, "template", TEMPLATES)
    custom = body.get("custom_fields")
    case = TestCase(
        identifier=req.state.new_case_id(),
        title=name,
        description=opt_str(body, "description") or "",
        priority=_one_of(body, "priority", PRIORITIES) or "Medium",
        case_type=_one_of(body, "case_type", CASE_TYPES) or "Functional",
        folder_id=folder.id,
        tags=str_list(body, "tags") or [],
        owner=opt_email(body, "owner"),
        automation_status=_one_of(body, "automation_status", AUTOMATION_STATUSES)
        or "not_automated",
        steps=_steps(body.get("test_case_steps")),
        custom_fields=dict(require_object(custom, "custom_fields")) if custom is not None else {},
        created_at=now_iso(),
    )
    project.test_cases[case.identifier] = case
    return 200, {"success": True, "test_case": test_case_item(project, case)}


def _one_of(body: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str | None:
    value = opt_str(body, key)
    if value is not None and value not in allowed:
        raise bad_request(f"{key} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _steps(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad_request("test_case_steps must be an array of {step, result} objects")
    steps = []
    for entry in value:
        step = require_object(entry, "each test_case_steps entry")
        reject_unknown(step, {"step", "result"}, "test_case_steps")
        if not all(isinstance(step.get(k, ""), str) for k in ("step", "result")):
            raise bad_request("test_case_steps entries hold strings: step and result")
        steps.append({"step": step.get("step", ""), "result": step.get("result", "")})
    return steps


def update_test_case(req: Request) -> Reply:
    """``PATCH .../test-cases/{id}`` with ``{"test_case": {...}}`` (vendor code): change the
    given fields of one case (the case ID arrives as ``req.run_id``); the fields a new case
    takes, validated the same way; an unknown case is a 404."""
    project = req.state.project(req.project_id)
    case = req.state.case(project, req.run_id)
    if case is None:
        raise not_found(f"Test case {req.run_id} not found in {project.identifier}")
    body = req.nested("test_case")
    reject_unknown(body, CASE_FIELDS - {"template"}, "test_case")
    if "name" in body:
        case.title = opt_str(body, "name", blank=False) or case.title
    if "description" in body:
        case.description = opt_str(body, "description") or ""
    if "tags" in body:
        case.tags = str_list(body, "tags") or []
    if "owner" in body:
        case.owner = opt_email(body, "owner")
    case.priority = _one_of(body, "priority", PRIORITIES) or case.priority
    case.case_type = _one_of(body, "case_type", CASE_TYPES) or case.case_type
    case.automation_status = (
        _one_of(body, "automation_status", AUTOMATION_STATUSES) or case.automation_status
    )
    if "test_case_steps" in body:
        case.steps = _steps(body["test_case_steps"])
    return 200, {"success": True, "test_case": test_case_item(project, case)}

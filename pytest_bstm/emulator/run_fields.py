"""Validation of the ``test_run`` object of create and update, and test case selection.

Choices where the reference leaves room:

- An unknown ``test_plan_id`` is a 400 ``invalid_test_plan_id`` and an unknown
  ``sub_test_plan_id`` a 400 ``invalid_sub_test_plan_id`` (body validation, like unknown test
  cases), not a 404: the path itself names a valid project.
- Unknown fields in ``test_run`` are a 400 (the emulator is strict about what clients send).
- Test cases named in ``configuration_map`` join the run's selection.
- ``filter_test_cases`` selects project cases matching every given attribute (OR within one);
  it adds to ``test_cases`` and ``folder_ids`` unless ``filter_scope`` is ``within_folders``.
"""

from __future__ import annotations

from typing import Any

from .errors import bad_request
from .state import RUN_STATES, Project, Run, RunCase, State, TestCase
from .validation import (
    int_list,
    opt_bool,
    opt_email,
    opt_str,
    reject_unknown,
    require_object,
    str_list,
    unique,
)

FIELDS = frozenset(
    {
        "name", "description", "run_state", "assignee", "test_case_assignee", "tags", "issues",
        "issue_tracker", "configurations", "configuration_map", "test_plan_id", "sub_test_plan_id",
        "test_cases", "folder_ids", "include_all", "filter_scope", "filter_test_cases",
    }
)  # fmt: skip
SELECTION_FIELDS = ("test_cases", "folder_ids", "include_all", "filter_test_cases")
TRACKERS = ("jira", "azure", "asana", "clickup")
FILTER_KEYS = frozenset({"status", "priority", "case_type", "owner", "tags", "custom_fields"})


def parse(state: State, project: Project, tr: dict[str, Any]) -> dict[str, Any]:
    """The present fields of ``tr``, validated and normalized (``null`` kept as ``None``)."""
    reject_unknown(tr, FIELDS, "test_run")
    out: dict[str, Any] = {}
    for key in ("name", "description"):
        if key in tr:
            out[key] = opt_str(tr, key, blank=key != "name")
    if "run_state" in tr:
        state_value = opt_str(tr, "run_state")
        if state_value is not None and state_value not in RUN_STATES:
            raise bad_request(f"run_state must be one of {', '.join(RUN_STATES)}")
        out["run_state"] = state_value
    for key in ("assignee", "test_case_assignee"):
        if key in tr:
            out[key] = opt_email(tr, key)
    for key in ("tags", "issues"):
        if key in tr:
            out[key] = unique(str_list(tr, key) or [])
    if "issue_tracker" in tr:
        out["issue_tracker"] = _tracker(tr["issue_tracker"])
    if "configurations" in tr:
        out["configurations"] = _configs(state, int_list(tr, "configurations") or [])
    if "configuration_map" in tr:
        out["configuration_map"] = _config_map(state, project, tr["configuration_map"])
    _plans(project, tr, out)
    if "test_cases" in tr:
        cases = unique(str_list(tr, "test_cases", "invalid_test_case_id") or [])
        out["test_cases"] = check_cases(state, project, cases)
    if "folder_ids" in tr:
        out["folder_ids"] = int_list(tr, "folder_ids") or []
    if "include_all" in tr:
        out["include_all"] = bool(opt_bool(tr, "include_all"))
    if "filter_scope" in tr:
        scope = opt_str(tr, "filter_scope") or "global"
        if scope not in ("global", "within_folders"):
            raise bad_request("filter_scope must be global or within_folders")
        out["filter_scope"] = scope
    if "filter_test_cases" in tr:
        out["filter_test_cases"] = _filter(tr["filter_test_cases"])
    return out


def check_cases(state: State, project: Project, cases: list[str]) -> list[str]:
    unknown = [c for c in cases if state.case(project, c) is None]
    if unknown:
        raise bad_request(
            f"Test case IDs not found in {project.identifier}: {', '.join(unknown)}",
            "invalid_test_case_id",
        )
    return cases


def check_configs(state: State, ids: list[int]) -> list[int]:
    unknown = [str(c) for c in ids if c not in state.configurations]
    if unknown:
        raise bad_request(
            f"Unknown configuration IDs: {', '.join(unknown)}", "invalid_configuration_ids"
        )
    return ids


def _configs(state: State, ids: list[int]) -> list[int]:
    return check_configs(state, unique(ids))


def _tracker(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    tracker = require_object(value, "issue_tracker")
    reject_unknown(tracker, {"name", "host"}, "issue_tracker")
    if tracker.get("name") not in TRACKERS:
        raise bad_request(f"issue_tracker.name must be one of {', '.join(TRACKERS)}")
    opt_str(tracker, "host")
    return dict(tracker)


def _config_map(state: State, project: Project, value: Any) -> dict[str, list[int]]:
    if value is None:
        return {}
    if not isinstance(value, list):
        raise bad_request("configuration_map must be an array")
    mapping: dict[str, list[int]] = {}
    for raw in value:
        entry = require_object(raw, "a configuration_map entry")
        reject_unknown(entry, {"test_case_id", "configuration_ids"}, "configuration_map")
        ids = entry.get("test_case_id")
        ids = [ids] if isinstance(ids, str) else ids
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise bad_request("configuration_map test_case_id must be a string or an array")
        configs = int_list(entry, "configuration_ids")
        if not configs:
            raise bad_request("configuration_map configuration_ids must be a non-empty array")
        check_cases(state, project, ids)
        check_configs(state, configs)
        for case_id in ids:
            mapping[case_id] = unique(mapping.get(case_id, []) + configs)
    return mapping


def _plans(project: Project, tr: dict[str, Any], out: dict[str, Any]) -> None:
    plan_id = opt_str(tr, "test_plan_id")
    sub_id = opt_str(tr, "sub_test_plan_id")
    if plan_id is not None and sub_id is not None:
        raise bad_request("test_plan_id and sub_test_plan_id are mutually exclusive")
    if plan_id is not None and plan_id not in project.test_plans:
        raise bad_request(f"Test plan {plan_id} not found", "invalid_test_plan_id")
    if sub_id is not None:
        if sub_id.upper().startswith("TP-"):
            raise bad_request(f"sub_test_plan_id takes a sub test plan (STP-...), not {sub_id}")
        if project.sub_plan_parent(sub_id) is None:
            raise bad_request(f"Sub test plan {sub_id} not found", "invalid_sub_test_plan_id")
    for key, value in (("test_plan_id", plan_id), ("sub_test_plan_id", sub_id)):
        if key in tr:
            out[key] = value


def _filter(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    flt = require_object(value, "filter_test_cases")
    reject_unknown(flt, FILTER_KEYS, "filter_test_cases")
    for key in FILTER_KEYS - {"custom_fields"}:
        str_list(flt, key)
    custom = flt.get("custom_fields")
    if custom is not None and (
        not isinstance(custom, dict) or not all(isinstance(v, list) for v in custom.values())
    ):
        raise bad_request("filter_test_cases.custom_fields must map names to arrays")
    return {k: v for k, v in flt.items() if v}


def _matches(case: TestCase, flt: dict[str, Any]) -> bool:
    for key in ("status", "priority", "case_type", "owner"):
        if key in flt and str(getattr(case, key)).lower() not in {v.lower() for v in flt[key]}:
            return False
    if "tags" in flt and not {t.lower() for t in case.tags} & {t.lower() for t in flt["tags"]}:
        return False
    for name, accepted in flt.get("custom_fields", {}).items():
        if case.custom_fields.get(name) not in accepted:
            return False
    return True


def select(project: Project, fields: dict[str, Any]) -> list[str]:
    """The test case IDs a create/update body selects, in a stable order."""
    everything = list(project.test_cases.values())
    if fields.get("include_all"):
        return [c.identifier for c in everything]
    chosen = list(fields.get("test_cases") or []) + list(fields.get("configuration_map") or {})
    folders = set(fields.get("folder_ids") or [])
    flt = fields.get("filter_test_cases") or {}
    if flt and folders and fields.get("filter_scope") == "within_folders":
        chosen += [c.identifier for c in everything if c.folder_id in folders and _matches(c, flt)]
    else:
        chosen += [c.identifier for c in everything if c.folder_id in folders]
        if flt:
            chosen += [c.identifier for c in everything if _matches(c, flt)]
    return unique(chosen)


def pairs(
    cases: list[str], configurations: list[int], cmap: dict[str, list[int]]
) -> list[tuple[str, int | None]]:
    """Entries: mapped cases get exactly their mapping, others every fallback configuration."""
    out: list[tuple[str, int | None]] = []
    for case_id in cases:
        configs: list[int | None] = list(cmap.get(case_id) or configurations) or [None]
        out += [(case_id, cfg) for cfg in configs]
    return out


def set_entries(run: Run, entries: list[tuple[str, int | None]], assignee: str | None) -> None:
    """Replace the run's entries; entries that stay keep their status and results."""
    old = {case.key: case for case in run.cases}
    run.cases = [old.get(key) or RunCase(key[0], key[1], assignee) for key in entries]
    kept = set(entries)
    run.results = [r for r in run.results if (r.test_case_id, r.configuration_id) in kept]

"""pytest-bdd scenarios -> case references, from the tags of their ``.feature`` file; and the
steps of a scenario's run, for the result's description.

Tags ``@TC-12`` and ``@TCID_TC-12`` (the vendor's convention for pytest-bdd) on Feature, Rule,
Scenario (Outline) and Examples map the scenario's tests to cases; the closest level that has a
case tag wins (Examples over Scenario over Rule over Feature), as for markers. Any other tag
that starts like one (``@TC-12a``, ``@tc-12``, ``@TCID_12``) is an error naming its file and
line. pytest-bdd is never imported here: a test is a scenario when pytest-bdd (which the user
installed and loaded) says so through the objects it left on the test function.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from pytest_bstm.collect import gherkin
from pytest_bstm.collect.refs import CaseRef, MappingError
from pytest_bstm.vocabulary import CASE_ID_RE

CASE_TAG_RE = re.compile(r"(?:TCID_)?(TC-\d+)")
_LOOKS_LIKE = re.compile(r"(?i)TC[-_]|TCID")
EXAMPLE_PARAM = "_pytest_bdd_example"  # pytest-bdd's parameter of a Scenario Outline's rows
MAX_STEPS = 40
FEATURES: pytest.StashKey[dict[str, gherkin.FeatureFile]] = pytest.StashKey()


def is_case_tag(tag: str) -> bool:
    """Whether ``tag`` is (or looks like) a case tag."""
    return bool(CASE_TAG_RE.fullmatch(tag) or _LOOKS_LIKE.match(tag))


def case_ids(tags: Sequence[gherkin.Tag], where: str) -> list[str]:
    """The case IDs among ``tags`` (``where``: the file's path, for the error)."""
    ids: list[str] = []
    for tag in tags:
        found = CASE_TAG_RE.fullmatch(tag.name)
        if found is not None:
            ids.append(found.group(1))
        elif _LOOKS_LIKE.match(tag.name):
            raise MappingError(
                f"{where}:{tag.line}: tag @{tag.name} is not a test case tag: write @TC-12 "
                "or @TCID_TC-12 (TC- and digits)"
            )
    assert all(CASE_ID_RE.fullmatch(i) for i in ids)
    return list(dict.fromkeys(ids))


def _template(function: object) -> Any:
    """pytest-bdd's scenario template of a test function, or None (not a scenario).

    pytest-bdd 7 and 8 keep it as the function's ``__scenario__``; 9 in a registry."""
    template = getattr(function, "__scenario__", None)
    module = sys.modules.get("pytest_bdd.scenario")
    if template is None and module is not None:
        registry = getattr(module, "scenario_wrapper_template_registry", None)
        try:
            template = registry.get(function) if registry is not None else None
        except TypeError:  # not weak-referenceable: not a scenario
            template = None
    return template


def scenario_of(
    item: pytest.Item,
) -> tuple[str, gherkin.FeatureFile, gherkin.Scenario] | None:
    """The feature file (its rootdir-relative path, its blocks) and the scenario a pytest-bdd
    test runs."""
    if "pytest_bdd" not in sys.modules:
        return None
    template = _template(getattr(item, "obj", None))
    filename = getattr(getattr(template, "feature", None), "filename", None)
    if template is None or not filename:
        return None
    files = item.session.stash.setdefault(FEATURES, {})
    parsed = files.get(filename)
    if parsed is None:
        try:
            parsed = files[filename] = gherkin.read(filename)
        except OSError:  # gone since pytest-bdd read it: its tests stay unmapped
            return None
    scenario = parsed.scenario_at(int(getattr(template, "line_number", 0) or 0))
    scenario = scenario or parsed.scenario_named(str(getattr(template, "name", "")))
    if scenario is None:
        return None
    path = Path(filename)
    try:
        shown = path.relative_to(item.config.rootpath).as_posix()
    except ValueError:
        shown = path.as_posix()
    return shown, parsed, scenario


def example_row(item: pytest.Item) -> dict[str, Any] | None:
    """The values (column -> value) of the ``Examples:`` row a Scenario Outline's test runs;
    None for any other test."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    row = params.get(EXAMPLE_PARAM)
    return row if isinstance(row, dict) else None


def _example(item: pytest.Item, scenario: gherkin.Scenario) -> gherkin.Examples | None:
    """The Examples block of the row an outline's test runs (pytest-bdd parametrizes the rows
    of every Examples block, in file order)."""
    callspec = getattr(item, "callspec", None)
    index = getattr(callspec, "indices", {}).get(EXAMPLE_PARAM)
    if index is None:
        return None
    for examples in scenario.examples:
        if index < len(examples.rows):
            return examples
        index -= len(examples.rows)
    return None


def refs(item: pytest.Item) -> list[CaseRef] | None:
    """The cases of a pytest-bdd test by its tags (closest level wins); None when the test is
    not a scenario or no level has a case tag."""
    found = scenario_of(item)
    if found is None:
        return None
    where, parsed, scenario = found
    levels = (_example(item, scenario), scenario, scenario.rule, parsed.feature)
    chosen: list[str] = []
    for level in levels:  # every level is checked: a malformed tag is an error anywhere
        ids = case_ids(level.tags, where) if level is not None else []
        chosen = chosen or ids
    return [CaseRef(case_id) for case_id in chosen] or None


@pytest.hookimpl(optionalhook=True)
def pytest_bdd_step_func_lookup_error(request: Any, step: Any) -> None:
    """pytest-bdd's report of a scenario stops before a step it cannot find (for a step that
    raises, it marks that step and the rest failed): mark the undefined step and the rest the
    same way, so the description lists every step of the scenario. Registered only when
    reporting is on; a pytest-bdd without these objects is left as it is."""
    node = getattr(request, "node", None)
    module = sys.modules.get("pytest_bdd.reporting")
    report = getattr(node, "__scenario_report__", None)  # pytest-bdd 8
    registry = getattr(module, "scenario_reports_registry", None)  # 9
    if report is None and registry is not None:
        report = registry.get(node)
    step_report = getattr(module, "StepReport", None)
    if report is None or step_report is None or not hasattr(report, "fail"):
        return
    report.add_step_report(step_report(step=step))
    report.fail()


def scenario_report(report: pytest.TestReport) -> dict[str, Any] | None:
    """pytest-bdd's own report of the scenario a test ran: on the report (pytest-bdd 7 and 8,
    and so through xdist) or in its registry of reports (9, in this process)."""
    data = getattr(report, "scenario", None)
    module = sys.modules.get("pytest_bdd.reporting")
    if data is None and module is not None:
        registry = getattr(module, "test_report_context_registry", None)
        try:
            context = registry.get(report) if registry is not None else None
        except TypeError:  # a report that cannot be a key (a subtest's): not a scenario's
            context = None
        data = getattr(context, "scenario", None)
    return data if isinstance(data, dict) else None


def steps(report: pytest.TestReport | None, error: str | None) -> list[str]:
    """The scenario's steps as pytest-bdd ran them: passed, the one that FAILED (or SKIPPED)
    with ``error``, and the ones that did not run; empty for a test that is not a scenario."""
    data = scenario_report(report) if report is not None else None
    if data is None:
        return []
    lines = [f"{data.get('keyword') or 'Scenario'}: {data.get('name', '')}"]
    failed_seen = False
    for step in list(data.get("steps") or [])[:MAX_STEPS]:
        text = f"{step.get('keyword', '')} {step.get('name', '')}".strip()
        where = f" (line {step.get('line_number')})"
        if not step.get("failed"):
            lines.append(f"  passed   {text}{where}")
        elif not failed_seen:
            failed_seen = True
            lines.append(f"  FAILED   {text}{where}" + (f": {error[:300]}" if error else ""))
        else:
            lines.append(f"  not run  {text}{where}")
    if not failed_seen and report is not None and report.failed and error:
        lines.append(f"  error    {error[:300]}")  # a step not found, or the test body
    elif report is not None and report.skipped and len(lines) > 1:
        # a step that skips (pytest.skip) is the last one pytest-bdd started
        lines[-1] = lines[-1].replace("  passed   ", "  SKIPPED  ", 1)
        lines[-1] += f": {error[:300]}" if error else ""
    return lines

"""``bstm cases sync``, offline part: which test functions need a case, and what the case says.

Rules (our choices unless noted):

- A function is mapped when every item it produced has a case (the ``tc`` marker at any
  level, the ``pytest_bstm_case_ids`` hook), or when its body calls
  ``record_property("id", ...)`` (the vendor's documented way; read from the source, since
  it only happens when the test runs). A function with only some parameter sets mapped is
  left alone: a function-level marker would override the ``pytest.param`` ones.
- One case per function: its folder is ``ROOT/<directories>/<module file>/<classes>``
  (from the node ID); its title is the docstring's first line, else the name made readable
  (``test_user_can_log_in`` -> "User can log in"); its description starts with a line
  ``pytest: <node ID>`` and holds the whole docstring; that line is how a later run
  recognises the case.
- A function defined more than once at the same place (pytest runs only the last), or whose
  file cannot be read or parsed, gets no case and makes the command fail; one that is not
  defined in its module's source (inherited from another module, generated) gets no case.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from pytest_bstm.onboard.feature_tags import FeatureSource
from pytest_bstm.onboard.inventory import Inventory, TestFunction, TestScenario
from pytest_bstm.onboard.markers import Definition, SourceFile

#: The description line that names the test a case was created for.
NODE_PREFIX = "pytest: "
MAX_TITLE = 255  # our bound; the service's limit is not published
_TAG = re.compile(r"<[^>]*>")


@dataclass
class Candidate:
    """A test function that needs a case, and where its marker goes."""

    function: TestFunction
    source: SourceFile
    definition: Definition
    folder: tuple[str, ...]
    title: str
    description: str
    case_id: str | None = None  # known once found or created
    created: bool = False

    @property
    def node_id(self) -> str:
        return self.function.node_id

    @property
    def steps(self) -> list[tuple[str, str]]:
        """The new case's steps: (step, expected result)."""
        return [(f"Run: pytest {self.node_id}", "The test passes")]


@dataclass
class ScenarioCandidate:
    """A pytest-bdd scenario that needs a case, and where its tag goes (its feature file)."""

    scenario: TestScenario
    source: FeatureSource
    folder: tuple[str, ...]
    title: str
    description: str
    case_id: str | None = None
    created: bool = False

    @property
    def node_id(self) -> str:
        return self.scenario.node_id

    @property
    def steps(self) -> list[tuple[str, str]]:
        """The scenario's own lines, each a step (Background steps are not repeated)."""
        return [(text, "") for _, text in self.scenario.scenario.steps]


@dataclass
class Plan:
    candidates: list[Candidate] = field(default_factory=list)
    scenarios: list[ScenarioCandidate] = field(default_factory=list)
    scenarios_mapped: int = 0
    mapped: int = 0  # functions already mapped
    problems: list[str] = field(default_factory=list)  # each makes the command fail
    notes: list[str] = field(default_factory=list)

    @property
    def every(self) -> list[Candidate | ScenarioCandidate]:
        """Test functions, then scenarios, that need a case."""
        return [*self.candidates, *self.scenarios]


def title_for(name: str, docstring: str | None) -> str:
    """The docstring's first line, else ``name`` without ``test_`` and with spaces."""
    for line in (docstring or "").splitlines():
        if line.strip():
            return line.strip()[:MAX_TITLE]
    words = re.sub(r"^test_?", "", name).replace("_", " ").strip() or name
    return (words[0].upper() + words[1:])[:MAX_TITLE]


def description_for(node_id: str, docstring: str | None) -> str:
    """``pytest: <node ID>``, then the docstring after a blank line. The node ID's ``<``, ``>``
    and ``&`` are escaped as HTML (a scenario outline's ``<card>``), so that the service's
    HTML form of the description reads back the same (:func:`node_ids_in`)."""
    text = NODE_PREFIX + html.escape(node_id, quote=False)
    return f"{text}\n\n{docstring}" if docstring else text


def node_ids_in(description: str | None) -> set[str]:
    """The node IDs a case's description names (plain text or the service's HTML)."""
    text = html.unescape(_TAG.sub("\n", description or ""))
    lines = (line.strip() for line in text.splitlines())
    return {line[len(NODE_PREFIX) :].strip() for line in lines if line.startswith(NODE_PREFIX)}


def folder_for(root: str, function: TestFunction) -> tuple[str, ...]:
    """``(root, *directories, module file, *classes)`` from the function's node ID."""
    file_part = function.node_id.split("::", 1)[0]
    parts = [part for part in file_part.split("/") if part not in ("", ".")]
    return (root, *parts, *function.qualname[:-1])


def make_plan(inventory: Inventory, root: str) -> Plan:
    """Sort the collected functions into mapped ones, candidates, problems and notes."""
    plan = Plan()
    sources: dict[Path, SourceFile | str] = {}
    for error in inventory.errors:
        reason = error.reason
        if error.node_id.endswith(".py"):
            loaded = _load(inventory.rootdir / error.node_id, sources)
            reason = loaded if isinstance(loaded, str) else reason
        plan.problems.append(f"skipped {error.node_id}: {reason}; fix it and run again")
    for function in inventory.functions:
        if function.mapped == function.items:
            plan.mapped += 1
            continue
        if function.mapped:
            plan.notes.append(
                f"{function.node_id}: {function.mapped} of {function.items} parameter sets "
                "are mapped; map the others with pytest.param(..., marks=pytest.mark.tc(...))"
            )
            continue
        source = _load(function.path, sources)
        if isinstance(source, str):
            plan.problems.append(f"skipped {function.node_id}: {source}")
            continue
        found = source.definitions(function.qualname)
        if not found:
            plan.notes.append(
                f"{function.node_id} is not defined in its module (inherited or generated): "
                "map it by hand"
            )
        elif len(found) > 1:
            lines = ", ".join(str(d.line) for d in found)
            plan.problems.append(
                f"skipped {function.node_id}: defined {len(found)} times (lines {lines}) and "
                "pytest runs only the last; rename or remove the others, then run again"
            )
        elif found[0].records_id:
            plan.mapped += 1
        else:
            plan.candidates.append(_candidate(function, source, found[0], root))
    for scenario in inventory.scenarios:
        _plan_scenario(plan, scenario, root)
    return plan


def _plan_scenario(plan: Plan, one: TestScenario, root: str) -> None:
    """A scenario: mapped, partly mapped (a note), or a candidate for a case and a tag."""
    if one.mapped == one.items:
        plan.scenarios_mapped += 1
        return
    if one.mapped:
        plan.notes.append(
            f"{one.node_id}: {one.mapped} of {one.items} examples are mapped; tag the "
            "scenario, or each Examples block, with its case (@TC-n)"
        )
        return
    try:
        source = FeatureSource.read(one.path)
    except OSError as exc:
        plan.problems.append(f"skipped {one.node_id}: cannot read it ({exc.strerror or exc})")
        return
    file_part = one.node_id.split("::", 1)[0]
    plan.scenarios.append(
        ScenarioCandidate(
            scenario=one,
            source=source,
            folder=(root, *(p for p in file_part.split("/") if p not in ("", "."))),
            title=one.scenario.name[:MAX_TITLE] or file_part,
            description=description_for(
                one.node_id, f"{one.scenario.keyword}: {one.scenario.name}"
            ),
        )
    )


def _candidate(function: TestFunction, source: SourceFile, d: Definition, root: str) -> Candidate:
    return Candidate(
        function=function,
        source=source,
        definition=d,
        folder=folder_for(root, function),
        title=title_for(function.qualname[-1], d.docstring),
        description=description_for(function.node_id, d.docstring),
    )


def _load(path: Path, cache: dict[Path, SourceFile | str]) -> SourceFile | str:
    """The parsed file, or why it cannot be read (one line)."""
    if path not in cache:
        try:
            cache[path] = SourceFile.read(path)
        except SyntaxError as exc:
            cache[path] = f"SyntaxError: {exc.msg} (line {exc.lineno})"
        except OSError as exc:
            cache[path] = f"cannot read it ({exc.strerror or exc})"
    return cache[path]

"""``bstm cases sync``: a TM test case for every unmapped test function, in one command.

Collects the suite with pytest's own collection and the plugin's mapping rules, creates one
case per unmapped test function in a folder tree that mirrors the test files (see
:mod:`pytest_bstm.onboard.plan` for the rules, :mod:`pytest_bstm.onboard.tm` for the
requests), and with ``--write-markers`` adds ``@pytest.mark.tc("TC-n")`` above each of those
functions, leaving every other byte of the file as it was. Running it again creates nothing
and changes nothing: folders are found by name, cases by the node ID in their description.
pytest-bdd scenarios are handled the same way, their case tags written into the feature file
(:mod:`pytest_bstm.onboard.feature_tags`); every mapped case is then marked ``automated``
(:mod:`pytest_bstm.onboard.automation`). ``--dry-run`` reads from the service and writes
nothing, neither requests nor files.

Output: one line per folder and per case as it is found or created (``[3/40] TC-7 node``),
one per marker written, and a last line ``created 5 cases in 3 folders, wrote 5 markers in
2 files``. Problems go to stderr, one line each; any problem makes the exit status 1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pytest_bstm.api import Client, errors
from pytest_bstm.onboard.automation import Coverage, keep_automated
from pytest_bstm.onboard.inventory import Inventory
from pytest_bstm.onboard.markers import Insertion, SourceChangedError
from pytest_bstm.onboard.plan import Candidate, Plan, ScenarioCandidate, make_plan
from pytest_bstm.onboard.tm import CaseSync

UNKNOWN_ID = "TC-?"


@dataclass(frozen=True)
class Options:
    """What ``bstm cases sync`` was asked to do."""

    project: str
    folder: str
    write_markers: bool
    dry_run: bool


class Output(Protocol):
    """Where the lines go: ``out`` for progress and results, ``err`` for problems."""

    def out(self, text: str) -> None: ...
    def err(self, text: str) -> None: ...


def sync(
    inventory: Inventory,
    options: Options,
    connect: Callable[[], Client],
    explain: Callable[[errors.BstmError], str],
    say: Output,
) -> int:
    """Find or create the cases ``inventory`` lacks, mark mapped cases automated, write the
    markers when asked; the exit status (1 on any problem)."""
    plan = make_plan(inventory, options.folder)
    for line in plan.problems:
        say.err(line)
    for line in plan.notes:
        say.err(f"note: {line}")
    say.out(_inventory_line(len(inventory.functions), plan))
    failure: errors.BstmError | None = None
    every = plan.every
    coverage = Coverage()
    if every or inventory.mapped_cases:
        with connect() as client:
            tm = CaseSync(client, options.project, dry_run=options.dry_run, say=say.out)
            try:
                _find_or_create(tm, every, say)
                coverage = keep_automated(
                    client,
                    options.project,
                    inventory.mapped_cases,
                    dry_run=options.dry_run,
                    say=say.out,
                )
            except errors.BstmError as exc:  # keep what was done: report it, write its markers
                failure = exc
    ready = [cand for cand in every if cand.case_id is not None]
    markers, files, write_failed = 0, 0, False
    if options.write_markers:
        markers, files, write_failed = _write_markers(
            ready, inventory.rootdir, options.dry_run, say
        )
    elif ready and not options.dry_run:
        say.out("add the markers with --write-markers, or by hand: @pytest.mark.tc(...), @TC-n")
    if coverage.marked or coverage.missing:
        say.out(_coverage(coverage, options.dry_run))
    say.out(_summary(plan, markers, files, dry_run=options.dry_run))
    if coverage.missing:
        say.err(
            f"note: {_count(len(coverage.missing), 'mapped case')} not in {options.project} "
            f"({', '.join(coverage.missing)}): fix or remove those markers or tags"
        )
    if failure is not None:
        say.err(f"error: {explain(failure)}")
        _remind(plan, say)
    return 1 if plan.problems or failure is not None or write_failed else 0


def _find_or_create(
    tm: CaseSync, candidates: Sequence[Candidate | ScenarioCandidate], say: Output
) -> None:
    for number, cand in enumerate(candidates, start=1):
        node = tm.folder(cand.folder)
        found = tm.existing_case(node, cand.node_id)
        if found is not None:
            cand.case_id, what = found, "found"
        elif tm.dry_run:
            cand.case_id, what = UNKNOWN_ID, f"would be created in {node.label}"
        else:
            cand.case_id, cand.created = tm.create_case(node, cand), True
            what = "created"
        say.out(f"[{number}/{len(candidates)}] {cand.case_id}  {cand.node_id}  ({what})")


def _write_markers(
    ready: Sequence[Candidate | ScenarioCandidate], rootdir: Path, dry_run: bool, say: Output
) -> tuple[int, int, bool]:
    """Write (or, dry, show) the markers (in test modules) and case tags (in feature files)
    file by file: (markers and tags, files, whether any failed)."""
    by_file: dict[Path, list[Candidate | ScenarioCandidate]] = {}
    for cand in ready:
        by_file.setdefault(cand.source.path, []).append(cand)
    markers = files = 0
    failed = False
    for path, cands in by_file.items():
        source = cands[0].source
        insertions = _insertions(cands)
        shown = _relative(path, rootdir)
        if not dry_run:
            try:
                source.write(insertions)
            except (OSError, SourceChangedError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
                listed = ", ".join(f"{cand.case_id} {cand.node_id}" for cand in cands)
                say.err(
                    f"error: cannot write {shown} ({reason}); its cases exist: {listed}; "
                    "run the command again to write their markers"
                )
                failed = True
                continue
        verb = "would add" if dry_run else "added"
        ordered = sorted(insertions, key=lambda insertion: insertion.line)
        for index, insertion in enumerate(ordered):  # line numbers of the new file
            if insertion.text:
                say.out(f"{verb}  {shown}:{insertion.line + index}  {insertion.text.strip()}")
        markers += len(cands)
        files += 1
    return markers, files, failed


def _insertions(cands: Sequence[Candidate | ScenarioCandidate]) -> list[Insertion]:
    """The lines one file gets: markers above functions, or tags above scenarios."""
    first = cands[0]
    if isinstance(first, ScenarioCandidate):
        scenarios = [cand for cand in cands if isinstance(cand, ScenarioCandidate)]
        return first.source.plan({s.scenario.scenario.line: str(s.case_id) for s in scenarios})
    functions = [cand for cand in cands if isinstance(cand, Candidate)]
    return first.source.plan({f.definition.qualname: str(f.case_id) for f in functions})


def _relative(path: Path, rootdir: Path) -> str:
    try:
        return path.relative_to(rootdir).as_posix()
    except ValueError:
        return str(path)


def _summary(plan: Plan, markers: int, files: int, *, dry_run: bool) -> str:
    every = plan.every
    if dry_run:
        todo = [cand for cand in every if cand.case_id == UNKNOWN_ID]
        folders = len({cand.folder for cand in todo})
        return (
            f"dry run: would create {_count(len(todo), 'case')} in {_count(folders, 'folder')}, "
            f"would write {_count(markers, 'marker')} in {_count(files, 'file')}"
        )
    made = [cand for cand in every if cand.created]
    folders = len({cand.folder for cand in made})
    return (
        f"created {_count(len(made), 'case')} in {_count(folders, 'folder')}, "
        f"wrote {_count(markers, 'marker')} in {_count(files, 'file')}"
    )


def _coverage(coverage: Coverage, dry_run: bool) -> str:
    verb = "would mark" if dry_run else "marked"
    text = f"automation: {verb} {_count(len(coverage.marked), 'mapped case')} automated"
    return text + (f", {len(coverage.missing)} missing" if coverage.missing else "")


def _inventory_line(functions: int, plan: Plan) -> str:
    line = f"{_count(functions, 'test function')}: {plan.mapped} mapped, "
    line += f"{len(plan.candidates)} without a case"
    left = functions - plan.mapped - len(plan.candidates)
    line += f", {left} left as they are (see above)" if left else ""
    scenarios = plan.scenarios_mapped + len(plan.scenarios)
    if scenarios:
        line += f"; {_count(scenarios, 'scenario')}: {plan.scenarios_mapped} mapped, "
        line += f"{len(plan.scenarios)} without a case"
    return line


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _remind(plan: Plan, say: Output) -> None:
    made = [cand for cand in plan.every if cand.created]
    if made:
        listed = ", ".join(f"{cand.case_id} {cand.node_id}" for cand in made)
        say.err(f"cases created before the error: {listed}; a second run finds them")

"""The package's shape: no import cycle, no upward import, no module over 300 lines, and the
Development map (``docs/development.md``) naming exactly the package's modules.

"Upward" follows the layers below, lowest first: a module may import its own layer and the
layers under it, never one above. The emulator imports nothing of the package at all (it is
the stand-in for the service, apart from everything)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pytest_bstm"
LAYERS = (
    ("vocabulary", "masking", "compat"),
    ("config",),
    ("api", "emulator"),
    ("collect", "results"),
    ("run",),
    ("delivery",),
    ("session",),
    ("onboard",),
    ("plugin", "hookspecs", "cli"),
)
#: Today's upward imports and cycles, being removed by the splits of session/ and delivery/
#: (issue 23): these lists only shrink.
UPWARD: set[str] = set()
CYCLES: set[tuple[str, ...]] = set()
#: Today's modules over the limit, being split elsewhere: this list only shrinks.
TOO_LONG: set[str] = set()
MAX_LINES = 300


def modules() -> dict[str, Path]:
    """``pytest_bstm.api.errors`` -> its file, for every module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _nodes(tree: ast.AST, typing_too: bool) -> list[ast.AST]:
    """Every node of ``tree``; without ``typing_too``, none under ``if TYPE_CHECKING:``."""
    out: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if (
            isinstance(node, ast.If)
            and not typing_too
            and "TYPE_CHECKING" in ast.unparse(node.test)
        ):
            stack.extend(node.orelse)
            continue
        out.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return out


def imports(name: str, path: Path, *, typing_too: bool = True) -> set[str]:
    """The package's modules ``name`` imports (anywhere in it; type-only imports unless
    ``typing_too`` is False)."""
    known = modules()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in _nodes(ast.parse(path.read_text(encoding="utf-8")), typing_too):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        out |= {t for t in targets if t in known and t != name}
    return out


def layer(name: str) -> int:
    parts = name.split(".")
    top = parts[1] if len(parts) > 1 else ""
    if top == "":  # the package's __init__: the fixture's methods for hooks, imported lazily
        return len(LAYERS) - 1
    return next(i for i, names in enumerate(LAYERS) if top in names)


def test_every_top_level_module_and_folder_has_a_layer() -> None:
    tops = {name.split(".")[1] for name in modules() if "." in name}
    placed = {top for names in LAYERS for top in names}
    assert tops == placed


def test_no_upward_import_and_the_emulator_imports_nothing_of_the_rest() -> None:
    wrong = []
    for name, path in modules().items():
        for target in imports(name, path):
            if name.startswith("pytest_bstm.emulator"):
                if not target.startswith("pytest_bstm.emulator"):
                    wrong.append(f"{name} -> {target}")
            elif target != "pytest_bstm" and layer(target) > layer(name):  # __version__
                wrong.append(f"{name} -> {target}")
    assert sorted(set(wrong) - UPWARD) == []
    assert sorted(UPWARD - set(wrong)) == [], "gone now: take them off UPWARD"


def test_no_import_cycle_at_run_time() -> None:
    """Imports that run (type-only ones left out: they never execute)."""
    graph = {name: imports(name, path, typing_too=False) for name, path in modules().items()}
    # a package's __init__ re-exporting its modules is not a cycle with them
    for name, targets in graph.items():
        graph[name] = {t for t in targets if not name.startswith(t + ".")}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target, [*stack, target])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    found = {tuple(sorted(set(cycle))) for cycle in cycles}
    assert sorted(found - CYCLES) == []
    assert sorted(CYCLES - found) == [], "gone now: take them off CYCLES"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_no_module_over_300_lines_but_the_shrinking_allow_list(path: Path) -> None:
    relative = path.relative_to(PACKAGE).as_posix()
    lines = len(path.read_text(encoding="utf-8").splitlines())
    if relative in TOO_LONG:
        assert lines > MAX_LINES, f"{relative} is short now: take it off TOO_LONG"
    else:
        assert lines <= MAX_LINES, f"{relative} has {lines} lines"


def mapped_modules(text: str) -> set[str]:
    """The modules the map's tree names: ``folder/`` lines open a folder, ``name.py`` words
    inside it are its modules; at the top level, ``name.py`` is a module of the package."""
    block = text.split("```\npytest_bstm/\n", 1)[1].split("```", 1)[0]
    names: set[str] = set()
    folder = ""
    for line in block.splitlines():
        opens = re.match(r"  (\w+)/", line)
        top = re.match(r"  (\w+\.py)", line)
        if opens:
            folder = opens.group(1) + "/"
        elif top:
            folder = ""
            names.add(top.group(1))
            continue
        names |= {folder + word for word in re.findall(r"\b(\w+\.py)\b", line)}
    return names


def test_the_development_map_names_exactly_the_package_modules() -> None:
    text = (ROOT / "docs" / "development.md").read_text(encoding="utf-8")
    files = {
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if p.name not in {"__init__.py", "__main__.py"}
    }
    mapped = mapped_modules(text)
    assert sorted(mapped - files) == [], "the map names modules that do not exist"
    assert sorted(files - mapped) == [], "modules the map does not name"

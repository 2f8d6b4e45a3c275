"""Finding test functions in a module's source and adding ``tc`` markers to them.

Standard library only: :mod:`ast` gives the locations, the text is spliced as bytes, so every
byte of the file outside the inserted lines stays as it was (comments, formatting, other
decorators, line endings, encoding). A marker goes on its own line above the function's first
decorator (or its ``def``), with that line's indentation; ``import pytest`` is added after the
module's leading imports (else after its docstring, else before its first statement, followed
by a blank line) when the module does not bind ``pytest`` above the first marker. Our
choices, all of them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

Qualname = tuple[str, ...]
BOM = b"\xef\xbb\xbf"
_INDENT = re.compile(rb"[ \t\f]*")
_FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


class SourceChangedError(Exception):
    """The file changed on disk since it was read; nothing was written."""


@dataclass(frozen=True)
class Definition:
    """One ``def`` of a test function: where it starts and what its source says."""

    qualname: Qualname
    line: int  # 1-based line of ``def``
    first_line: int  # 1-based line of its first decorator, else of ``def``
    docstring: str | None
    records_id: bool  # its body calls record_property("id", ...)


@dataclass(frozen=True)
class Insertion:
    """A line of ``text`` (no line ending) inserted before 1-based ``line``."""

    line: int
    text: str


@dataclass(frozen=True)
class SourceFile:
    """A module's exact bytes and their syntax tree."""

    path: Path
    data: bytes
    tree: ast.Module

    @classmethod
    def read(cls, path: Path) -> SourceFile:
        """Read and parse ``path``; OSError when unreadable, SyntaxError when not Python."""
        data = path.read_bytes()
        try:
            tree = ast.parse(data, filename=str(path))
        except ValueError as exc:  # null bytes on Python < 3.12
            raise SyntaxError(str(exc)) from exc
        return cls(path, data, tree)

    def definitions(self, qualname: Qualname) -> list[Definition]:
        """Every ``def`` at ``qualname`` (class names, then the function name), in order."""
        return [
            _definition(name, node) for name, node in _functions(self.tree, ()) if name == qualname
        ]

    def plan(self, markers: Mapping[Qualname, str]) -> list[Insertion]:
        """The lines that add ``@pytest.mark.tc(case_id)`` to each function of ``markers``.

        Each qualname must have exactly one definition (ValueError otherwise).
        """
        targets: list[tuple[int, str]] = []
        for qualname, case_id in markers.items():
            found = self.definitions(qualname)
            if len(found) != 1:
                raise ValueError(f"{'.'.join(qualname)} has {len(found)} definitions")
            targets.append((found[0].first_line, case_id))
        if not targets:
            return []
        targets.sort()
        lines = self.data.splitlines(keepends=True)
        name = _pytest_name(self.tree, before=targets[0][0])
        out: list[Insertion] = []
        if name is None:
            name = "pytest"
            line, before_code = _import_line(self.tree)
            out.append(Insertion(line, "import pytest"))
            if before_code:  # a blank line between the new import and the module's code
                out.append(Insertion(line, ""))
        for line, case_id in targets:
            indent = _INDENT.match(lines[line - 1].removeprefix(BOM))
            spaces = indent.group().decode("ascii") if indent else ""
            out.append(Insertion(line, f'{spaces}@{name}.mark.tc("{case_id}")'))
        return out

    def write(self, insertions: Sequence[Insertion]) -> bytes:
        """Write the file with ``insertions`` applied; the new bytes.

        Raises SourceChangedError when the file no longer holds the bytes that were read,
        OSError when it cannot be written.
        """
        new = apply(self.data, insertions)
        ast.parse(new)  # a splice that breaks the module is a bug: never write it
        if self.path.read_bytes() != self.data:
            raise SourceChangedError(f"{self.path} changed since it was read")
        with self.path.open("wb") as handle:  # in place: keeps the file's mode and owner
            handle.write(new)
        return new


def apply(data: bytes, insertions: Sequence[Insertion]) -> bytes:
    """``data`` with each insertion's line added; insertions at one line keep their order."""
    lines = data.splitlines(keepends=True)
    newline = _newline(data)
    by_line: dict[int, list[bytes]] = {}
    for insertion in insertions:
        if not 1 <= insertion.line <= len(lines) + 1:
            raise ValueError(f"line {insertion.line} is outside the file")
        by_line.setdefault(insertion.line, []).append(insertion.text.encode("ascii") + newline)
    for line in sorted(by_line, reverse=True):
        block = b"".join(by_line[line])
        index = line - 1
        if index == len(lines) and lines and not lines[-1].endswith((b"\n", b"\r")):
            block = newline + block
        if index == 0 and lines and lines[0].startswith(BOM):
            lines[0] = lines[0][len(BOM) :]
            block = BOM + block
        lines[index:index] = [block]
    return b"".join(lines)


def _newline(data: bytes) -> bytes:
    match = re.search(rb"\r\n|\n|\r", data)
    return match.group() if match else b"\n"


def _functions(node: ast.AST, prefix: Qualname) -> Iterator[tuple[Qualname, _FunctionNode]]:
    """Functions defined in ``node``'s body and its classes (not inside other functions)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield (*prefix, child.name), child
        elif isinstance(child, ast.ClassDef):
            yield from _functions(child, (*prefix, child.name))
        elif isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)):
            yield from _functions(child, prefix)


def _first_line(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _definition(qualname: Qualname, node: _FunctionNode) -> Definition:
    return Definition(
        qualname=qualname,
        line=node.lineno,
        first_line=_first_line(node),
        docstring=ast.get_docstring(node),
        records_id=any(_records_id(call) for call in ast.walk(node) if isinstance(call, ast.Call)),
    )


def _records_id(call: ast.Call) -> bool:
    """``record_property("id", ...)``: the vendor's documented way to tag a pytest test."""
    func = call.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    if name != "record_property":
        return False
    first = call.args[0] if call.args else None
    for keyword in call.keywords:
        if keyword.arg == "name":
            first = keyword.value
    return isinstance(first, ast.Constant) and first.value == "id"


def _pytest_name(tree: ast.Module, *, before: int) -> str | None:
    """The name a top-level ``import pytest [as name]`` above line ``before`` binds."""
    for stmt in tree.body:
        if isinstance(stmt, ast.Import) and stmt.lineno < before:
            for alias in stmt.names:
                if alias.name == "pytest":
                    return alias.asname or "pytest"
    return None


def _import_line(tree: ast.Module) -> tuple[int, bool]:
    """Where ``import pytest`` goes, and whether that is right above the first statement.

    After the leading imports, else after the docstring, else before the first statement.
    """
    body = tree.body
    end: int | None = None
    start = 0
    if body and ast.get_docstring(tree, clean=False) is not None:
        end, start = body[0].end_lineno, 1
    for stmt in body[start:]:
        if not isinstance(stmt, (ast.Import, ast.ImportFrom)):
            break
        end = stmt.end_lineno
    if end is not None:
        return end + 1, False
    return (_first_line(body[0]), True) if body else (1, False)

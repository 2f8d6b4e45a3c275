"""The ``bstm_*`` keys of the ini file pytest would read here, so that a bare ``bstm`` works.

``bstm`` takes ``bstm_project`` and ``bstm_url`` from the suite's ini file when neither the
command line nor the environment names them (the plugin's precedence: command line >
environment > ini). The file is found the way pytest finds it from the current directory:
in this directory, then each parent, the first of ``pytest.toml``, ``.pytest.toml``,
``pytest.ini``, ``.pytest.ini`` (these match even without a ``bstm`` key), ``pyproject.toml``
with a ``[tool.pytest.ini_options]`` or ``[tool.pytest]`` table, ``tox.ini`` with ``[pytest]``
and ``setup.cfg`` with ``[tool:pytest]``. A file that cannot be read gives no values: pytest
itself says what is wrong with it.
"""

from __future__ import annotations

import configparser
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10: pytest itself depends on tomli there
    import tomli as tomllib

TableReader = Callable[[Path], "dict[str, Any] | None"]


@dataclass(frozen=True)
class IniFile:
    """The ini file pytest would read (None: there is none) and its keys."""

    path: Path | None = None
    values: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        """A key's value, stripped; None when absent or blank."""
        value = self.values.get(key, "").strip()
        return value or None

    def source(self, key: str) -> str:
        """``bstm_project in pytest.ini``: where a value came from, for messages."""
        return f"{key} in {self.path.name if self.path else 'the ini file'}"


def _ini_section(section: str, *, always: bool) -> TableReader:
    def read(path: Path) -> dict[str, Any] | None:
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
        if parser.has_section(section):
            return dict(parser.items(section))
        return {} if always else None

    return read


def _toml_table(*keys: str, always: bool) -> TableReader:
    def read(path: Path) -> dict[str, Any] | None:
        table: Any = tomllib.loads(path.read_text(encoding="utf-8"))
        for key in keys:
            table = table.get(key) if isinstance(table, dict) else None
        if isinstance(table, dict):
            nested = table.get("ini_options")
            return nested if isinstance(nested, dict) else table
        return {} if always else None

    return read


# pytest's own order of candidates within one directory
CANDIDATES: tuple[tuple[str, TableReader], ...] = (
    ("pytest.toml", _toml_table("pytest", always=True)),
    (".pytest.toml", _toml_table("pytest", always=True)),
    ("pytest.ini", _ini_section("pytest", always=True)),
    (".pytest.ini", _ini_section("pytest", always=True)),
    ("pyproject.toml", _toml_table("tool", "pytest", always=False)),
    ("tox.ini", _ini_section("pytest", always=False)),
    ("setup.cfg", _ini_section("tool:pytest", always=False)),
)


def find(start: Path | None = None) -> IniFile:
    """The ini file pytest would read from ``start`` (default: the current directory)."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        for name, read in CANDIDATES:
            path = directory / name
            if not path.is_file():
                continue
            try:
                table = read(path)
            except (OSError, ValueError, configparser.Error):  # TOMLDecodeError is a ValueError
                return IniFile(path)
            if table is not None:
                values = {k: v for k, v in table.items() if k.startswith("bstm_")}
                return IniFile(path, {k: str(v) for k, v in values.items()})
    return IniFile()

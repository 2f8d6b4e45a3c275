"""The README's reference tables are held to the code."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from pytest_bstm import hookspecs
from pytest_bstm.config.options import INI_ONLY, OPTIONS
from pytest_bstm.vocabulary import DEFAULT_STATUS_MAP

README = Path(__file__).resolve().parent.parent / "README.md"


def table(name: str) -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, re.S)
    assert match, f"README has no {name} section"
    rows = [line for line in match.group(1).splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def test_options_table_matches_the_code() -> None:
    expected = []
    for o in OPTIONS:
        arg = f" {o.metavar}" if o.metavar else ""
        expected.append(
            [
                f"`{o.flag}{arg}`",
                f"`{o.ini}`",
                f"`{o.env}`" if o.env else "",
                f"`{o.default}`" if o.default else "",
                o.help,
            ]
        )
    assert table("options-table") == expected


def test_options_table_matches_pytest_help(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = pytester.runpytest_subprocess("-p", "pytest_bstm.plugin", "--help")
    text = result.stdout.str()
    group = text.split("BrowserStack Test Management reporting (pytest-bstm):")[1]
    group = group.split("\n\n")[0]
    in_help = re.findall(r"^  (--bstm-[a-z-]+)", group, re.M)
    in_readme = [row[0].strip("`").split()[0] for row in table("options-table")]
    assert in_help == in_readme
    ini_names = set(re.findall(r"^  (bstm_[a-z_]+) \(", text, re.M))
    ini_only = {name for name, _ in INI_ONLY}
    assert ini_names == {row[1].strip("`") for row in table("options-table")} | ini_only


def test_status_table_matches_the_default_map() -> None:
    rows = {row[0].strip("`"): row[1].strip("`") for row in table("status-table")}
    assert rows == dict(DEFAULT_STATUS_MAP)


def test_hooks_table_matches_the_hookspecs() -> None:
    specs = {
        name: f"`{name}({', '.join(inspect.signature(fn).parameters)})`"
        for name, fn in vars(hookspecs).items()
        if name.startswith("pytest_bstm_")
    }
    assert [row[0] for row in table("hooks-table")] == list(specs.values())


def test_cli_table_names_real_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    cli = pytest.importorskip("pytest_bstm.cli")
    for row in table("cli-table"):
        words = [w for w in row[0].strip("`").split() if re.fullmatch(r"[a-z]+", w)]
        assert words[0] == "bstm"
        try:
            code = cli.main([*words[1:], "--help"])
        except SystemExit as exc:
            code = exc.code
        assert code == 0, row
        assert "usage:" in capsys.readouterr().out


def test_compatibility_table_is_the_tested_matrix() -> None:
    """The README's matrix: the classifiers' Pythons x the noxfile's pytest lines, floors named."""
    root = README.parent
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    pythons = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', pyproject)
    requires = re.search(r'requires-python = ">=(3\.\d+)"', pyproject)
    assert requires
    assert pythons
    assert requires.group(1) == pythons[0]
    floors = dict(
        re.findall(r'"(pytest|pluggy|pytest-xdist|pytest-rerunfailures)>=([\d.]+)', pyproject)
    )
    assert sorted(floors) == ["pluggy", "pytest", "pytest-rerunfailures", "pytest-xdist"]
    noxfile = ast.parse((root / "noxfile.py").read_text(encoding="utf-8"))
    (lines,) = [
        node.value
        for node in ast.walk(noxfile)
        if isinstance(node, ast.AnnAssign) and ast.unparse(node.target) == "LINES"
    ]
    assert isinstance(lines, ast.Dict)
    names = [ast.literal_eval(key) for key in lines.keys if key is not None]
    assert names[0] == "floor"
    header = [f"pytest {floors['pytest']} (floor)", *(f"pytest {n} (latest)" for n in names[1:])]
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- compat-table:start -->\n\| \| (.*) \|\n", text)
    assert match
    assert match.group(1).split(" | ") == header
    assert table("compat-table") == [[f"Python {v}"] + ["tested"] * len(names) for v in pythons]
    section = text.split("## Compatibility", 1)[1].split("\n## ", 1)[0]
    for name, version in floors.items():
        assert f"{name} {version}" in section, name

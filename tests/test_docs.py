"""The documentation's reference tables are held to the code, and the site builds strictly."""

from __future__ import annotations

import ast
import inspect
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bstm_helpers import Inner

from pytest_bstm import hookspecs
from pytest_bstm.config.options import INI_ONLY, OPTIONS, reference
from pytest_bstm.vocabulary import DEFAULT_STATUS_MAP

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def marked(name: str) -> tuple[Path, str]:
    """The docs page holding ``<!-- name:start -->`` and the text between the markers."""
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        match = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", text, re.S)
        if match:
            return page, match.group(1)
    raise AssertionError(f"no page of docs/ has a {name} section")


def table(name: str) -> list[list[str]]:
    _, text = marked(name)
    rows = [line for line in text.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def test_options_reference_is_made_from_the_option_table() -> None:
    text = (DOCS / "options.md").read_text(encoding="utf-8")
    assert "<!-- options-table -->" in text  # filled by docs/site_hooks.py when the site is built
    assert [row[0].strip("`").split()[0] for row in reference()] == [o.flag for o in OPTIONS]


def build_site(root: Path) -> subprocess.CompletedProcess[str]:
    mkdocs = pytest.importorskip("mkdocs")  # the docs extra, part of dev
    assert mkdocs
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(root / "site")],
        cwd=root,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (("hooks.md", "\nSee `--bstm-colour`.\n"), "hooks.md names options pytest-bstm does not"),
        (("hooks.md", "\nSee [Results](results.md#no-such-part).\n"), "does not contain an anchor"),
        (("hooks.md", "\nSee [the guide](guide.md).\n"), "target is not found"),
        (("options.md", None), "options.md has no <!-- options-table -->"),
    ],
)
def test_the_site_build_fails_on_a_drifted_page(
    tmp_path: Path, change: tuple[str, str | None], error: str
) -> None:
    """``make docs`` in strict mode: what drifts from the code or breaks a link stops it."""
    shutil.copy(ROOT / "mkdocs.yml", tmp_path)
    shutil.copytree(DOCS, tmp_path / "docs")
    page, added = change
    path = tmp_path / "docs" / page
    text = path.read_text(encoding="utf-8")
    path.write_text(text + added if added else text.replace("<!-- options-table -->", ""))
    broken = build_site(tmp_path)
    assert broken.returncode != 0
    assert error in broken.stderr + broken.stdout


def test_the_site_builds_with_every_option_in_its_reference(tmp_path: Path) -> None:
    shutil.copy(ROOT / "mkdocs.yml", tmp_path)
    shutil.copytree(DOCS, tmp_path / "docs")
    built = build_site(tmp_path)
    assert built.returncode == 0, built.stderr
    reference_page = (tmp_path / "site" / "options" / "index.html").read_text(encoding="utf-8")
    assert all(f"<code>{o.flag}" in reference_page for o in OPTIONS)


def test_options_reference_matches_pytest_help(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = pytester.runpytest_subprocess("-p", "pytest_bstm.plugin", "--help")
    text = result.stdout.str()
    group = text.split("BrowserStack Test Management reporting (pytest-bstm):")[1]
    group = group.split("\n\n")[0]
    in_help = re.findall(r"^  (--bstm-[a-z-]+)", group, re.M)
    in_reference = [row[0].strip("`").split()[0] for row in reference()]
    assert in_help == in_reference
    ini_names = set(re.findall(r"^  (bstm_[a-z_]+) \(", text, re.M))
    assert ini_names == {row[1].strip("`") for row in reference()} | {n for n, _ in INI_ONLY}


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
    """The documented matrix: the classifiers' Pythons x the noxfile's pytest lines, floors
    named."""
    root = ROOT
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
    page, _ = marked("compat-table")
    text = page.read_text(encoding="utf-8")
    match = re.search(r"<!-- compat-table:start -->\n\| \| (.*) \|\n", text)
    assert match
    assert match.group(1).split(" | ") == header
    assert table("compat-table") == [[f"Python {v}"] + ["tested"] * len(names) for v in pythons]
    for name, version in floors.items():
        assert f"{name} {version}" in text, name


def example(name: str) -> list[str]:
    """The lines of a text block marked ``<!-- name:start -->`` ... ``<!-- name:end -->``."""
    _, text = marked(name)
    match = re.fullmatch(r"```text\n(.*?)```\n", text, re.S)
    assert match, f"the {name} section is not one text block"
    return match.group(1).splitlines()


def shape(line: str) -> str:
    """An example line as an fnmatch pattern: its host, counts, paths and numbers left open."""
    line = re.sub(r"\(\d+ attempts?[^)]*\)", "(*)", line)
    line = line.replace("test-management.browserstack.com could not be resolved (DNS)", "*")
    line = re.sub(r"\.bstm/journal-\S+\.jsonl", "*.bstm/journal-*.jsonl", line)
    return re.sub(r"\d+", "*", line)


def test_the_journal_example_and_default_name_are_what_a_session_prints(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1", "TC-2", "TC-3")
        def test_one():
            pass
        """
    )
    # a service that is not there: nothing listens on port 1
    result = inner.run("--bstm-url", "http://127.0.0.1:1", "--bstm-drain-timeout", "2")
    result.stdout.fnmatch_lines([shape(line) for line in example("journal-example")])
    (journal,) = (inner.pytester.path / ".bstm").iterdir()
    (documented,) = {o.help for o in OPTIONS if o.flag == "--bstm-journal"}
    name = re.search(r"\.bstm/(journal-\S+\.jsonl)", documented)
    assert name
    placeholders = {"<date>": r"\d{8}", "<time>": r"\d{6}", "<session>": r"[0-9a-f]{12}"}
    pattern = re.escape(name.group(1))
    for placeholder, regex in placeholders.items():
        pattern = pattern.replace(re.escape(placeholder), regex)
    assert re.fullmatch(pattern, journal.name), (pattern, journal.name)


def test_the_readme_links_to_files_that_exist() -> None:
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text)
    local = [link for link in links if not link.startswith(("http://", "https://"))]
    assert "docs/index.md" in local
    assert [link for link in local if not (ROOT / link).exists()] == []

"""``bstm`` as clear as the plugin: what a 404 means, closed runs, journals that cannot succeed,
and the project and URL from the suite's ini file."""

from __future__ import annotations

from pathlib import Path

import pytest
from bstm_helpers import Bstm, shell, suggested
from test_cli_journal import result, stored

from pytest_bstm.delivery import journal
from pytest_bstm.delivery.records import journal_record
from pytest_bstm.emulator import Emulator
from pytest_bstm.run.plan import RunPlan


@pytest.fixture
def env(credentials_only: Emulator) -> Emulator:
    return credentials_only


def plan_journal(path: Path, emulator: Emulator, plan: RunPlan, cases: list[str]) -> Path:
    """A journal as a session that never reached the service leaves it: the plan, results."""
    writer = journal.Journal(path)
    writer.plan(emulator.url, plan.to_json())
    writer.results([journal_record(result(n, case)) for n, case in enumerate(cases, 1)])
    writer.close()
    return path


# -- what a 404 means ------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["runs", "list"], ["runs", "show", "TR-1"]])
def test_an_unknown_project_names_the_projects_the_credentials_see(
    env: Emulator, bstm: Bstm, command: list[str]
) -> None:
    code, out, err = bstm(*command, "--url", env.url, "--project", "PR-9")
    assert (code, out) == (1, "")
    assert err == (
        'bstm: error: project PR-9 not found (HTTP 404 "Project PR-9 not found"; these '
        "credentials see PR-1, PR-2): check --project (or BSTM_PROJECT, bstm_project), and "
        "--url for the project's region\n"
    )


def test_only_closed_runs_point_at_state_closed(env: Emulator, bstm: Bstm) -> None:
    args = ("--url", env.url, "--project", "PR-1")
    assert bstm("runs", "create", *args, "--name", "Done", "--cases", "TC-1")[0] == 0
    assert bstm("runs", "close", *args, "TR-1")[0] == 0
    code, out, _ = bstm("runs", "list", *args)
    assert (code, out) == (
        0,
        "no open runs in PR-1 match; closed runs are listed with --state closed "
        "(or --include-closed)\n",
    )
    code, out, _ = bstm("runs", "list", *args, "--state", "closed")
    assert "TR-1" in out
    code, out, _ = bstm("runs", "list", *args, "--state", "closed", "--assignee", "a@example.com")
    assert out == "no runs in PR-1 match\n"


# -- journals that cannot succeed -------------------------------------------------------------


def test_a_journal_joining_an_unknown_run_suggests_a_new_run(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    plan = RunPlan(project="PR-1", mode="join", token="t0k3n", run_id="TR-99", close=False)
    path = plan_journal(tmp_path / "j.jsonl", env, plan, ["TC-1", "TC-2"])
    code, out, err = bstm("journal", "upload", str(path))
    assert code == 1
    assert out == f"uploaded nothing (no run); 2 left in {path}\n"
    assert err.startswith("bstm: error: could not join run TR-99: it is not in PR-1 (HTTP 404 ")
    [command] = suggested(err)
    assert "runs create" in command
    done = shell(command, tmp_path)  # works as printed: a new run gets the results
    assert done.returncode == 0, done.stderr
    assert stored(env, "TR-1") == [("TC-1", None, "passed"), ("TC-2", None, "passed")]


def test_a_journal_that_cannot_succeed_can_be_set_aside(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    folder = tmp_path / ".bstm"
    folder.mkdir()
    create = {"name": "nightly", "test_cases": ["TC-1"]}
    plan = RunPlan(
        project="PR-9", mode="create", token="t0k3n", payload=create, pairs=(("TC-1", None),)
    )
    lost = plan_journal(folder / "journal-1.jsonl", env, plan, ["TC-1"])
    code, out, err = bstm("journal", "upload", str(folder))
    assert code == 1
    assert out == f"uploaded nothing (no run); 1 left in {lost}\n"
    assert "could not create the run: project PR-9 not found" in err
    assert "these credentials see PR-1, PR-2" in err
    [command] = suggested(err)
    assert command == f"bstm journal set-aside {lost}"
    assert bstm("journal", "upload", str(folder))[0] == 1  # every later upload fails the same

    done = shell(command, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"set aside {lost} as {lost}.aside: folder uploads leave it out")
    plan = RunPlan(
        project="PR-1", mode="create", token="g00d", payload=create, pairs=(("TC-1", None),)
    )
    plan_journal(folder / "journal-2.jsonl", env, plan, ["TC-1"])
    code, out, err = bstm("journal", "upload", str(folder))
    assert (code, err) == (0, "")
    assert out.startswith("uploaded 1 result to TR-1 (1 passed, 0 failed); TR-1 closed")
    assert sorted(p.name for p in folder.iterdir()) == ["journal-1.jsonl.aside", "journal-2.jsonl"]
    code, _, err = bstm("journal", "upload", f"{lost}.aside")  # by name it is still read
    assert code == 1
    assert "project PR-9 not found" in err


def test_set_aside_needs_an_existing_file(env: Emulator, bstm: Bstm, tmp_path: Path) -> None:
    code, _, err = bstm("journal", "set-aside", str(tmp_path / "missing.jsonl"))
    assert code == 2
    assert err == f"bstm: error: cannot set aside {tmp_path / 'missing.jsonl'}: no such file\n"


# -- the suite's ini file ----------------------------------------------------------------------


INI_FILES = {
    "pytest.toml": '[pytest]\nbstm_project = "PR-2"\nbstm_url = "{url}"\n',
    "pytest.ini": "[pytest]\nbstm_project = PR-2\nbstm_url = {url}\n",
    "pyproject.toml": '[tool.pytest.ini_options]\nbstm_project = "PR-2"\nbstm_url = "{url}"\n',
    "tox.ini": "[tox]\n[pytest]\nbstm_project = PR-2\nbstm_url = {url}\n",
    "setup.cfg": "[metadata]\nname = x\n[tool:pytest]\nbstm_project = PR-2\nbstm_url = {url}\n",
}


@pytest.mark.parametrize("name", list(INI_FILES))
def test_a_bare_command_reads_project_and_url_from_the_ini_file(
    env: Emulator, bstm: Bstm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    (tmp_path / name).write_text(INI_FILES[name].format(url=env.url))
    (tmp_path / "tests").mkdir()
    monkeypatch.chdir(tmp_path / "tests")  # found from a subdirectory, as pytest finds it
    code, out, err = bstm("runs", "create", "--name", "From the ini", "--cases", "TC-1001")
    assert (code, out, err) == (0, "TR-1\n", "")
    assert env.run("TR-1")["name"] == "From the ini"
    assert [r["path"] for r in env.requests] == ["/api/v2/projects/PR-2/test-runs"]


def test_the_command_line_and_the_environment_win_over_the_ini_file(
    env: Emulator, bstm: Bstm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ini = "[pytest]\nbstm_project = PR-2\nbstm_url = https://tm.example.invalid\n"
    (tmp_path / "pytest.ini").write_text(ini)
    monkeypatch.setenv("BSTM_URL", env.url)
    monkeypatch.setenv("BSTM_PROJECT", "PR-1")
    assert bstm("runs", "create", "--name", "env") == (0, "TR-1\n", "")
    assert bstm("runs", "create", "--name", "cli", "--project", "PR-2") == (0, "TR-2\n", "")
    assert [r["path"] for r in env.requests] == [
        "/api/v2/projects/PR-1/test-runs",
        "/api/v2/projects/PR-2/test-runs",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bstm_project = 7", "bstm_project in pytest.ini: '7' is not an ID like PR-1"),
        ("bstm_project = PR-1\nbstm_url = http://tm.example.com", "bstm_url in pytest.ini: "),
    ],
)
def test_a_bad_ini_value_is_a_usage_error_naming_the_file(
    env: Emulator, bstm: Bstm, tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "pytest.ini").write_text(f"[pytest]\n{text}\n")
    code, out, err = bstm("runs", "list")
    assert (code, out) == (2, "")
    assert err.startswith(f"bstm: error: {message}")
    assert env.requests == []


def test_the_first_ini_file_pytest_would_read_wins_even_a_broken_one(
    env: Emulator, bstm: Bstm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "setup.cfg").write_text("[tool:pytest]\nbstm_project = PR-2\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    monkeypatch.chdir(tmp_path / "tests")  # a pyproject.toml without a pytest table: not it
    monkeypatch.setenv("BSTM_URL", env.url)
    assert bstm("runs", "create", "--name", "up") == (0, "TR-1\n", "")
    (tmp_path / "tests" / "pytest.ini").write_text("[pytest\nbstm_project = PR-1\n")
    code, _, err = bstm("runs", "create", "--name", "broken")  # pytest says what is wrong
    assert code == 2
    assert err.startswith("bstm: error: no project: ")


def test_set_aside_never_replaces_a_journal_set_aside_earlier(tmp_path: Path) -> None:
    from pytest_bstm.cli import main

    first, later = tmp_path / "j.jsonl", tmp_path / "j.jsonl.aside"
    later.write_text('{"type":"sent","keys":["a"]}\n', encoding="utf-8")
    first.write_text('{"type":"sent","keys":["b"]}\n', encoding="utf-8")
    assert main(["journal", "set-aside", str(first)]) == 0
    assert later.read_text(encoding="utf-8") == '{"type":"sent","keys":["a"]}\n'
    assert (tmp_path / "j.jsonl-2.aside").read_text(encoding="utf-8").endswith('["b"]}\n')
    assert not first.exists()

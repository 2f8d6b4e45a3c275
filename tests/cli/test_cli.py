"""The ``bstm`` command: runs subcommands, options, errors and secrets, against the emulator."""

from __future__ import annotations

import datetime as dt
import io
import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from bstm_helpers import Bstm

from pytest_bstm import __version__
from pytest_bstm.api import Client, models
from pytest_bstm.emulator import Emulator


@pytest.fixture
def env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The reset emulator, with the environment pointing ``bstm`` at it."""
    monkeypatch.setenv("BSTM_URL", emulator.url)
    monkeypatch.setenv("BROWSERSTACK_USERNAME", emulator.username)
    monkeypatch.setenv("BROWSERSTACK_ACCESS_KEY", emulator.access_key)
    monkeypatch.delenv("BSTM_PROJECT", raising=False)
    return emulator


def client_for(emulator: Emulator) -> Client:
    return Client(base_url=emulator.url, username=emulator.username, access_key=emulator.access_key)


def new_run(emulator: Emulator, name: str = "Base", cases: int = 3) -> str:
    with client_for(emulator) as client:
        body = models.NewTestRun(name=name, test_cases=[f"TC-{i}" for i in range(1, cases + 1)])
        return client.create_run("PR-1", body).identifier


# -- create ----------------------------------------------------------------------------------


def test_create_prints_only_the_new_run_id(
    env: Emulator, bstm: Bstm, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUILD", "b42")
    code, out, err = bstm(
        "runs", "create", "--project", "PR-1", "--name", "Nightly {env:BUILD} {date}",
        "--description", "from CI", "--assignee", "lead@example.com",
        "--case-assignee", "qa@example.com", "--tags", "smoke,ci", "--issues", "K-1,K-2",
        "--test-plan", "TP-1", "--configurations", "101,102", "--cases", "TC-1,TC-2",
    )  # fmt: skip
    assert (code, out, err) == (0, "TR-1\n", "")
    run = env.run("TR-1")
    assert run["name"] == f"Nightly b42 {dt.date.today().isoformat()}"
    assert run["description"] == "from CI"
    assert run["assignee"] == "lead@example.com"
    assert run["test_case_assignee"] == "qa@example.com"
    assert (run["tags"], run["issues"]) == (["smoke", "ci"], ["K-1", "K-2"])
    assert run["test_plan_id"] == "TP-1"
    pairs = {(c["test_case_id"], c["configuration_id"]) for c in env.run_cases("TR-1")}
    assert pairs == {(tc, cfg) for tc in ("TC-1", "TC-2") for cfg in (101, 102)}


def test_create_json_prints_the_run_object(env: Emulator, bstm: Bstm) -> None:
    code, out, _ = bstm("runs", "create", "--project", "PR-1", "--name", "J", "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["identifier"], data["name"]) == ("TR-1", "J")


def test_project_defaults_to_bstm_project(
    env: Emulator, bstm: Bstm, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BSTM_PROJECT", "PR-2")
    code, out, _ = bstm("runs", "create", "--name", "Other project")
    assert (code, out) == (0, "TR-1\n")
    assert env.run("TR-1")["project_id"] == "PR-2"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--test-plan", "TP-1", "--sub-test-plan", "STP-1"], "not allowed with argument"),
        (["--sub-test-plan", "TP-1"], "is not an ID like STP-1"),
        (["--cases", "TC-1,nope"], "'nope' is not like TC-1"),
        (["--configurations", "101,x"], "not a configuration ID"),
        (["--assignee", "not-an-email"], "is not an email address"),
        (["--name", "Run {nightly}"], "unknown placeholder {nightly}"),
        (["--unknown-flag"], "unrecognized arguments: --unknown-flag"),
    ],
)
def test_create_usage_errors_exit_2_without_a_request(
    env: Emulator, bstm: Bstm, extra: list[str], message: str
) -> None:
    code, out, err = bstm("runs", "create", "--project", "PR-1", "--name", "N", *extra)
    assert code == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err
    assert env.requests == []


def test_project_is_needed_but_not_shown_as_required(
    env: Emulator, bstm: Bstm, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("BSTM_PROJECT", raising=False)
    monkeypatch.chdir(tmp_path)  # no ini file names a project either
    code, out, err = bstm("runs", "close", "TR-9")
    assert (code, out) == (2, "")
    assert err == (
        "bstm: error: no project: pass --project PR-N, set BSTM_PROJECT, or set bstm_project "
        "in the suite's ini file (pytest.ini, pyproject.toml, ...)\n"
    )
    assert env.requests == []
    code, out, _ = bstm("runs", "close", "--help")
    assert code == 0
    assert out.startswith("usage: bstm runs close [-h] [--url URL] [--project PR-1] RUN")
    new_run(env, "Closed by BSTM_PROJECT")
    monkeypatch.setenv("BSTM_PROJECT", "PR-1")
    assert bstm("runs", "close", "TR-1") == (0, "closed TR-1\n", "")


# -- list and show ---------------------------------------------------------------------------


def test_list_shows_open_runs_and_filters(env: Emulator, bstm: Bstm) -> None:
    first = new_run(env, "First")
    second = new_run(env, "Second")
    with client_for(env) as client:
        client.update_run("PR-1", second, assignee="dev@example.com")
        client.close_run("PR-1", first)
    code, out, _ = bstm("runs", "list", "--project", "PR-1")
    assert code == 0
    assert out.splitlines()[0].split() == ["ID", "STATE", "CASES", "CREATED", "NAME"]
    assert "TR-2" in out
    assert "TR-1" not in out
    _, out, _ = bstm("runs", "list", "--project", "PR-1", "--include-closed", "--json")
    assert [r["identifier"] for r in json.loads(out)] == ["TR-1", "TR-2"]
    _, out, _ = bstm("runs", "list", "--project", "PR-1", "--assignee", "nobody@example.com")
    assert out == (
        "no open runs in PR-1 match; closed runs are listed with --state closed "
        "(or --include-closed)\n"
    )
    today = dt.date.today().isoformat()
    args = ["--assignee", "dev@example.com", "--state", "new,in_progress"]
    _, out, _ = bstm("runs", "list", "--project", "PR-1", *args, "--created-after", today)
    assert "Second" in out
    assert env.requests[-1]["query"]["run_state"] == "new,in_progress"
    assert env.requests[-1]["query"]["created_after"] == today


def test_a_closed_state_or_closing_date_lists_closed_runs(env: Emulator, bstm: Bstm) -> None:
    first, second = new_run(env, "First"), new_run(env, "Second")
    with client_for(env) as client:
        client.close_run("PR-1", first)
    today = dt.date.today().isoformat()
    for extra in (["--state", "closed"], ["--closed-after", today]):
        code, out, _ = bstm("runs", "list", "--project", "PR-1", *extra, "--json")
        assert code == 0
        assert [r["identifier"] for r in json.loads(out)] == [first], extra
    _, out, _ = bstm("runs", "list", "--project", "PR-1", "--state", "closed,new", "--json")
    assert sorted(r["identifier"] for r in json.loads(out)) == [first, second]


def test_list_rejects_bad_dates_and_states(env: Emulator, bstm: Bstm) -> None:
    code, _, err = bstm("runs", "list", "--project", "PR-1", "--created-after", "yesterday")
    assert code == 2
    assert "is not a date" in err
    code, _, err = bstm("runs", "list", "--project", "PR-1", "--state", "finished")
    assert code == 2
    assert "unknown state 'finished'" in err


def test_show_prints_details_count_and_progress(env: Emulator, bstm: Bstm) -> None:
    run_id = new_run(env, "Shown", cases=4)
    with client_for(env) as client:
        client.add_results(
            "PR-1",
            run_id,
            [
                models.ResultIn(test_case_id="TC-1", status="passed"),
                models.ResultIn(test_case_id="TC-2", status="failed"),
            ],
        )
    code, out, _ = bstm("runs", "show", "--project", "PR-1", run_id)
    assert code == 0
    assert out.startswith("TR-1  Shown\n")
    assert "cases:          4" in out
    assert "2/4 executed (50%): 1 passed, 1 failed, 2 untested" in out
    code, out, _ = bstm("runs", "show", "--project", "PR-1", run_id, "--json")
    data = json.loads(out)
    assert data["test_cases_count"] == 4
    assert len(data["test_cases"]) == 4


def test_show_unknown_run_is_one_error_line(env: Emulator, bstm: Bstm) -> None:
    code, out, err = bstm("runs", "show", "--project", "PR-1", "TR-99")
    assert (code, out) == (1, "")
    assert err == (
        'bstm: error: run TR-99 not found in PR-1 (HTTP 404 "Test Run ID is invalid": unknown '
        "or deleted): check the run ID; `bstm runs list --include-closed` lists the project's "
        "runs\n"
    )


# -- clone, close, delete --------------------------------------------------------------------


def test_clone_by_statuses_prints_the_new_id(env: Emulator, bstm: Bstm) -> None:
    run_id = new_run(env, "Nightly", cases=3)
    with client_for(env) as client:
        client.add_results(
            "PR-1",
            run_id,
            [
                models.ResultIn(test_case_id="TC-1", status="passed"),
                models.ResultIn(test_case_id="TC-2", status="failed"),
                models.ResultIn(test_case_id="TC-3", status="blocked"),
            ],
        )
    code, out, _ = bstm(
        "runs", "clone", "--project", "PR-1", run_id,
        "--statuses", "failed,blocked", "--name", "Rerun {date}",
    )  # fmt: skip
    assert (code, out) == (0, "TR-2\n")
    assert env.wait_idle()
    assert env.run("TR-2")["name"] == f"Rerun {dt.date.today().isoformat()}"
    assert sorted(c["test_case_id"] for c in env.run_cases("TR-2")) == ["TC-2", "TC-3"]
    code, out, _ = bstm("runs", "clone", "--project", "PR-1", run_id, "--json")
    assert json.loads(out)["identifier"] == "TR-3"


def test_close_closes_and_is_idempotent(env: Emulator, bstm: Bstm) -> None:
    run_id = new_run(env)
    assert bstm("runs", "close", "--project", "PR-1", run_id)[:2] == (0, "closed TR-1\n")
    assert env.run(run_id)["active_state"] == "closed"
    assert bstm("runs", "close", "--project", "PR-1", run_id)[0] == 0


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_delete_needs_yes_when_stdin_is_not_a_terminal(env: Emulator, bstm: Bstm) -> None:
    run_id = new_run(env)
    code, out, err = bstm("runs", "delete", "--project", "PR-1", run_id)
    assert (code, out) == (2, "")
    assert "pass --yes" in err
    assert env.run(run_id)["identifier"] == run_id
    assert bstm("runs", "delete", "--project", "PR-1", run_id, "--yes")[:2] == (
        0,
        "deleted TR-1\n",
    )
    with pytest.raises(KeyError):
        env.run(run_id)


@pytest.mark.parametrize(("answer", "deleted"), [("y\n", True), ("\n", False)])
def test_delete_asks_on_a_terminal(
    env: Emulator, bstm: Bstm, monkeypatch: pytest.MonkeyPatch, answer: str, deleted: bool
) -> None:
    run_id = new_run(env)
    monkeypatch.setattr(sys, "stdin", _Terminal(answer))
    code, out, err = bstm("runs", "delete", "--project", "PR-1", run_id)
    assert "Delete run TR-1 of PR-1" in out
    assert code == (0 if deleted else 1)
    assert (len(env.runs("PR-1")) == 0) is deleted
    if not deleted:
        assert "TR-1 not deleted" in err


# -- common options and errors ---------------------------------------------------------------


@pytest.mark.parametrize("missing", ["BROWSERSTACK_USERNAME", "BROWSERSTACK_ACCESS_KEY"])
def test_missing_credentials_name_both_variables(
    env: Emulator, bstm: Bstm, monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    monkeypatch.delenv(missing)
    code, out, err = bstm("runs", "list", "--project", "PR-1")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert "BROWSERSTACK_USERNAME" in err
    assert "BROWSERSTACK_ACCESS_KEY" in err
    assert env.requests == []


def test_plain_http_only_for_loopback(env: Emulator, bstm: Bstm) -> None:
    code, _, err = bstm("runs", "list", "--project", "PR-1", "--url", "http://tm.example.com")
    assert code == 2
    assert "plain http" in err
    port = env.url.rsplit(":", 1)[1]
    code, _, _ = bstm("runs", "list", "--project", "PR-1", "--url", f"http://localhost:{port}")
    assert code == 0


def test_service_errors_exit_1_after_retries(env: Emulator, bstm: Bstm) -> None:
    env.faults.fail(status=500, times=1)
    assert bstm("runs", "list", "--project", "PR-1")[0] == 0  # retried
    env.faults.fail(status=403, times=1)
    code, _, err = bstm("runs", "list", "--project", "PR-1")
    assert code == 1
    assert err.startswith("bstm: error: GET /api/v2/projects/PR-1/test-runs -> HTTP 403")


def test_version(bstm: Bstm) -> None:
    assert bstm("--version") == (0, f"bstm {__version__}\n", "")


def test_no_command_is_a_usage_error(bstm: Bstm) -> None:
    code, _, err = bstm()
    assert code == 2
    assert "usage: bstm" in err


# -- secrets ---------------------------------------------------------------------------------

SECRET = "SeCrEt-KeY-7f3a9c1e5b"


@pytest.fixture(scope="module")
def secret_emulator() -> Iterator[Emulator]:
    """An emulator whose only accepted access key is :data:`SECRET`."""
    with Emulator(access_key=SECRET) as emu:
        yield emu


def _every_subcommand(journal: Path) -> list[list[str]]:
    p = ["--project", "PR-1"]
    return [
        ["runs", "create", *p, "--name", "Secret run", "--cases", "TC-1"],
        ["runs", "list", *p, "--include-closed"],
        ["runs", "list", *p, "--json"],
        ["runs", "show", *p, "TR-1"],
        ["runs", "show", *p, "TR-1", "--json"],
        ["runs", "clone", *p, "TR-1"],
        ["runs", "close", *p, "TR-2"],
        ["runs", "show", *p, "TR-404"],
        ["journal", "upload", str(journal), *p, "--run", "TR-1"],
        ["journal", "upload", str(journal), "--dry-run", "--run", "TR-1"],
        ["runs", "delete", *p, "TR-1"],
        ["runs", "delete", *p, "TR-1", "--yes"],
        ["runs", "create", *p, "--name", "{bad}"],
    ]


def _journal(tmp_path: Path) -> Path:
    tmp_path.mkdir()
    path = tmp_path / "journal.jsonl"
    record: dict[str, object] = {"type": "result", "key": "00000000000000aa", "project": "PR-1"}
    record["run"] = "TR-1"
    record.update(case="TC-1", configuration=None, status="passed", nodeids=["t.py::test"])
    record["description"] = "ok [pytest-bstm 00000000000000aa]"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return path


def test_access_key_never_printed(
    secret_emulator: Emulator,
    emulator: Emulator,
    bstm: Bstm,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    secret_emulator.reset()
    monkeypatch.delenv("BSTM_PROJECT", raising=False)
    monkeypatch.setenv("BROWSERSTACK_USERNAME", secret_emulator.username)
    monkeypatch.setenv("BROWSERSTACK_ACCESS_KEY", SECRET)
    outputs: list[tuple[int, str, str]] = []
    # right key: every subcommand succeeds (or fails for another reason)
    monkeypatch.setenv("BSTM_URL", secret_emulator.url)
    outputs += [bstm(*args) for args in _every_subcommand(_journal(tmp_path / "a"))]
    assert [code for code, _, _ in outputs] == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 2]
    # wrong key (the shared emulator accepts another one): 401 everywhere
    monkeypatch.setenv("BSTM_URL", emulator.url)
    failures = [bstm(*args) for args in _every_subcommand(_journal(tmp_path / "b"))]
    assert [code for code, _, _ in failures] == [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 2, 1, 2]
    assert sum("HTTP 401" in err for _, _, err in failures) == 10
    outputs += failures
    for _, out, err in outputs:
        assert SECRET not in out
        assert SECRET not in err
        assert "Traceback" not in err


# -- the installed console script ------------------------------------------------------------


def test_console_script_version() -> None:
    script = Path(sys.executable).with_name("bstm")
    done = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout.strip()) == (0, f"bstm {__version__}")


def test_emulator_subcommand_serves_until_terminated() -> None:
    script = Path(sys.executable).with_name("bstm")
    with subprocess.Popen(
        [str(script), "emulator", "--port", "0"], stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    assert line.startswith("pytest-bstm emulator serving on http://127.0.0.1:")


@pytest.mark.parametrize(
    ("command", "prog"),
    [
        (["bstm", "emulator", "--help"], "usage: bstm emulator "),
        (
            [sys.executable, "-m", "pytest_bstm.emulator", "--help"],
            "usage: python -m pytest_bstm.emulator ",
        ),
    ],
)
def test_emulator_help_names_the_command_that_was_run(command: list[str], prog: str) -> None:
    if command[0] == "bstm":
        command[0] = str(Path(sys.executable).with_name("bstm"))
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0
    assert done.stdout.startswith(prog)


def test_error_lines_are_single_lines_with_the_key_masked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_bstm.cli import common as cli_common

    monkeypatch.setenv("BROWSERSTACK_ACCESS_KEY", SECRET)
    cli_common.err(f"error: the service said\n  key {SECRET} is wrong")
    assert capsys.readouterr().err == "bstm: error: the service said key *** is wrong\n"

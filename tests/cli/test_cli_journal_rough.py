"""``bstm journal upload`` and the command's messages where they were rougher than the plugin's:
the project option, a refused result, a dry run, an unknown run, the CLI's own flags, the 401
advice and a URL with a secret in its query."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from bstm_helpers import Bstm, shell, suggested
from test_cli_everyday import plan_journal
from test_cli_journal import new_run, result, stored, write_journal

from pytest_bstm.cli import journal_files
from pytest_bstm.cli.common import UsageError
from pytest_bstm.delivery import driver, journal
from pytest_bstm.delivery.records import journal_record
from pytest_bstm.emulator import Emulator
from pytest_bstm.run.plan import RunPlan
from pytest_bstm.vocabulary import CREDENTIALS_REFUSED

CREATE = {"name": "nightly", "test_cases": ["TC-1", "TC-2"]}


@pytest.fixture
def env(credentials_only: Emulator) -> Emulator:
    return credentials_only


def create_plan(project: str, *, close: bool = True) -> RunPlan:
    pairs = (("TC-1", None), ("TC-2", None))
    return RunPlan(
        project=project, mode="create", token="t0k3n", payload=CREATE, pairs=pairs, close=close
    )


def test_project_option_sends_a_set_aside_journal_to_that_project(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    lost = plan_journal(tmp_path / "j.jsonl", env, create_plan("PR-9"), ["TC-1", "TC-2"])
    assert bstm("journal", "set-aside", str(lost))[0] == 0
    aside = f"{lost}.aside"
    code, out, err = bstm("journal", "upload", aside, "--project", "PR-1")
    assert (code, err) == (0, "")
    assert (
        out == f"uploaded 2 results to TR-1 (2 passed, 0 failed); TR-1 closed; 0 left in {aside}\n"
    )
    assert env.requests[0]["path"] == "/api/v2/projects/PR-1/test-runs"
    assert stored(env) == [("TC-1", None, "passed"), ("TC-2", None, "passed")]
    assert env.run("TR-1")["run_state"] == "closed"
    assert bstm("journal", "upload", aside) == (0, "nothing to upload\n", "")


def test_a_rejected_result_still_closes_the_run_and_is_kept(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    path = tmp_path / "j.jsonl"
    writer = journal.Journal(path)
    writer.plan(env.url, create_plan("PR-1").to_json())
    good, bad = result(1, "TC-1"), result(2, "TC-2", "exploded")  # not a status: 400
    writer.results([journal_record(good), journal_record(bad)])
    writer.close()
    code, out, err = bstm("journal", "upload", str(path))
    assert code == 1
    assert out == (
        f"uploaded 1 result to TR-1 (1 passed, 0 failed); 1 rejected; TR-1 closed; "
        f"0 left in {path}\n"
    )
    assert "rejected TC-2 [tests/test_app.py::test_2]" in err
    assert stored(env) == [("TC-1", None, "passed")]
    assert env.run("TR-1")["run_state"] == "closed"
    state = journal.read(path)
    assert set(state.rejected) == {bad.key}  # kept in the journal, named as rejected
    assert state.closed
    assert bstm("journal", "upload", str(path)) == (0, "nothing to upload\n", "")


def test_a_dry_run_names_an_unknown_project(env: Emulator, bstm: Bstm, tmp_path: Path) -> None:
    lost = plan_journal(tmp_path / "j.jsonl", env, create_plan("PR-9"), ["TC-1"])
    code, out, err = bstm("journal", "upload", str(lost), "--dry-run")
    assert (code, out) == (1, "")
    assert err.startswith("bstm: error: project PR-9 not found (")
    assert "these credentials see PR-1, PR-2" in err
    assert [r["method"] for r in env.requests] == ["GET"] * len(env.requests)
    code, out, _ = bstm("journal", "upload", str(lost), "--dry-run", "--project", "PR-1")
    assert (code, out) == (0, "would upload 1 result to a new run (create) (1 passed, 0 failed)\n")


def test_an_unknown_run_option_is_an_error_naming_the_run(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    new_run(env, ["TC-1"])
    path = write_journal(tmp_path / "j.jsonl", env, [result(1, "TC-1")])
    code, out, err = bstm("journal", "upload", str(path), "--run", "TR-77", "--url", env.url)
    assert code == 1
    assert "uploaded 0 results" not in out
    assert out == f"uploaded nothing to TR-77; 1 left in {path}\n"
    assert err.startswith("bstm: error: run TR-77 was not found in PR-1")
    assert "--bstm-" not in err
    [command] = suggested(err)
    assert "runs create" in command
    done = shell(command, tmp_path)
    assert done.returncode == 0, done.stderr
    assert stored(env, "TR-2") == [("TC-1", None, "passed")]


def test_a_journal_for_an_unknown_run_names_the_cli_option(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    plan = RunPlan(project="PR-1", mode="join", token="t0k3n", run_id="TR-99", close=False)
    path = plan_journal(tmp_path / "j.jsonl", env, plan, ["TC-1"])
    code, _, err = bstm("journal", "upload", str(path))
    assert code == 1
    assert "--bstm-" not in err
    assert "check the journal's run, or send the results to another with --run" in err


def test_a_journal_joining_a_closed_run_names_the_cli_options(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    new_run(env, ["TC-1"])
    assert bstm("runs", "close", "--url", env.url, "--project", "PR-1", "TR-1")[0] == 0
    plan = RunPlan(project="PR-1", mode="join", token="t0k3n", run_id="TR-1", close=False)
    path = plan_journal(tmp_path / "j.jsonl", env, plan, ["TC-1"])
    code, _, err = bstm("journal", "upload", str(path))
    assert code == 1
    assert "TR-1 is closed, so it takes no results: pass an open run with --run, or clone" in err
    assert "--bstm-" not in err
    [command] = suggested(err)
    assert shell(command, tmp_path).returncode == 0
    assert stored(env, "TR-2") == [("TC-1", None, "passed")]


def test_the_401_advice_is_the_plugins(
    env: Emulator, bstm: Bstm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROWSERSTACK_ACCESS_KEY", "wrong-key")
    code, out, err = bstm("runs", "list", "--url", env.url, "--project", "PR-1")
    assert (code, out) == (1, "")
    assert err == f"bstm: error: {CREDENTIALS_REFUSED}\n"
    path = write_journal(tmp_path / "j.jsonl", env, [result(1, "TC-1")])
    code, _, err = bstm("journal", "upload", str(path))
    assert code == 1
    assert CREDENTIALS_REFUSED in err


def test_a_secret_in_the_urls_query_is_masked(
    env: Emulator, bstm: Bstm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BSTM_URL", "https://tm.example.invalid/?token=s3cr3tv4lue")
    outputs = [bstm("runs", "list", "--project", "PR-1")]
    plan = create_plan("PR-1")
    path = tmp_path / "j.jsonl"
    writer = journal.Journal(path)
    writer.plan("https://tm.example.invalid/?token=s3cr3tv4lue", plan.to_json())
    writer.results([journal_record(result(1, "TC-1"))])
    writer.close()
    outputs.append(bstm("journal", "upload", str(path)))
    outputs.append(bstm("journal", "upload", str(path), "--run", "TR-1"))
    for _, out, err in outputs:
        assert "s3cr3tv4lue" not in out + err
    assert any("token=***" in err for _, _, err in outputs)


def held_for(path: Path, seconds: float, *, remove: bool = False) -> None:
    """Another delivery holds the journal at ``path`` for ``seconds`` (and then removes it,
    as a sender process does with a journal it finished)."""
    held = threading.Event()

    def holder() -> None:
        with driver.exclusive(path):
            held.set()
            time.sleep(seconds)
            if remove:
                path.unlink()

    threading.Thread(target=holder, daemon=True).start()
    assert held.wait(10)


def test_an_upload_waits_for_the_sender_process_that_still_holds_the_journal(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    """A CI step runs ``bstm journal upload .bstm/`` right after a killed session whose sender
    process is still delivering: the command waits for it (saying so once), then uploads what
    is left, instead of failing."""
    path = plan_journal(tmp_path / "j.jsonl", env, create_plan("PR-1"), ["TC-1", "TC-2"])
    started = time.monotonic()
    held_for(path, 1.0)
    code, out, err = bstm("journal", "upload", str(path))
    assert code == 0, (out, err)
    assert time.monotonic() - started >= 0.9
    assert err.count("waiting for the delivery that holds") == 1
    assert out.startswith("uploaded 2 results to TR-1")
    assert stored(env) == [("TC-1", None, "passed"), ("TC-2", None, "passed")]


def test_an_upload_gives_up_on_a_holder_that_does_not_end(tmp_path: Path, bstm: Bstm) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text("")
    with (
        driver.exclusive(path),
        pytest.raises(UsageError, match="still being delivered"),
        journal_files.exclusive(path, wait=0.3),
    ):
        pass


def test_an_upload_that_waited_for_a_holder_that_finished_the_journal_has_nothing_to_do(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    """The sender process that held the journal delivered it and removed it: the upload that
    waited says there is nothing to upload, and leaves no empty journal behind."""
    path = plan_journal(tmp_path / "j.jsonl", env, create_plan("PR-1"), ["TC-1", "TC-2"])
    held_for(path, 0.5, remove=True)
    code, out, err = bstm("journal", "upload", str(path))
    assert (code, out) == (0, f"nothing to upload: {path} was delivered by the one that held it\n")
    assert err.count("waiting for the delivery that holds") == 1
    assert not path.exists()
    assert env.requests == []

"""``bstm journal upload``: each unsent journal result reaches its run exactly once."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from bstm_helpers import Bstm, shell, suggested

from pytest_bstm.api import Client, models
from pytest_bstm.delivery import journal
from pytest_bstm.delivery.records import journal_record, to_wire
from pytest_bstm.emulator import Emulator
from pytest_bstm.results.model import Result
from pytest_bstm.run.plan import RunPlan

POST_RESULTS = ("POST", "/api/v2/projects/PR-1/test-runs/TR-1/results")


@pytest.fixture
def env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """Credentials set; no BSTM_URL / BSTM_PROJECT: the journal says where results go."""
    monkeypatch.setenv("BROWSERSTACK_USERNAME", emulator.username)
    monkeypatch.setenv("BROWSERSTACK_ACCESS_KEY", emulator.access_key)
    monkeypatch.delenv("BSTM_URL", raising=False)
    monkeypatch.delenv("BSTM_PROJECT", raising=False)
    return emulator


def client_for(emulator: Emulator) -> Client:
    return Client(base_url=emulator.url, username=emulator.username, access_key=emulator.access_key)


def new_run(emulator: Emulator, cases: list[str]) -> str:
    with client_for(emulator) as client:
        return client.create_run("PR-1", models.NewTestRun(name="R", test_cases=cases)).identifier


def result(n: int, case: str, status: str = "passed", config: int | None = None) -> Result:
    key = f"{n:016x}"
    return Result(
        case_id=case,
        configuration_id=config,
        status=status,
        description=f"test_{n} {status}\n\n[pytest-bstm {key}]",
        nodeids=[f"tests/test_app.py::test_{n}"],
        key=key,
    )


def write_journal(
    path: Path,
    emulator: Emulator,
    results: list[Result],
    *,
    sent: tuple[int, ...] = (),
    run: str | None = "TR-1",
    session: bool = True,
) -> Path:
    """A journal as a session that joined ``run`` leaves it: plan, run, results, some sent."""
    writer = journal.Journal(path)
    if session:
        mode = "join" if run else "create"
        plan = RunPlan(project="PR-1", mode=mode, token="t0k3n", run_id=run, close=False)
        writer.plan(emulator.url, plan.to_json())
        if run:
            writer.run(run, None)
    writer.results([journal_record(r) for r in results])
    writer.sent([results[i].key for i in sent])
    writer.close()
    return path


def stored(emulator: Emulator, run_id: str = "TR-1") -> list[tuple[str, int | None, str]]:
    return sorted(
        (r["test_case_id"], r["configuration_id"], r["status"]) for r in emulator.results(run_id)
    )


def posts(emulator: Emulator) -> list[dict[str, object]]:
    return [r for r in emulator.requests if (r["method"], r["path"]) == POST_RESULTS]


# -- exactly once ----------------------------------------------------------------------------


def test_uploads_exactly_the_unsent_results_once(env: Emulator, bstm: Bstm, tmp_path: Path) -> None:
    new_run(env, ["TC-1", "TC-2", "TC-3", "TC-4"])
    results = [
        result(1, "TC-1"),
        result(2, "TC-2", "failed"),
        result(3, "TC-3"),
        result(4, "TC-4", "blocked"),
    ]
    path = write_journal(tmp_path / "j.jsonl", env, results, sent=(0,))
    code, out, err = bstm("journal", "upload", str(path))
    assert (code, err) == (0, "")
    assert out == f"uploaded 3 results to TR-1 (1 passed, 1 failed, 1 blocked); 0 left in {path}\n"
    assert stored(env) == [
        ("TC-2", None, "failed"),
        ("TC-3", None, "passed"),
        ("TC-4", None, "blocked"),
    ]
    assert journal.read(path).sent == {r.key for r in results}
    before = len(env.requests)
    assert bstm("journal", "upload", str(path)) == (0, "nothing to upload\n", "")
    assert len(env.requests) == before
    assert len(env.results("TR-1")) == 3


def test_adds_missing_pairs_and_keeps_existing_results(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    new_run(env, ["TC-1"])
    with client_for(env) as client:
        client.add_results("PR-1", "TR-1", [models.ResultIn(test_case_id="TC-1", status="failed")])
    results = [result(1, "TC-1"), result(2, "TC-5", config=101), result(3, "TC-6")]
    path = write_journal(tmp_path / "j.jsonl", env, results)
    code, out, _ = bstm("journal", "upload", str(path))
    assert code == 0, out
    pairs = {(c["test_case_id"], c["configuration_id"]) for c in env.run_cases("TR-1")}
    assert pairs == {("TC-1", None), ("TC-5", 101), ("TC-6", None)}
    assert stored(env) == [
        ("TC-1", None, "failed"),
        ("TC-1", None, "passed"),
        ("TC-5", 101, "passed"),
        ("TC-6", None, "passed"),
    ]
    changes = [r for r in env.requests if r["path"].endswith("/update-test-cases")]
    assert all(c["body"]["test_run"]["preserve_existing_results"] is True for c in changes)


def test_batches_hold_at_most_300_results_and_one_per_pair(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    env.add_test_cases("PR-1", [f"TC-{i}" for i in range(61, 371)])
    cases = [f"TC-{i}" for i in range(1, 371)]
    new_run(env, cases)
    results = [result(i, case) for i, case in enumerate(cases)]
    results.insert(10, result(999, "TC-1", "failed"))  # a second TC-1 result (a later session)
    path = write_journal(tmp_path / "j.jsonl", env, results)
    code, out, _ = bstm("journal", "upload", str(path))
    assert code == 0, out
    sizes = [len(p["body"]["results"]) for p in posts(env)]  # type: ignore[index]
    assert sizes == [10, 300, 61]
    assert len(env.results("TR-1")) == 371
    latest = {c["test_case_id"]: c["latest_status"] for c in env.run_cases("TR-1")}
    assert latest["TC-1"] == "failed"


# -- where results go ------------------------------------------------------------------------


def test_run_option_overrides_the_journal_run(env: Emulator, bstm: Bstm, tmp_path: Path) -> None:
    new_run(env, ["TC-1"])
    new_run(env, ["TC-1"])
    path = write_journal(tmp_path / "j.jsonl", env, [result(1, "TC-1"), result(2, "TC-2")])
    code, out, _ = bstm("journal", "upload", str(path), "--run", "TR-2", "--url", env.url)
    assert code == 0
    assert out.startswith("uploaded 2 results to TR-2 (2 passed, 0 failed); 0 left")
    assert env.results("TR-1") == []
    assert stored(env, "TR-2") == [("TC-1", None, "passed"), ("TC-2", None, "passed")]


def test_journal_without_a_run_asks_for_run_option(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    path = write_journal(tmp_path / "j.jsonl", env, [result(1, "TC-1")], run=None, session=False)
    code, out, err = bstm("journal", "upload", str(path), "--project", "PR-1", "--url", env.url)
    assert (code, out) == (2, "")
    [command] = suggested(err)
    done = shell(command, tmp_path)
    assert done.returncode == 0, done.stderr
    assert stored(env) == [("TC-1", None, "passed")]


def test_closed_run_suggests_a_new_run(env: Emulator, bstm: Bstm, tmp_path: Path) -> None:
    new_run(env, ["TC-1"])
    with client_for(env) as client:
        client.close_run("PR-1", "TR-1")
    path = write_journal(tmp_path / "j.jsonl", env, [result(1, "TC-1"), result(2, "TC-2")])
    code, out, err = bstm("journal", "upload", str(path))
    assert code == 1
    assert "run TR-1 is closed" in err
    assert out == f"uploaded nothing to TR-1; 2 left in {path}\n"
    assert journal.read(path).sent == set()
    [command] = suggested(err)
    done = shell(command, tmp_path)  # works as printed: a new run gets both results
    assert done.returncode == 0, done.stderr
    assert stored(env, "TR-2") == [("TC-1", None, "passed"), ("TC-2", None, "passed")]
    assert env.run("TR-2")["name"].startswith("pytest 20")


def test_run_closed_during_upload_stops_with_the_same_advice(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    new_run(env, ["TC-1"])
    env.faults.fail(status=404, times=1, path_contains="/results")
    path = write_journal(tmp_path / "j.jsonl", env, [result(1, "TC-1")])
    code, _, err = bstm("journal", "upload", str(path))
    assert code == 1
    assert len(suggested(err)) == 1
    assert err.count("\n") == 1


def test_dry_run_sends_nothing(env: Emulator, bstm: Bstm, tmp_path: Path) -> None:
    path = write_journal(
        tmp_path / "j.jsonl", env, [result(1, "TC-1"), result(2, "TC-2", "failed")]
    )
    code, out, _ = bstm("journal", "upload", str(path), "--dry-run")
    assert (code, out) == (0, "would upload 2 results to TR-1 (1 passed, 1 failed)\n")
    assert env.requests == []
    assert journal.read(path).sent == set()


def test_missing_journal_is_a_usage_error(env: Emulator, bstm: Bstm, tmp_path: Path) -> None:
    code, _, err = bstm("journal", "upload", str(tmp_path / "nope.jsonl"))
    assert code == 2
    assert err.startswith("bstm: error: cannot read journal")


@pytest.mark.parametrize("text", ["[pytest]\nbstm_project = PR-1\n", "", '{"a": 1}\n'])
def test_a_file_that_is_not_a_journal_is_a_usage_error(
    env: Emulator, bstm: Bstm, tmp_path: Path, text: str
) -> None:
    path = tmp_path / "pytest.ini"
    path.write_text(text, encoding="utf-8")
    code, out, err = bstm("journal", "upload", str(path))
    assert (code, out) == (2, "")
    assert err == f"bstm: error: {path} is not a pytest-bstm journal (no plan, no results)\n"
    assert env.requests == []


# -- rejected results and lost answers -------------------------------------------------------


def test_a_400_batch_is_split_to_isolate_the_offender(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    new_run(env, [f"TC-{i}" for i in range(1, 9)])
    results = [result(i, f"TC-{i}") for i in range(1, 9)]
    results[4] = result(5, "TC-5", "exploded")  # not a status the service knows: 400
    path = write_journal(tmp_path / "j.jsonl", env, results)
    code, out, err = bstm("journal", "upload", str(path))
    assert code == 1
    assert out == f"uploaded 7 results to TR-1 (7 passed, 0 failed); 1 rejected; 0 left in {path}\n"
    assert "rejected TC-5 [tests/test_app.py::test_5]" in err
    assert "exploded" in err
    assert [case for case, _, _ in stored(env)] == [f"TC-{i}" for i in (1, 2, 3, 4, 6, 7, 8)]
    state = journal.read(path)
    assert set(state.rejected) == {results[4].key}
    assert bstm("journal", "upload", str(path)) == (0, "nothing to upload\n", "")


def test_unknown_cases_are_rejected_not_sent(env: Emulator, bstm: Bstm, tmp_path: Path) -> None:
    new_run(env, ["TC-1"])
    results = [result(1, "TC-1"), result(2, "TC-9999"), result(3, "TC-2", config=999)]
    path = write_journal(tmp_path / "j.jsonl", env, results)
    code, out, err = bstm("journal", "upload", str(path))
    assert code == 1
    assert "1 passed" in out
    assert "test case TC-9999 is not in project PR-1" in err
    assert "configuration 999 does not exist" in err
    assert stored(env) == [("TC-1", None, "passed")]
    assert set(journal.read(path).rejected) == {results[1].key, results[2].key}


def test_lost_answer_is_reconciled_without_duplicates(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    new_run(env, ["TC-1", "TC-2", "TC-3"])
    results = [result(1, "TC-1"), result(2, "TC-2"), result(3, "TC-3", "failed")]
    path = write_journal(tmp_path / "j.jsonl", env, results)
    env.faults.drop(times=1, after_processing=True, methods="POST", path_contains="/results")
    code, out, err = bstm("journal", "upload", str(path))
    assert (code, err) == (0, "")
    assert out.startswith("uploaded 3 results to TR-1 (2 passed, 1 failed); 0 left")
    assert stored(env) == [
        ("TC-1", None, "passed"),
        ("TC-2", None, "passed"),
        ("TC-3", None, "failed"),
    ]
    assert len(posts(env)) == 1
    assert bstm("journal", "upload", str(path))[1] == "nothing to upload\n"


def test_lost_answer_before_processing_is_sent_again(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    new_run(env, ["TC-1", "TC-2"])
    path = write_journal(tmp_path / "j.jsonl", env, [result(1, "TC-1"), result(2, "TC-2")])
    env.faults.drop(times=1, after_processing=False, methods=["POST"], path_contains="/results")
    code, _, _ = bstm("journal", "upload", str(path))
    assert code == 0
    assert stored(env) == [("TC-1", None, "passed"), ("TC-2", None, "passed")]
    assert len(posts(env)) == 2


def test_unmarked_result_is_not_resent_after_a_lost_answer(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    new_run(env, ["TC-1"])
    plain = result(1, "TC-1")
    plain.description = "edited by a hook, no marker"
    path = write_journal(tmp_path / "j.jsonl", env, [plain])
    env.faults.drop(times=1, after_processing=True, methods="POST", path_contains="/results")
    code, out, err = bstm("journal", "upload", str(path))
    assert code == 1
    assert "may have reached TR-1" in err
    assert "1 left" in out
    assert len(env.results("TR-1")) == 1


def test_wrong_credentials_leave_everything_in_the_journal(
    env: Emulator, bstm: Bstm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_run(env, ["TC-1"])
    monkeypatch.setenv("BROWSERSTACK_ACCESS_KEY", "wrong-key")
    path = write_journal(tmp_path / "j.jsonl", env, [result(1, "TC-1")])
    code, out, err = bstm("journal", "upload", str(path))
    assert code == 1
    assert "HTTP 401" in err
    assert out.endswith(f"1 left in {path}\n")
    record = json.loads(path.read_text(encoding="utf-8").splitlines()[-1])
    assert record["type"] == "result"


def test_uploads_what_a_plugin_session_could_not_send(
    env: Emulator, bstm: Bstm, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_one(): pass

        @pytest.mark.tc("TC-2")
        def test_two(): assert False
        """
    )
    env.faults.fail_rate(status=503, probability=1.0, methods=["POST"], path_contains="/results")
    path = pytester.path / "journal.jsonl"
    inner = pytester.runpytest_inprocess(
        "-p", "pytest_bstm.plugin", "-p", "no:cacheprovider", "--bstm-url", env.url,
        "--bstm-project", "PR-1", "--bstm-journal", str(path), "--bstm-drain-timeout", "1",
        "--bstm-no-close",
    )  # fmt: skip
    inner.assert_outcomes(passed=1, failed=1)
    assert env.results("TR-1") == []
    for thread in threading.enumerate():  # the inner session's sender gives up on its own
        if thread.name == "pytest-bstm-upload":
            thread.join(timeout=30)
    env.faults.clear()
    code, out, err = bstm("journal", "upload", str(path))
    assert (code, err) == (0, "")
    assert out == f"uploaded 2 results to TR-1 (1 passed, 1 failed); 0 left in {path}\n"
    assert stored(env) == [("TC-1", None, "passed"), ("TC-2", None, "failed")]
    assert bstm("journal", "upload", str(path))[1] == "nothing to upload\n"


def test_a_session_that_never_reached_the_service_is_finished_by_the_upload_alone(
    env: Emulator, bstm: Bstm, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service is down for the whole session: the journal's plan lets the upload create
    the run (name, cases, assignee), upload every result once and close it."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1", assignee="qa@example.com")
        def test_one(): pass

        @pytest.mark.tc("TC-2")
        def test_two(): assert False
        """
    )
    env.faults.down(True)
    path = pytester.path / "journal.jsonl"
    inner = pytester.runpytest_inprocess(
        "-p", "pytest_bstm.plugin", "-p", "no:cacheprovider", "--bstm-url", env.url,
        "--bstm-project", "PR-1", "--bstm-journal", str(path), "--bstm-drain-timeout", "1",
        "--bstm-run-name", "nightly",
    )  # fmt: skip
    inner.assert_outcomes(passed=1, failed=1)
    inner.stdout.fnmatch_lines(["*could not create the run*", "*bstm journal upload*"])
    for thread in threading.enumerate():
        if thread.name == "pytest-bstm-upload":
            thread.join(timeout=30)
    env.faults.down(False)
    assert env.runs("PR-1") == []
    code, out, err = bstm("journal", "upload", str(path))
    assert (code, err) == (0, "")
    assert out == (
        f"uploaded 2 results to TR-1 (1 passed, 1 failed); TR-1 closed; 0 left in {path}\n"
    )
    (run,) = env.runs("PR-1")
    assert (run["name"], run["active_state"]) == ("nightly", "closed")
    assert stored(env) == [("TC-1", None, "passed"), ("TC-2", None, "failed")]
    assert {c["test_case_id"]: c["assignee"] for c in env.run_cases("TR-1")}["TC-1"] == (
        "qa@example.com"
    )
    assert bstm("journal", "upload", str(path))[1:] == ("nothing to upload\n", "")
    assert len(env.runs("PR-1")) == 1


def test_a_lost_create_is_found_by_the_session_token_not_repeated(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    """The session's create reached the service but its answer did not: the upload finds the
    run by the token in its description instead of creating a second one."""
    plan = RunPlan(
        project="PR-1",
        mode="create",
        token="feedc0ffee12",
        payload={"name": "lost", "description": "Reported by pytest-bstm (session feedc0ffee12)",
                 "test_cases": ["TC-1"]},
        pairs=(("TC-1", None),),
    )  # fmt: skip
    with client_for(env) as client:
        client.create_run("PR-1", models.NewTestRun(**plan.payload))
    path = tmp_path / "j.jsonl"
    writer = journal.Journal(path)
    writer.plan(env.url, plan.to_json())
    writer.results([journal_record(result(1, "TC-1"))])
    writer.close()
    code, _, err = bstm("journal", "upload", str(path))
    assert (code, err) == (0, "")
    assert [r["identifier"] for r in env.runs("PR-1")] == ["TR-1"]
    assert stored(env) == [("TC-1", None, "passed")]
    assert env.run("TR-1")["active_state"] == "closed"


def test_results_a_killed_session_sent_are_not_sent_again(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    """``kill -9`` while a results post was in flight: the service stored them, the journal
    never heard. The upload reads the run's results back before posting anything."""
    new_run(env, ["TC-1", "TC-2"])
    results = [result(1, "TC-1"), result(2, "TC-2", "failed")]
    with client_for(env) as client:
        client.add_results("PR-1", "TR-1", [to_wire(results[0])])
    path = write_journal(tmp_path / "j.jsonl", env, results)
    code, out, err = bstm("journal", "upload", str(path))
    assert (code, err) == (0, "")
    assert stored(env) == [("TC-1", None, "passed"), ("TC-2", None, "failed")]
    assert len(posts(env)) == 2  # the one above, and TC-2's
    assert out.startswith("uploaded 2 results to TR-1 (1 passed, 1 failed)")


def test_a_late_write_reaches_the_journal_the_session_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sender thread outliving the session writes after pytest restored another working
    directory: a relative --bstm-journal still means the session's file."""
    (tmp_path / "session").mkdir()
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "session")
    writer = journal.Journal(Path("j.jsonl"))
    writer.sent(["a" * 16])
    writer.close()
    monkeypatch.chdir(tmp_path / "elsewhere")
    writer.sent(["b" * 16])  # late
    assert journal.read(tmp_path / "session" / "j.jsonl").sent == {"a" * 16, "b" * 16}
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_two_uploads_of_one_journal_at_once_make_one_run(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    import fcntl

    path = write_journal(tmp_path / "j.jsonl", env, [result(1, "TC-1")])
    with path.open("a", encoding="utf-8") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # an upload in progress
        code, out, err = bstm("journal", "upload", str(path))
    assert (code, out) == (2, "")
    assert "another `bstm journal upload`" in err
    assert env.runs("PR-1") == []


def test_a_torn_last_line_does_not_swallow_what_the_upload_writes(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    """``kill -9`` mid-line leaves a torn last line: the upload's first record (the run it
    made) starts on a line of its own, so the journal still knows its run."""
    results = [result(1, "TC-1"), result(2, "TC-2")]
    plan = RunPlan(
        project="PR-1",
        mode="create",
        token="t0rn",
        payload={"name": "torn", "test_cases": ["TC-1", "TC-2"]},
        pairs=(("TC-1", None), ("TC-2", None)),
    )
    path = tmp_path / "j.jsonl"
    writer = journal.Journal(path)
    writer.plan(env.url, plan.to_json())
    writer.results([journal_record(r) for r in results])
    writer.close()
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:-40], encoding="utf-8")  # TC-2's line, torn
    code, _, err = bstm("journal", "upload", str(path))
    assert code == 0
    assert err == f"bstm: warning: {path}: skipped line 3: not JSON (torn by a kill, or edited)\n"
    state = journal.read(path)
    assert state.run == "TR-1"
    assert state.sent == {results[0].key}
    assert stored(env, "TR-1") == [("TC-1", None, "passed")]


def test_a_folder_upload_skips_a_file_that_is_not_a_journal(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    """One stray or empty ``.jsonl`` in ``.bstm/`` is named, and every other journal of the
    folder is still uploaded; each "nothing to upload" names its journal."""
    new_run(env, ["TC-1"])
    folder = tmp_path / ".bstm"
    folder.mkdir()
    (folder / "a.jsonl").write_text("", encoding="utf-8")
    path = write_journal(folder / "b.jsonl", env, [result(1, "TC-1")])
    code, out, err = bstm("journal", "upload", str(folder))
    assert code == 2
    assert (
        err
        == f"bstm: error: {folder / 'a.jsonl'} is not a pytest-bstm journal (no plan, no results)\n"
    )
    assert out.startswith("uploaded 1 result")
    assert stored(env) == [("TC-1", None, "passed")]
    (folder / "a.jsonl").unlink()
    write_journal(folder / "c.jsonl", env, [result(2, "TC-1")], sent=(0,))
    assert bstm("journal", "upload", str(folder))[:2] == (
        0,
        f"nothing to upload from {path}\nnothing to upload from {folder / 'c.jsonl'}\n",
    )


def test_a_line_edited_into_nonsense_is_named_not_silently_skipped(
    env: Emulator, bstm: Bstm, tmp_path: Path
) -> None:
    new_run(env, ["TC-1", "TC-2"])
    path = write_journal(tmp_path / "j.jsonl", env, [result(1, "TC-1"), result(2, "TC-2")])
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2][:30] + "\n"  # TC-1's result, cut by a hand edit
    path.write_text("".join(lines), encoding="utf-8")
    code, out, err = bstm("journal", "upload", str(path))
    assert code == 0
    assert err == f"bstm: warning: {path}: skipped line 3: not JSON (torn by a kill, or edited)\n"
    assert out.startswith("uploaded 1 result to TR-1")
    assert stored(env) == [("TC-2", None, "passed")]

"""Emulator: auth, account data endpoints, request log, reset, seeds and the CLI."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from bstm_helpers import Bstm

from pytest_bstm.emulator import Emulator, serve


def test_every_endpoint_needs_basic_auth(emulator: Emulator) -> None:
    base = emulator.url + "/api/v2"
    for auth in (None, ("bstm-emulator", "wrong"), ("someone", emulator.access_key)):
        answer = requests.get(base + "/projects", auth=auth, timeout=5)
        assert answer.status_code == 401
        body = answer.json()
        assert (body["success"], body["error"]) == (False, "unauthorized")
        assert body["message"]
    post = requests.post(base + "/projects/PR-1/test-runs", json={"test_run": {}}, timeout=5)
    assert post.status_code == 401
    garbage = requests.get(base + "/projects", headers={"Authorization": "Basic !!"}, timeout=5)
    assert garbage.status_code == 401
    assert emulator.runs() == []


def test_projects_and_configurations(emulator_api: requests.Session) -> None:
    projects = emulator_api.get("/projects").json()
    assert projects["success"] is True
    assert projects["projects"][0] == {
        "identifier": "PR-1",
        "id": 1,
        "name": "Demo project",
        "urls": {"self": "https://test-management.browserstack.com/projects/1"},
    }
    assert [p["identifier"] for p in projects["projects"]] == ["PR-1", "PR-2"]
    configs = emulator_api.get("/configurations", params={"page_size": 300}).json()
    assert [c["id"] for c in configs["configurations"]] == [101, 102, 103]
    assert {"name", "os", "os_version", "device", "browser", "browser_version", "is_system"} <= set(
        configs["configurations"][0]
    )
    assert configs["info"]["page_size"] == 300


def test_project_test_cases_and_filters(emulator_api: requests.Session) -> None:
    url = "/projects/PR-1/test-cases"
    first = emulator_api.get(url).json()
    assert first["info"]["count"] == 60
    item = first["test_cases"][0]
    for key in (
        "identifier",
        "title",
        "status",
        "priority",
        "case_type",
        "folder_id",
        "tags",
        "owner",
    ):
        assert key in item
    assert {"automation_status", "steps"} <= set(item)

    def ids(**query: str) -> list[str]:
        answer = emulator_api.get(url, params={"page_size": "300", **query})
        assert answer.status_code == 200, answer.text
        return [c["identifier"] for c in answer.json()["test_cases"]]

    assert ids(test_case_id="TC-3,TC-1,TC-404") == ["TC-1", "TC-3"]
    assert len(ids(folder_id="3")) == 20
    assert ids(priority="critical", folder_id="1") == ["TC-3", "TC-7", "TC-11", "TC-15", "TC-19"]
    assert len(ids(case_type="Smoke & Sanity")) == 15
    assert ids(created_before="2024-01-01") == [f"TC-{n}" for n in range(1, 11)]
    assert ids(created_after="06-01-2024") == [f"TC-{n}" for n in range(51, 61)]
    assert emulator_api.get(url, params={"created_after": "June 1"}).status_code == 400
    assert emulator_api.get("/projects/PR-404/test-cases").status_code == 404
    other = emulator_api.get("/projects/PR-2/test-cases").json()["test_cases"]
    assert [c["identifier"] for c in other] == [f"TC-{n}" for n in range(1001, 1006)]


def test_test_plans(emulator_api: requests.Session) -> None:
    plans = emulator_api.get("/projects/PR-1/test-plans").json()["test_plans"]
    assert plans[0]["identifier"] == "TP-1"
    assert plans[0]["sub_test_plans"][0]["identifier"] == "STP-1"
    assert emulator_api.get("/projects/PR-2/test-plans").json()["test_plans"] == []


def test_method_not_allowed(emulator_api: requests.Session) -> None:
    assert emulator_api.delete("/projects").status_code == 405


def test_request_log_records_calls_without_credentials(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    emulator_api.post("/projects/PR-1/test-runs", json={"test_run": {"name": "Logged"}})
    emulator_api.get("/projects/PR-1/test-runs", params={"include_closed": "true"})
    log = emulator.requests
    assert log == [
        {
            "method": "POST",
            "path": "/api/v2/projects/PR-1/test-runs",
            "query": {},
            "status": 200,
            "body": {"test_run": {"name": "Logged"}},
        },
        {
            "method": "GET",
            "path": "/api/v2/projects/PR-1/test-runs",
            "query": {"include_closed": "true"},
            "status": 200,
            "body": None,
        },
    ]
    assert emulator.access_key not in json.dumps(log)


def test_reset_restores_seed(emulator: Emulator, emulator_api: requests.Session) -> None:
    emulator.add_project("PR-7", name="Extra", numeric_id=7)
    emulator.add_test_cases("PR-7", ["TC-1", "TC-77"])
    emulator.add_configurations([{"id": 104, "name": "Safari"}])
    body = {"test_run": {"test_cases": ["TC-77"], "configurations": [104]}}
    created = emulator_api.post("/projects/PR-7/test-runs", json=body).json()["testrun"]
    assert created["urls"]["self"].endswith("/projects/7/test-runs/TR-1")
    emulator.faults.fail(500, times=5)
    emulator.reset()
    assert emulator.runs() == []
    assert emulator.requests == []
    assert emulator_api.get("/projects/PR-7/test-runs").status_code == 404
    again = emulator_api.post("/projects/PR-1/test-runs", json={"test_run": {}}).json()
    assert again["testrun"]["identifier"] == "TR-1"


def test_add_project_keeps_existing_cases(
    emulator: Emulator, emulator_api: requests.Session
) -> None:
    emulator.add_project("PR-2", name="Other", numeric_id=2)
    projects = emulator_api.get("/projects").json()["projects"]
    assert projects[1] == {
        "identifier": "PR-2",
        "id": 2,
        "name": "Other",
        "urls": {"self": "https://test-management.browserstack.com/projects/2"},
    }
    assert emulator_api.get("/projects/PR-2/test-cases").json()["info"]["count"] == 5


def test_seed_from_json_file(tmp_path: Path) -> None:
    seed = {
        "custom_statuses": ["Flaky", "needs_review"],
        "configurations": [{"id": 7, "name": "Edge"}],
        "projects": [
            {
                "identifier": "PR-42",
                "id": 42,
                "name": "Seeded",
                "test_cases": [
                    "TC-1",
                    {"identifier": "TC-2", "title": "Login", "priority": "High"},
                ],
            }
        ],
    }
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed), encoding="utf-8")
    with Emulator(seed=str(path)) as emu, requests.Session() as api:
        api.auth = (emu.username, emu.access_key)
        base = emu.url + "/api/v2/projects"
        assert [p["identifier"] for p in api.get(base).json()["projects"]] == ["PR-42"]
        cases = api.get(base + "/PR-42/test-cases").json()["test_cases"]
        assert [(c["identifier"], c["title"], c["priority"]) for c in cases][1] == (
            "TC-2",
            "Login",
            "High",
        )
        body = {"test_run": {"test_cases": ["TC-1"], "configurations": [7]}}
        api.post(base + "/PR-42/test-runs", json=body)
        result = {
            "test_case_id": "TC-1",
            "configuration_id": 7,
            "test_result": {"status": "needs_review"},
        }
        assert api.post(base + "/PR-42/test-runs/TR-1/results", json=result).status_code == 200
        progress = api.get(base + "/PR-42/test-runs/TR-1").json()["test_run"]["overall_progress"]
        assert progress["needs_review"] == 1
        assert "flaky" in progress
        emu.reset()
        assert api.get(base + "/PR-42/test-runs").json()["test_runs"] == []


def test_invalid_seed_is_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="projects"):
        Emulator(seed={"nothing": []})
    with pytest.raises(ValueError, match="invalid emulator seed"):
        Emulator(seed={"projects": [{"name": "no identifier"}]})


@contextlib.contextmanager
def served(*args: str, **env: str) -> Iterator[str]:
    """``python -m pytest_bstm.emulator --port 0 ARGS`` with only ``env`` of the BrowserStack
    variables set; yields its first line of output."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("BROWSERSTACK_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_bstm.emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**environ, **env},
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline()
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
        if process.stdout is not None:
            process.stdout.close()
        if process.stderr is not None:
            process.stderr.close()


def test_cli_serves_until_terminated() -> None:
    with served("--rate-limit", "2/30", "--variant", "run_key=top") as line:
        assert line.startswith("pytest-bstm emulator serving on http://127.0.0.1:")
        assert line.rstrip().endswith("(user: bstm-emulator)")
        url = line.split()[4] + "/api/v2/projects"
        auth = ("bstm-emulator", "bstm-emulator-key")
        created = requests.post(
            url + "/PR-1/test-runs", json={"test_run": {}}, auth=auth, timeout=5
        )
        assert created.json()["identifier"] == "TR-1"  # the run at the top level
        assert requests.get(url, auth=auth, timeout=5).status_code == 200
        assert requests.get(url, auth=auth, timeout=5).status_code == 429  # 2 per 30 s


def test_cli_takes_credentials_from_the_environment() -> None:
    secret = "s3cret-emulator-key-0123"
    with served(BROWSERSTACK_USERNAME="alice", BROWSERSTACK_ACCESS_KEY=secret) as line:
        assert line.rstrip().endswith("(user: alice)")
        assert secret not in line
        url = line.split()[4] + "/api/v2/projects"
        assert requests.get(url, auth=("alice", secret), timeout=5).status_code == 200
        default = ("bstm-emulator", "bstm-emulator-key")
        assert requests.get(url, auth=default, timeout=5).status_code == 401


@pytest.mark.parametrize(
    ("options", "usage"),
    [
        ({"prog": "bstm emulator"}, "usage: bstm emulator "),
        ({}, "usage: python -m pytest_bstm.emulator "),
    ],
)
def test_help_names_the_command_and_the_built_in_account(
    capsys: pytest.CaptureFixture[str], options: dict[str, str], usage: str
) -> None:
    with pytest.raises(SystemExit) as info:
        serve(["--help"], **options)
    assert info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert text.startswith(usage)
    for fact in ("PR-1 (TC-1..TC-60", "TP-1", "STP-1", "PR-2 (TC-1001..TC-1005)", "'flaky'"):
        assert fact in text
    assert "BROWSERSTACK_USERNAME" in text


def test_bstm_emulator_help_names_bstm(bstm: Bstm) -> None:
    code, out, _ = bstm("emulator", "--help")
    assert code == 0
    assert out.startswith("usage: bstm emulator ")


def test_cli_refuses_bad_switches(capsys: pytest.CaptureFixture[str]) -> None:
    assert serve(["--port", "0", "--variant", "run_key=data"]) == 1
    assert "cannot start: variant run_key" in capsys.readouterr().err
    for bad in (["--rate-limit", "many"], ["--variant", "run_key"]):
        with pytest.raises(SystemExit) as info:
            serve(["--port", "0", *bad])
        assert info.value.code == 2


def test_serve_reports_a_bad_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.json"
    assert serve(["--port", "0", "--seed", str(missing)]) == 1
    assert "cannot start" in capsys.readouterr().err


@pytest.mark.parametrize("any_case", [True, False])
def test_the_any_case_seed_switch_makes_every_well_formed_case_exist(any_case: bool) -> None:
    seed = {"any_case": any_case, "projects": [{"identifier": "PR-1", "id": 1, "name": "P"}]}
    with Emulator(seed=seed) as emu, requests.Session() as api:
        api.auth = (emu.username, emu.access_key)
        base = emu.url + "/api/v2/projects/PR-1"
        listed = api.get(base + "/test-cases", params={"test_case_id": "TC-77,TC-x"}, timeout=10)
        assert [c["identifier"] for c in listed.json()["test_cases"]] == (
            ["TC-77"] if any_case else []
        )
        body = {"test_run": {"name": "Any", "test_cases": ["TC-78"]}}
        created = api.post(base + "/test-runs", json=body, timeout=10)
        assert created.status_code == (200 if any_case else 400)
        if any_case:
            run_id = created.json()["testrun"]["identifier"]
            post = {"test_case_id": "TC-78", "test_result": {"status": "passed"}}
            api.post(f"{base}/test-runs/{run_id}/results", json=post, timeout=10)
            assert [r["test_case_id"] for r in emu.results(run_id)] == ["TC-78"]
        assert "TC-x" not in {c["identifier"] for c in emu.test_cases("PR-1")}

"""Client run endpoints against the emulator: list, create, clone, read, update, close, delete."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from pytest_bstm.api import Client, RetryPolicy, errors, models
from pytest_bstm.emulator import Emulator

FAST = RetryPolicy(attempts=3, backoff=0.01, backoff_max=0.02, deadline=5.0)
TODAY = dt.datetime.now(dt.timezone.utc).date()


@pytest.fixture
def client(emulator: Emulator) -> Iterator[Client]:
    with Client(
        base_url=emulator.url,
        username=emulator.username,
        access_key=emulator.access_key,
        timeout=5.0,
        retry=FAST,
    ) as api:
        yield api


def new_run(name: str = "run", **fields: object) -> models.NewTestRun:
    return models.NewTestRun.model_validate({"name": name, "test_cases": ["TC-1"], **fields})


def last_query(emu: Emulator) -> dict[str, str]:
    return dict(emu.requests[-1]["query"])


# ---------------------------------------------------------------- list


def test_list_runs_filters(emulator: Emulator, client: Client) -> None:
    a = client.create_run("PR-1", new_run("a", assignee="ann@example.com"))
    b = client.create_run("PR-1", new_run("b", assignee="bob@example.com", test_plan_id="TP-1"))
    c = client.create_run("PR-1", new_run("c", run_state="done"))
    client.close_run("PR-1", c.identifier)

    def ids(**filters: object) -> list[str]:
        return [run.identifier for run in client.list_runs("PR-1", **filters)]  # type: ignore[arg-type]

    assert ids() == [a.identifier, b.identifier]
    assert ids(include_closed=True) == [a.identifier, b.identifier, c.identifier]
    assert ids(assignee="ann@example.com") == [a.identifier]
    assert ids(assignee=["ann@example.com", "bob@example.com"]) == [a.identifier, b.identifier]
    assert last_query(emulator)["assignee"] == "ann@example.com,bob@example.com"
    assert ids(test_plan_id="TP-1") == [b.identifier]
    assert ids(run_state=["new_run", "closed"], include_closed=True) == [
        a.identifier,
        b.identifier,
        c.identifier,
    ]
    assert last_query(emulator)["run_state"] == "new_run,closed"
    assert ids(created_after=TODAY) == [a.identifier, b.identifier]
    assert ids(created_before=TODAY - dt.timedelta(days=1)) == []
    assert ids(created_after=TODAY.strftime("%d-%m-%Y")) == [a.identifier, b.identifier]
    assert last_query(emulator)["created_after"] == TODAY.isoformat()
    assert ids(closed_after=TODAY.isoformat(), include_closed=True) == [c.identifier]
    assert ids(closed_before=TODAY - dt.timedelta(days=1), include_closed=True) == []


def test_list_runs_paginates(emulator: Emulator, client: Client) -> None:
    for n in range(33):
        client.create_run("PR-1", new_run(f"run {n}"))
    runs = list(client.list_runs("PR-1"))
    assert len(runs) == 33
    pages = [r["query"] for r in emulator.requests if r["method"] == "GET"]
    assert pages == [{"p": "1", "page_size": "30"}, {"p": "2", "page_size": "30"}]
    assert len(list(client.list_runs("PR-1", page_size=300))) == 33


@pytest.mark.parametrize(
    "filters",
    [
        {"created_after": "2024/01/31"},
        {"closed_before": "31-31-2024"},
        {"created_before": 20240101},
        {"test_plan_id": "TP-1,TP-2"},
        {"test_plan_id": ["TP-1"]},
        {"assignee": []},
        {"run_state": ["new_run", ""]},
        {"include_closed": "yes"},
        {"page_size": 50},
    ],
)
def test_list_runs_validates_locally(
    emulator: Emulator, client: Client, filters: dict[str, object]
) -> None:
    with pytest.raises(errors.InvalidRequestError):
        client.list_runs("PR-1", **filters)  # type: ignore[arg-type]
    assert emulator.requests == []


def test_list_runs_unknown_project(client: Client) -> None:
    with pytest.raises(errors.NotFoundError, match="check the project ID"):
        list(client.list_runs("PR-999"))


# ---------------------------------------------------------------- create


def test_create_run(emulator: Emulator, client: Client) -> None:
    run = client.create_run(
        "PR-1",
        models.NewTestRun(
            name="nightly",
            description="all green",
            assignee="qa@example.com",
            tags=["nightly"],
            issues=["JIRA-1"],
            configurations=[101, 102],
            test_cases=["TC-1", "TC-2"],
            test_plan_id="TP-1",
        ),
    )
    assert run.identifier == "TR-1"
    assert run.name == "nightly"
    assert run.active_state == "active"
    assert run.tags == ["nightly"]
    assert run.test_cases_count == 4
    assert run.web_url is not None
    assert run.web_url.endswith("/projects/1/test-runs/TR-1")
    stored = emulator.run("TR-1")
    assert stored["test_plan_id"] == "TP-1"
    assert stored["assignee"] == "qa@example.com"
    cases = {(c["test_case_id"], c["configuration_id"]) for c in emulator.run_cases("TR-1")}
    assert cases == {("TC-1", 101), ("TC-1", 102), ("TC-2", 101), ("TC-2", 102)}
    sent = emulator.requests[-1]["body"]
    assert sent == {
        "test_run": {
            "name": "nightly",
            "description": "all green",
            "assignee": "qa@example.com",
            "tags": ["nightly"],
            "issues": ["JIRA-1"],
            "configurations": [101, 102],
            "test_cases": ["TC-1", "TC-2"],
            "test_plan_id": "TP-1",
        }
    }


def test_create_run_with_configuration_map_and_sub_plan(emulator: Emulator, client: Client) -> None:
    run = client.create_run(
        "PR-1",
        models.NewTestRun(
            name="mapped",
            sub_test_plan_id="STP-1",
            configuration_map=[
                models.ConfigurationMapEntry(
                    test_case_id=["TC-3", "TC-4"], configuration_ids=[101]
                ),
                models.ConfigurationMapEntry(test_case_id="TC-5", configuration_ids=[102, 103]),
            ],
        ),
    )
    cases = {(c["test_case_id"], c["configuration_id"]) for c in emulator.run_cases(run.identifier)}
    assert cases == {("TC-3", 101), ("TC-4", 101), ("TC-5", 102), ("TC-5", 103)}
    assert emulator.run(run.identifier)["sub_test_plan_id"] == "STP-1"


def test_new_run_rejects_plan_conflicts() -> None:
    with pytest.raises(ValueError, match="mutually exclusive"):
        models.NewTestRun(name="x", test_plan_id="TP-1", sub_test_plan_id="STP-1")
    with pytest.raises(ValueError, match="test plan ID"):
        models.NewTestRun(name="x", sub_test_plan_id="TP-1")
    with pytest.raises(ValueError, match="extra"):
        models.NewTestRun.model_validate({"name": "x", "test_case": ["TC-1"]})


def test_create_run_rejected_by_service(emulator: Emulator, client: Client) -> None:
    with pytest.raises(errors.BadRequestError) as info:
        client.create_run("PR-1", new_run(test_cases=["TC-99999"]))
    assert info.value.status == 400
    assert "TC-99999" in info.value.message
    with pytest.raises(errors.NotFoundError):
        client.create_run("PR-404", new_run())
    assert emulator.runs(project_id="PR-1") == []


# ---------------------------------------------------------------- clone


def test_clone_all(emulator: Emulator, client: Client) -> None:
    source = client.create_run("PR-1", new_run("source", test_cases=["TC-1", "TC-2"], tags=["t"]))
    clone = client.clone_run("PR-1", source.identifier)
    assert clone.name == "source - Copy"
    assert clone.test_case_summary["untested"] == 2
    assert emulator.requests[-1]["body"] == {"test_case_selection": "all"}
    assert emulator.wait_idle(timeout=5.0)
    cases = [c.identifier for c in client.iter_run_test_cases("PR-1", clone.identifier)]
    assert sorted(cases) == ["TC-1", "TC-2"]


def test_clone_by_results(emulator: Emulator, client: Client) -> None:
    source = client.create_run("PR-1", new_run("source", test_cases=["TC-1", "TC-2", "TC-3"]))
    client.add_results(
        "PR-1",
        source.identifier,
        [
            models.ResultIn(test_case_id="TC-1", status="passed"),
            models.ResultIn(test_case_id="TC-2", status="failed"),
            models.ResultIn(test_case_id="TC-3", status="blocked"),
        ],
    )
    clone = client.clone_run(
        "PR-1",
        source.identifier,
        test_case_selection="by_results",
        statuses=["Failed", "BLOCKED"],
        copy_tags=False,
        copy_tc_assignee=True,
        copy_issues=False,
        name="re-run",
    )
    assert clone.name == "re-run"
    assert emulator.requests[-1]["body"] == {
        "test_case_selection": "by_results",
        "statuses": ["failed", "blocked"],
        "copy_tc_assignee": True,
        "copy_tags": False,
        "copy_issues": False,
        "name": "re-run",
    }
    assert emulator.wait_idle(timeout=5.0)
    cases = sorted(c["test_case_id"] for c in emulator.run_cases(clone.identifier))
    assert cases == ["TC-2", "TC-3"]


@pytest.mark.parametrize(
    "options",
    [
        {"test_case_selection": "by_results"},
        {"test_case_selection": "by_results", "statuses": []},
        {"test_case_selection": "by_results", "statuses": "failed"},
        {"test_case_selection": "all", "statuses": ["failed"]},
        {"test_case_selection": "some"},
    ],
)
def test_clone_validates_locally(
    emulator: Emulator, client: Client, options: dict[str, object]
) -> None:
    with pytest.raises(errors.InvalidRequestError):
        client.clone_run("PR-1", "TR-1", **options)  # type: ignore[arg-type]
    assert emulator.requests == []


def test_clone_unknown_run(client: Client) -> None:
    with pytest.raises(errors.NotFoundError):
        client.clone_run("PR-1", "TR-404")


# ---------------------------------------------------------------- read


def test_get_run_and_minified(emulator: Emulator, client: Client) -> None:
    created = client.create_run("PR-1", new_run("read me", test_cases=["TC-1", "TC-2"]))
    client.add_result(
        "PR-1", created.identifier, models.ResultIn(test_case_id="TC-1", status="passed")
    )
    details = client.get_run("PR-1", created.identifier)
    assert isinstance(details, models.TestRunDetails)
    assert details.identifier == created.identifier
    by_case = {c.identifier: c.latest_status for c in details.test_cases}
    assert by_case == {"TC-1": "Passed", "TC-2": "Untested"}
    assert details.overall_progress["passed"] == 1
    minified = client.get_run_minified("PR-1", created.identifier)
    assert type(minified) is models.TestRun
    assert minified.name == "read me"
    assert emulator.requests[-1]["query"] == {"minify": "true"}


def test_get_unknown_run(client: Client) -> None:
    with pytest.raises(errors.NotFoundError) as info:
        client.get_run("PR-1", "TR-404")
    assert info.value.status == 404
    assert "Test Run ID is invalid" in str(info.value)


# ---------------------------------------------------------------- update


def test_update_run_patches_given_fields(emulator: Emulator, client: Client) -> None:
    run = client.create_run("PR-1", new_run("old", tags=["a"], description="keep"))
    updated = client.update_run(
        "PR-1", run.identifier, name="new", tags=[], run_state="in_progress"
    )
    assert updated.identifier == run.identifier
    assert updated.name == "new"
    assert updated.tags == []
    assert emulator.requests[-1]["method"] == "PATCH"
    assert emulator.requests[-1]["body"] == {
        "test_run": {"name": "new", "tags": [], "run_state": "in_progress"}
    }
    stored = emulator.run(run.identifier)
    assert (stored["name"], stored["tags"], stored["description"]) == ("new", [], "keep")


def test_update_run_validates_locally(emulator: Emulator, client: Client) -> None:
    with pytest.raises(errors.InvalidRequestError, match="unknown field"):
        client.update_run("PR-1", "TR-1", nmae="typo")
    with pytest.raises(errors.InvalidRequestError, match="at least one"):
        client.update_run("PR-1", "TR-1")
    with pytest.raises(errors.InvalidRequestError, match="mutually exclusive"):
        client.update_run("PR-1", "TR-1", test_plan_id="TP-1", sub_test_plan_id="STP-1")
    assert emulator.requests == []


def test_replace_run_sends_complete_body(emulator: Emulator, client: Client) -> None:
    run = client.create_run("PR-1", new_run("old", test_cases=["TC-1", "TC-2"], tags=["x"]))
    replaced = client.replace_run(
        "PR-1", run.identifier, models.NewTestRun(name="replaced", test_cases=["TC-3"])
    )
    assert replaced.name == "replaced"
    body = emulator.requests[-1]["body"]
    assert body["test_run"]["tags"] == []
    assert body["test_run"]["description"] is None
    assert [c["test_case_id"] for c in emulator.run_cases(run.identifier)] == ["TC-3"]


# ---------------------------------------------------------------- close and delete


def test_close_run_and_write_to_closed_run(emulator: Emulator, client: Client) -> None:
    run = client.create_run("PR-1", new_run())
    closed = client.close_run("PR-1", run.identifier)
    assert closed.active_state == "closed"
    assert closed.web_url is not None
    assert client.close_run("PR-1", run.identifier).active_state == "closed"  # idempotent
    with pytest.raises(errors.NotFoundError) as info:
        client.update_run("PR-1", run.identifier, name="late")
    assert info.value.message == "Test Run ID is invalid"
    assert "closed run" in str(info.value)
    with pytest.raises(errors.NotFoundError):
        client.close_run("PR-1", "TR-404")


def test_delete_run(emulator: Emulator, client: Client) -> None:
    run = client.create_run("PR-1", new_run())
    message = client.delete_run("PR-1", run.identifier)
    assert run.identifier in message
    assert emulator.runs(project_id="PR-1") == []
    with pytest.raises(errors.NotFoundError):
        client.delete_run("PR-1", run.identifier)

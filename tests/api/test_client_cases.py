"""Client endpoints on run test cases and project data against the emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_bstm.api import Client, RetryPolicy, errors, models
from pytest_bstm.emulator import Emulator

FAST = RetryPolicy(attempts=3, backoff=0.01, backoff_max=0.02, deadline=5.0)
MANY = [f"TC-{n}" for n in range(1001, 1651)]  # 650 ids


def connect(emu: Emulator) -> Client:
    return Client(
        base_url=emu.url,
        username=emu.username,
        access_key=emu.access_key,
        timeout=5.0,
        retry=FAST,
    )


@pytest.fixture
def client(emulator: Emulator) -> Iterator[Client]:
    with connect(emulator) as api:
        yield api


@pytest.fixture
def small_limit() -> Iterator[Emulator]:
    """An emulator that takes at most 10 (case, configuration) pairs per change request."""
    with Emulator(max_cases_per_request=10, apply_delay=0.01, clone_delay=0.01) as emu:
        yield emu


def make_run(client: Client, cases: list[str], **fields: object) -> str:
    run = models.NewTestRun.model_validate({"name": "cases", "test_cases": cases, **fields})
    return client.create_run("PR-1", run).identifier


def pairs(emu: Emulator, run_id: str) -> set[tuple[str, int | None]]:
    return {(c["test_case_id"], c["configuration_id"]) for c in emu.run_cases(run_id)}


def sel(*ids: str, configs: list[int] | None = None) -> models.CaseSelection:
    return models.CaseSelection(test_case_ids=list(ids), configuration_ids=configs)


# ---------------------------------------------------------------- listing


def test_iter_run_test_cases_follows_pages(emulator: Emulator, client: Client) -> None:
    emulator.add_test_cases("PR-1", MANY)
    run_id = make_run(client, MANY)
    cases = list(client.iter_run_test_cases("PR-1", run_id))
    assert [c.identifier for c in cases] == MANY
    assert all(c.latest_status == "untested" for c in cases)
    gets = [r["query"] for r in emulator.requests if r["method"] == "GET"]
    assert [q["p"] for q in gets] == ["1", "2", "3"]
    assert {q["page_size"] for q in gets} == {"300"}
    small_pages = list(client.iter_run_test_cases("PR-1", run_id, page_size=30))
    assert len(small_pages) == 650


def test_count_run_test_cases_is_one_small_request(emulator: Emulator, client: Client) -> None:
    emulator.add_test_cases("PR-1", MANY)
    run_id = make_run(client, MANY)
    before = len(emulator.requests)
    assert client.count_run_test_cases("PR-1", run_id) == 650
    (probe,) = emulator.requests[before:]
    assert (probe["query"]["p"], probe["query"]["page_size"]) == ("1", "30")


def test_fetch_steps_is_one_request(emulator: Emulator, client: Client) -> None:
    emulator.add_test_cases("PR-1", MANY[:40])
    run_id = make_run(client, MANY[:40])
    before = len(emulator.requests)
    cases = list(client.iter_run_test_cases("PR-1", run_id, fetch_steps=True))
    assert len(cases) == 30
    assert len(emulator.requests) == before + 1
    assert emulator.requests[-1]["query"] == {"fetch_steps": "true"}


def test_minified_run_test_cases(emulator: Emulator, client: Client) -> None:
    run_id = make_run(client, ["TC-1", "TC-2"])
    cases = list(client.iter_run_test_cases("PR-1", run_id, minify=True))
    assert [c.identifier for c in cases] == ["TC-1", "TC-2"]
    assert emulator.requests[-1]["query"]["minify"] == "true"


def test_bad_page_size_is_rejected_before_any_request(emulator: Emulator, client: Client) -> None:
    for call in (
        lambda: client.iter_run_test_cases("PR-1", "TR-1", page_size=100),
        lambda: client.iter_results("PR-1", "TR-1", page_size=31),
        lambda: client.iter_projects(page_size=0),
        lambda: client.iter_configurations(page_size=True),  # type: ignore[arg-type]
        lambda: client.iter_project_test_cases("PR-1", page_size=3000),
    ):
        with pytest.raises(errors.InvalidRequestError, match="30 or 300"):
            call()
    assert emulator.requests == []


def test_run_test_cases_of_unknown_run(client: Client) -> None:
    with pytest.raises(errors.NotFoundError):
        list(client.iter_run_test_cases("PR-1", "TR-404"))


# ---------------------------------------------------------------- assign


def test_assign(emulator: Emulator, client: Client) -> None:
    run_id = make_run(client, ["TC-1", "TC-2"], configurations=[101])
    client.assign(
        "PR-1",
        run_id,
        [
            models.Assignment(test_case_id="TC-1", configuration_id=101, assignee="a@example.com"),
            models.Assignment(test_case_id="TC-2", configuration_id=101, assignee="b@example.com"),
        ],
    )
    assignees = {c["test_case_id"]: c["assignee"] for c in emulator.run_cases(run_id)}
    assert assignees == {"TC-1": "a@example.com", "TC-2": "b@example.com"}
    before = len(emulator.requests)
    client.assign("PR-1", run_id, [])
    assert len(emulator.requests) == before


def test_assign_errors(client: Client) -> None:
    run_id = make_run(client, ["TC-1"], configurations=[101])
    with pytest.raises(errors.BadRequestError):
        client.assign("PR-1", run_id, [models.Assignment(test_case_id="TC-1", assignee="a@b.co")])
    with pytest.raises(errors.NotFoundError):
        client.assign("PR-1", "TR-404", [models.Assignment(test_case_id="TC-1", assignee="a@b.co")])


# ---------------------------------------------------------------- add / remove


def test_update_test_cases_adds_and_removes(emulator: Emulator, client: Client) -> None:
    run_id = make_run(client, ["TC-1", "TC-2"])
    client.add_result("PR-1", run_id, models.ResultIn(test_case_id="TC-1", status="passed"))
    ids = client.update_test_cases(
        "PR-1",
        run_id,
        add=[sel("TC-3", "TC-4"), sel("TC-5", configs=[101, 102])],
        remove=[sel("TC-2")],
    )
    assert len(ids) == 1
    assert ids[0]
    assert emulator.requests[-1]["body"] == {
        "test_run": {
            "add_test_cases": [
                {"test_case_ids": ["TC-3", "TC-4"]},
                {"test_case_ids": ["TC-5"], "configuration_ids": [101, 102]},
            ],
            "remove_test_cases": [{"test_case_ids": ["TC-2"]}],
            "preserve_existing_results": True,
        }
    }
    assert emulator.wait_idle(timeout=5.0)
    assert pairs(emulator, run_id) == {
        ("TC-1", None),
        ("TC-3", None),
        ("TC-4", None),
        ("TC-5", 101),
        ("TC-5", 102),
    }
    assert len(emulator.results(run_id)) == 1  # preserved


def test_update_test_cases_chunks(emulator: Emulator, client: Client) -> None:
    emulator.add_test_cases("PR-1", MANY)
    run_id = make_run(client, ["TC-1"])
    ids = client.update_test_cases("PR-1", run_id, add=[sel(*MANY)], chunk_size=300)
    assert len(ids) == 3
    assert len(set(ids)) == 3
    patches = [r["body"] for r in emulator.requests if r["method"] == "PATCH"]
    sizes = [len(b["test_run"]["add_test_cases"][0]["test_case_ids"]) for b in patches]
    assert sizes == [300, 300, 50]
    assert emulator.wait_idle(timeout=5.0)
    assert len(emulator.run_cases(run_id)) == 651


def test_update_test_cases_splits_configurations(small_limit: Emulator) -> None:
    with connect(small_limit) as api:
        run_id = make_run(api, ["TC-1"])
        configs = [101, 102, 103]
        ids = api.update_test_cases(
            "PR-1", run_id, add=[sel("TC-2", "TC-3", configs=configs)], chunk_size=2
        )
        assert len(ids) == 4  # 6 pairs: [TC-2 x 101,102] [TC-2 x 103] [TC-3 x 101,102] [TC-3 x 103]
    assert small_limit.wait_idle(timeout=5.0)
    assert pairs(small_limit, run_id) == {("TC-1", None)} | {
        (tc, c) for tc in ("TC-2", "TC-3") for c in configs
    }


def test_update_test_cases_halves_chunk_on_limit(small_limit: Emulator) -> None:
    small_limit.add_test_cases("PR-1", MANY[:45])
    with connect(small_limit) as api:
        run_id = make_run(api, ["TC-1"])
        ids = api.update_test_cases("PR-1", run_id, add=[sel(*MANY[:45])], chunk_size=40)
    patches = [r for r in small_limit.requests if r["method"] == "PATCH"]
    statuses = [r["status"] for r in patches]
    # 40 -> 400, 20 -> 400, 10 -> 202 ... then the remaining 35 in chunks of 10
    assert statuses[:3] == [400, 400, 202]
    assert statuses[3:] == [202] * 4
    assert len(ids) == 5
    assert small_limit.wait_idle(timeout=5.0)
    assert len(small_limit.run_cases(run_id)) == 46


def test_update_test_cases_validates_locally(emulator: Emulator, client: Client) -> None:
    with pytest.raises(errors.InvalidRequestError, match="add or to remove"):
        client.update_test_cases("PR-1", "TR-1")
    with pytest.raises(errors.InvalidRequestError, match="TC-1 more than once"):
        client.update_test_cases("PR-1", "TR-1", add=[sel("TC-1", "TC-2", "TC-1")])
    with pytest.raises(errors.InvalidRequestError, match="TC-7"):
        client.update_test_cases("PR-1", "TR-1", remove=[sel("TC-7", "TC-7")])
    with pytest.raises(errors.InvalidRequestError, match="chunk_size"):
        client.update_test_cases("PR-1", "TR-1", add=[sel("TC-1")], chunk_size=0)
    with pytest.raises(ValueError, match="at least 1"):
        models.CaseSelection(test_case_ids=[])
    assert emulator.requests == []


def test_same_case_in_two_selections_is_allowed(emulator: Emulator, client: Client) -> None:
    run_id = make_run(client, ["TC-1"])
    client.update_test_cases(
        "PR-1", run_id, add=[sel("TC-2", configs=[101]), sel("TC-2", configs=[102])]
    )
    assert emulator.wait_idle(timeout=5.0)
    assert pairs(emulator, run_id) == {("TC-1", None), ("TC-2", 101), ("TC-2", 102)}


def test_update_test_cases_service_errors(client: Client) -> None:
    run_id = make_run(client, ["TC-1"])
    with pytest.raises(errors.BadRequestError) as info:
        client.update_test_cases("PR-1", run_id, add=[sel("TC-99999")])
    assert info.value.error == "invalid_test_case_id"
    with pytest.raises(errors.BadRequestError) as info:
        client.update_test_cases("PR-1", run_id, add=[sel("TC-2", configs=[999])])
    assert info.value.error == "invalid_configuration_ids"
    client.close_run("PR-1", run_id)
    with pytest.raises(errors.NotFoundError, match="Test Run ID is invalid"):
        client.update_test_cases("PR-1", run_id, add=[sel("TC-2")])


# ---------------------------------------------------------------- project data


def test_iter_project_test_cases(emulator: Emulator, client: Client) -> None:
    emulator.add_test_cases("PR-1", MANY)
    cases = list(client.iter_project_test_cases("PR-1"))
    assert len(cases) == 60 + 650
    assert cases[0].identifier == "TC-1"
    assert cases[0].title
    picked = client.iter_project_test_cases("PR-1", test_case_id=["TC-2", "TC-3"])
    assert [c.identifier for c in picked] == ["TC-2", "TC-3"]
    assert emulator.requests[-1]["query"]["test_case_id"] == "TC-2,TC-3"
    first = cases[0]
    if first.priority is not None:
        same = list(client.iter_project_test_cases("PR-1", priority=first.priority))
        assert first.identifier in [c.identifier for c in same]
    assert list(client.iter_project_test_cases("PR-1", created_after="01-01-2999")) == []
    assert emulator.requests[-1]["query"]["created_after"] == "2999-01-01"
    with pytest.raises(errors.InvalidRequestError):
        client.iter_project_test_cases("PR-1", created_before="yesterday")
    with pytest.raises(errors.NotFoundError):
        list(client.iter_project_test_cases("PR-404"))


def test_iter_projects_and_configurations(emulator: Emulator, client: Client) -> None:
    emulator.add_project("PR-3", name="Third", numeric_id=3)
    projects = list(client.iter_projects())
    assert [(p.identifier, p.id) for p in projects] == [("PR-1", 1), ("PR-2", 2), ("PR-3", 3)]
    assert projects[0].name == "Demo project"
    emulator.add_configurations([{"id": 104, "name": "Safari"}])
    configs = list(client.iter_configurations())
    assert [c.id for c in configs] == [101, 102, 103, 104]
    assert configs[-1].name == "Safari"

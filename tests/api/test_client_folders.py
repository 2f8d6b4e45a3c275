"""Client folder endpoints and test case creation against the emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_bstm.api import Client, RetryPolicy, errors
from pytest_bstm.api.case_models import Folder, NewTestCase, TestCaseStep
from pytest_bstm.emulator import Emulator

FAST = RetryPolicy(attempts=3, backoff=0.01, backoff_max=0.02, deadline=5.0)


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


def test_create_folders_and_list_each_level(emulator: Emulator, client: Client) -> None:
    top = client.create_folder("PR-1", name="pytest", description="from pytest")
    assert isinstance(top, Folder)
    assert (top.id, top.name, top.parent_id, top.description) == (4, "pytest", None, "from pytest")
    child = client.create_folder("PR-1", name="tests", parent_id=top.id)
    assert child.parent_id == top.id
    writes = [r for r in emulator.requests if r["method"] == "POST"]
    assert [r["body"] for r in writes] == [
        {"folder": {"name": "pytest", "parent_id": None, "description": "from pytest"}},
        {"folder": {"name": "tests", "parent_id": 4}},
    ]
    listed = list(client.iter_folders("PR-1"))
    assert [(f.id, f.name) for f in listed] == [
        (1, "Demo folder 1"),
        (2, "Demo folder 2"),
        (3, "Demo folder 3"),
        (4, "pytest"),
    ]
    assert (listed[-1].sub_folders_count, listed[0].cases_count) == (1, 20)
    assert listed[0].links["sub_folders"].endswith("/folders/1/sub-folders")
    subs = list(client.iter_folders("PR-1", parent_id=top.id))
    assert [(f.id, f.name, f.parent_id) for f in subs] == [(5, "tests", 4)]
    reads = [(r["path"], r["query"]) for r in emulator.requests if r["method"] == "GET"]
    assert reads == [
        ("/api/v2/projects/PR-1/folders", {"p": "1", "page_size": "300"}),
        ("/api/v2/projects/PR-1/folders/4/sub-folders", {"p": "1", "page_size": "300"}),
    ]


def test_folder_lists_follow_pages(emulator: Emulator, client: Client) -> None:
    top = client.create_folder("PR-1", name="many")
    for n in range(31):
        client.create_folder("PR-1", name=f"child {n}", parent_id=top.id)
    names = [f.name for f in client.iter_folders("PR-1", parent_id=top.id, page_size=30)]
    assert names == [f"child {n}" for n in range(31)]
    pages = [r["query"]["p"] for r in emulator.requests if r["path"].endswith("sub-folders")]
    assert pages == ["1", "2"]


def test_create_test_case_sends_the_documented_body(emulator: Emulator, client: Client) -> None:
    folder = client.create_folder("PR-1", name="pytest")
    new = NewTestCase(
        name="User can log in",
        description="tests/test_login.py::test_login",
        tags=["pytest"],
        automation_status="automated",
        test_case_steps=[TestCaseStep(step="Run it", result="It passes")],
    )
    case = client.create_test_case("PR-1", folder.id, new)
    assert (case.identifier, case.title, case.folder_id) == ("TC-1006", "User can log in", 4)
    assert case.description == "tests/test_login.py::test_login"
    assert (case.tags, case.automation_status) == (["pytest"], "automated")
    post = emulator.requests[-1]
    assert post["path"] == "/api/v2/projects/PR-1/folders/4/test-cases"
    assert post["body"] == {
        "test_case": {
            "name": "User can log in",
            "description": "tests/test_login.py::test_login",
            "tags": ["pytest"],
            "automation_status": "automated",
            "test_case_steps": [{"step": "Run it", "result": "It passes"}],
        }
    }
    listed = list(client.iter_project_test_cases("PR-1", folder_id=folder.id))
    assert [(c.identifier, c.description) for c in listed] == [
        ("TC-1006", "tests/test_login.py::test_login")
    ]


def test_bad_arguments_send_nothing(emulator: Emulator, client: Client) -> None:
    with pytest.raises(errors.InvalidRequestError, match="non-blank name"):
        client.create_folder("PR-1", name=" ")
    for bad in (0, True, "4"):
        with pytest.raises(errors.InvalidRequestError, match="numeric ID"):
            client.create_folder("PR-1", name="x", parent_id=bad)  # type: ignore[arg-type]
        with pytest.raises(errors.InvalidRequestError, match="numeric ID"):
            client.create_test_case("PR-1", bad, NewTestCase(name="x"))  # type: ignore[arg-type]
        with pytest.raises(errors.InvalidRequestError, match="numeric ID"):
            list(client.iter_folders("PR-1", parent_id=bad))  # type: ignore[arg-type]
    with pytest.raises(errors.InvalidRequestError, match="page_size"):
        list(client.iter_folders("PR-1", page_size=100))
    with pytest.raises(ValueError, match="name"):
        NewTestCase(name="")
    assert emulator.requests == []


def test_service_errors_map_to_the_error_tree(emulator: Emulator, client: Client) -> None:
    with pytest.raises(errors.NotFoundError):
        list(client.iter_folders("PR-9"))
    with pytest.raises(errors.NotFoundError):
        client.create_test_case("PR-1", 999, NewTestCase(name="x"))
    with pytest.raises(errors.BadRequestError, match="priority"):
        client.create_test_case("PR-1", 1, NewTestCase(name="x", priority="medium"))
    emulator.faults.fail(status=403, times=1)
    with pytest.raises(errors.PermissionDeniedError):
        client.create_folder("PR-1", name="x")
    assert len(emulator.folders("PR-1")) == 3


def test_rate_limits_are_waited_out_and_lost_answers_not_repeated(
    emulator: Emulator, client: Client
) -> None:
    emulator.faults.fail(status=429, times=2, methods="POST", retry_after=0)
    case = client.create_test_case("PR-1", 1, NewTestCase(name="after 429"))
    assert case.identifier == "TC-1006"
    emulator.faults.drop(times=1, after_processing=True, path_contains="/folders")
    with pytest.raises(errors.AmbiguousRequestError):
        client.create_folder("PR-1", name="once")
    emulator.faults.drop(times=1, after_processing=True, path_contains="/test-cases")
    with pytest.raises(errors.AmbiguousRequestError):
        client.create_test_case("PR-1", 1, NewTestCase(name="once"))
    assert [f["name"] for f in emulator.folders("PR-1")].count("once") == 1
    assert [c["title"] for c in emulator.test_cases("PR-1")].count("once") == 1

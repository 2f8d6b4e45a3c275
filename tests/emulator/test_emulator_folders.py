"""Emulator: folders (list, sub-folders, details, create) and creating test cases in a folder."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from pytest_bstm.emulator import Emulator

FOLDERS = "/projects/PR-1/folders"


def create_folder(api: requests.Session, name: str, parent: int | None = None) -> dict[str, Any]:
    answer = api.post(FOLDERS, json={"folder": {"name": name, "parent_id": parent}})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["success"] is True
    return body["folder"]  # type: ignore[no-any-return]


def test_seeded_folders_are_the_top_level(emulator_api: requests.Session) -> None:
    body = emulator_api.get(FOLDERS).json()
    assert body["success"] is True
    assert [(f["id"], f["name"]) for f in body["folders"]] == [
        (1, "Demo folder 1"),
        (2, "Demo folder 2"),
        (3, "Demo folder 3"),
    ]
    first = body["folders"][0]
    assert first == {
        "id": 1,
        "name": "Demo folder 1",
        "description": "",
        "parent_id": None,
        "cases_count": 20,
        "sub_folders_count": 0,
        "links": {"sub_folders": "/api/v2/projects/PR-1/folders/1/sub-folders"},
    }
    assert body["info"] == {"page": 1, "page_size": 30, "count": 3, "prev": None, "next": None}
    assert emulator_api.get("/projects/PR-2/folders").json()["folders"] == []


def test_created_folders_nest_and_get_fresh_ids(
    emulator_api: requests.Session, emulator: Emulator
) -> None:
    top = create_folder(emulator_api, "pytest")
    assert (top["id"], top["parent_id"], top["sub_folders_count"]) == (4, None, 0)
    child = create_folder(emulator_api, "tests", top["id"])
    create_folder(emulator_api, "tests", top["id"])  # names need not be unique
    assert child["parent_id"] == top["id"]
    listed = emulator_api.get(FOLDERS).json()["folders"]
    assert [f["name"] for f in listed] == [
        "Demo folder 1",
        "Demo folder 2",
        "Demo folder 3",
        "pytest",
    ]
    assert listed[-1]["sub_folders_count"] == 2
    subs = emulator_api.get(f"{FOLDERS}/{top['id']}/sub-folders").json()
    assert [(f["id"], f["name"]) for f in subs["folders"]] == [(5, "tests"), (6, "tests")]
    details = emulator_api.get(f"{FOLDERS}/{child['id']}").json()["folder"]
    assert details["name"] == "tests"
    assert [f["id"] for f in emulator.folders("PR-1")] == [1, 2, 3, 4, 5, 6]
    emulator.reset()
    assert [f["id"] for f in emulator.folders("PR-1")] == [1, 2, 3]


def test_folder_lists_are_paged(emulator_api: requests.Session) -> None:
    top = create_folder(emulator_api, "many")
    for n in range(31):
        create_folder(emulator_api, f"child {n}", top["id"])
    url = f"{FOLDERS}/{top['id']}/sub-folders"
    first = emulator_api.get(url).json()
    assert (len(first["folders"]), first["info"]["next"]) == (30, 2)
    second = emulator_api.get(url, params={"p": 2}).json()
    assert [f["name"] for f in second["folders"]] == ["child 30"]
    assert second["info"]["next"] is None
    assert emulator_api.get(url, params={"page_size": 300}).json()["info"]["count"] == 31
    assert emulator_api.get(url, params={"page_size": 50}).status_code == 400


@pytest.mark.parametrize(
    ("body", "status", "text"),
    [
        ({}, 400, "'folder' object"),
        ({"folder": {"name": "  "}}, 400, "blank"),
        ({"folder": {"description": "x"}}, 400, "blank"),
        ({"folder": {"name": "x", "colour": "red"}}, 400, "colour"),
        ({"folder": {"name": "x", "parent_id": "1"}}, 400, "parent_id"),
        ({"folder": {"name": "x", "parent_id": 999}}, 404, "Folder 999"),
    ],
)
def test_create_folder_is_strict(
    emulator_api: requests.Session, emulator: Emulator, body: Any, status: int, text: str
) -> None:
    answer = emulator_api.post(FOLDERS, json=body)
    assert answer.status_code == status
    assert answer.json()["success"] is False
    assert text in answer.json()["message"]
    assert len(emulator.folders("PR-1")) == 3


def test_unknown_folder_and_project(emulator_api: requests.Session) -> None:
    for path in (f"{FOLDERS}/999/sub-folders", f"{FOLDERS}/abc", f"{FOLDERS}/999"):
        assert emulator_api.get(path).status_code == 404
    assert (
        emulator_api.post(
            f"{FOLDERS}/999/test-cases", json={"test_case": {"name": "x"}}
        ).status_code
        == 404
    )
    answer = emulator_api.get("/projects/PR-9/folders")
    assert answer.status_code == 404
    assert "PR-9" in answer.json()["message"]


def test_create_test_case_in_a_folder(emulator_api: requests.Session, emulator: Emulator) -> None:
    folder = create_folder(emulator_api, "pytest")
    case = {
        "name": "User can log in",
        "description": "tests/test_login.py::test_login",
        "tags": ["pytest"],
        "automation_status": "automated",
        "test_case_steps": [{"step": "Run the test", "result": "It passes"}],
        "priority": "High",
        "case_type": "Smoke & Sanity",
        "owner": "qa@example.com",
        "custom_fields": {"estimate": "10"},
    }
    answer = emulator_api.post(f"{FOLDERS}/{folder['id']}/test-cases", json={"test_case": case})
    assert answer.status_code == 200, answer.text
    created = answer.json()["test_case"]
    assert created["identifier"] == "TC-1006"  # one above the highest in the account (PR-2)
    assert (created["title"], created["folder_id"]) == ("User can log in", folder["id"])
    assert created["steps"] == [{"step": "Run the test", "result": "It passes"}]
    assert emulator.test_cases("PR-1")[-1] == {
        "identifier": "TC-1006",
        "title": "User can log in",
        "description": "tests/test_login.py::test_login",
        "folder_id": folder["id"],
        "tags": ["pytest"],
        "automation_status": "automated",
        "priority": "High",
        "case_type": "Smoke & Sanity",
        "owner": "qa@example.com",
        "steps": [{"step": "Run the test", "result": "It passes"}],
        "custom_fields": {"estimate": "10"},
    }
    listed = emulator_api.get("/projects/PR-1/test-cases", params={"folder_id": folder["id"]})
    assert [c["identifier"] for c in listed.json()["test_cases"]] == ["TC-1006"]
    assert listed.json()["test_cases"][0]["description"] == "tests/test_login.py::test_login"
    assert emulator_api.get(FOLDERS).json()["folders"][-1]["cases_count"] == 1
    minimal = emulator_api.post(f"{FOLDERS}/1/test-cases", json={"test_case": {"name": "Bare"}})
    bare = minimal.json()["test_case"]
    assert bare["identifier"] == "TC-1007"
    assert (bare["priority"], bare["automation_status"], bare["tags"]) == (
        "Medium",
        "not_automated",
        [],
    )


@pytest.mark.parametrize(
    ("case", "text"),
    [
        ({}, "blank"),
        ({"name": "x", "title": "y"}, "title"),
        ({"name": "x", "priority": "medium"}, "priority"),
        ({"name": "x", "case_type": "functional"}, "case_type"),
        ({"name": "x", "automation_status": "Automated"}, "automation_status"),
        ({"name": "x", "tags": "pytest"}, "tags"),
        ({"name": "x", "owner": "bob"}, "owner"),
        ({"name": "x", "test_case_steps": {"step": "a"}}, "test_case_steps"),
        ({"name": "x", "test_case_steps": [{"step": "a", "expected": "b"}]}, "expected"),
        ({"name": "x", "test_case_steps": [{"step": 1}]}, "strings"),
        ({"name": "x", "template": "free"}, "template"),
        ({"name": "x", "custom_fields": ["a"]}, "custom_fields"),
    ],
)
def test_create_test_case_is_strict(
    emulator_api: requests.Session, emulator: Emulator, case: dict[str, Any], text: str
) -> None:
    answer = emulator_api.post(f"{FOLDERS}/1/test-cases", json={"test_case": case})
    assert answer.status_code == 400
    assert text in answer.json()["message"]
    assert len(emulator.test_cases("PR-1")) == 60


def test_seed_folders_and_added_projects() -> None:
    seed = {
        "projects": [
            {
                "identifier": "PR-7",
                "test_cases": [{"identifier": "TC-3", "folder_id": 12}],
                "folders": [
                    {"id": 11, "name": "Top"},
                    {"id": 12, "name": "Child", "parent_id": 11, "description": "d"},
                ],
            }
        ]
    }
    with Emulator(seed=seed) as emu:
        assert emu.folders("PR-7") == [
            {"id": 11, "name": "Top", "description": "", "parent_id": None},
            {"id": 12, "name": "Child", "description": "d", "parent_id": 11},
        ]
        emu.add_project("PR-7", name="renamed")
        assert len(emu.folders("PR-7")) == 2
        answer = requests.post(
            f"{emu.url}/api/v2/projects/PR-7/folders",
            json={"folder": {"name": "Next", "parent_id": 12}},
            auth=(emu.username, emu.access_key),
            timeout=5,
        )
        assert answer.json()["folder"]["id"] == 13


def test_a_case_is_updated_in_place(emulator_api: requests.Session, emulator: Emulator) -> None:
    answer = emulator_api.patch(
        "/projects/PR-1/test-cases/TC-2",
        json={"test_case": {"automation_status": "automated", "tags": ["bdd"]}},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["test_case"]["automation_status"] == "automated"
    case = next(c for c in emulator.test_cases("PR-1") if c["identifier"] == "TC-2")
    assert (case["automation_status"], case["tags"], case["priority"]) == (
        "automated",
        ["bdd"],
        "High",  # what the body does not name stays
    )


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("TC-999", {"test_case": {"automation_status": "automated"}}, 404),
        ("TC-2", {"test_case": {"automation_status": "yes"}}, 400),
        ("TC-2", {"test_case": {"colour": "red"}}, 400),
        ("TC-2", {"automation_status": "automated"}, 400),
    ],
)
def test_a_case_update_is_validated(
    emulator_api: requests.Session, emulator: Emulator, path: str, body: Any, status: int
) -> None:
    answer = emulator_api.patch(f"/projects/PR-1/test-cases/{path}", json=body)
    assert answer.status_code == status, answer.text
    assert answer.json()["success"] is False
    case = next(c for c in emulator.test_cases("PR-1") if c["identifier"] == "TC-2")
    assert case["automation_status"] == "not_automated"

"""Attachments of a result, client against the emulator: the result's ID from the run's
listing (``latest_result_id``), add a file (multipart ``file``), list, size bound."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
import requests

from pytest_bstm.api import Client, RetryPolicy, errors, models
from pytest_bstm.emulator import Emulator

FAST = RetryPolicy(attempts=2, backoff=0.01, backoff_max=0.02, deadline=5.0)


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


@pytest.fixture
def result_id(client: Client) -> int | str:
    run = client.create_run("PR-1", models.NewTestRun(name="files", test_cases=["TC-1"]))
    result = models.ResultIn(test_case_id="TC-1", status="failed", description="boom")
    client.add_results("PR-1", run.identifier, [result])
    (entry,) = client.iter_run_test_cases("PR-1", run.identifier)
    assert entry.latest_result_id is not None
    return entry.latest_result_id


def test_add_then_list(emulator: Emulator, client: Client, result_id: int | str) -> None:
    assert client.list_attachment_names("PR-1", result_id) == []
    client.add_attachment(
        "PR-1", result_id, name="shot.png", data=b"\x89PNG...", content_type="image/png"
    )
    client.add_attachment("PR-1", result_id, name="log.txt", data=b"line 1\n")
    assert client.list_attachment_names("PR-1", result_id) == ["shot.png", "log.txt"]
    (stored,) = [r for run in emulator.runs("PR-1") for r in emulator.results(run["identifier"])]
    shot = stored["attachments"][0]
    assert (shot["name"], shot["content_type"], shot["size"]) == ("shot.png", "image/png", 7)
    assert shot["sha256"] == hashlib.sha256(b"\x89PNG...").hexdigest()
    post = [r for r in emulator.requests if r["method"] == "POST" and "attachments" in r["path"]]
    assert post[0]["body"] == {
        "file": {"filename": "shot.png", "content_type": "image/png", "data": 7}
    }  # the log keeps sizes, never the bytes


def test_oversize_file_is_refused_before_sending(
    emulator: Emulator, client: Client, result_id: int | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pytest_bstm.api._attachments.MAX_ATTACHMENT_BYTES", 10)
    with pytest.raises(errors.InvalidRequestError, match="at most"):
        client.add_attachment("PR-1", result_id, name="big.log", data=b"x" * 11)
    assert not [r for r in emulator.requests if r["method"] == "POST" and "attach" in r["path"]]


def test_unknown_result_is_404(client: Client) -> None:
    with pytest.raises(errors.NotFoundError):
        client.add_attachment("PR-1", 999999, name="a.txt", data=b"a")


def test_emulator_refuses_other_forms(
    emulator_api: requests.Session, client: Client, result_id: int | str
) -> None:
    path = f"/projects/PR-1/test-results/{result_id}/attachments"
    assert emulator_api.post(path, json={"file": "a"}).status_code == 400
    wrong_field = emulator_api.post(path, files={"upload": ("a.txt", b"a")})
    assert wrong_field.status_code == 400
    assert "'file'" in wrong_field.json()["message"]
    assert emulator_api.post(path, files={"file": ("a.txt", b"a")}).status_code == 200

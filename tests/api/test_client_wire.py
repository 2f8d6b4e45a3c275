"""Client wire details against a scripted loopback server: headers, lenient reading, envelopes.

The emulator answers correctly; these cases need answers it never gives (trailing commas,
HTML error pages, pagination that points backwards), so a tiny real HTTP server replays
scripted answers instead.
"""

from __future__ import annotations

import email.utils
import http.server
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_bstm import __version__
from pytest_bstm.api import Client, RetryPolicy, errors, models

FAST = RetryPolicy(attempts=3, backoff=0.0, deadline=5.0)


class Scripted:
    """A loopback HTTP server answering with queued (status, body, headers) triples."""

    def __init__(self) -> None:
        self.answers: deque[tuple[int, str, dict[str, str]]] = deque()
        self.seen: list[dict[str, Any]] = []
        scripted = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                scripted.seen.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": json.loads(raw) if raw else None,
                    }
                )
                status, body, headers = (
                    scripted.answers.popleft() if scripted.answers else (599, "", {})
                )
                data = body.encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def add(self, body: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        text = body if isinstance(body, str) else json.dumps(body)
        self.answers.append((status, text, headers or {}))


@pytest.fixture
def scripted() -> Iterator[Scripted]:
    server = Scripted()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


@pytest.fixture
def client(scripted: Scripted) -> Iterator[Client]:
    with Client(
        base_url=scripted.url, username="me", access_key="k3y", retry=FAST, sleep=lambda s: None
    ) as api:
        yield api


def test_headers_auth_and_json_body(scripted: Scripted, client: Client) -> None:
    scripted.add({"success": True, "test_run": {"identifier": "TR-9", "name": "n"}})
    client.clone_run("PR-1", "TR-1", name="n")
    seen = scripted.seen[0]
    assert seen["method"] == "POST"
    assert seen["path"] == "/api/v2/projects/PR-1/test-runs/TR-1/clone"
    assert seen["headers"]["User-Agent"] == f"pytest-bstm/{__version__}"
    assert seen["headers"]["Authorization"] == "Basic bWU6azN5"  # me:k3y
    assert seen["headers"]["Content-Type"] == "application/json"
    assert seen["body"] == {"test_case_selection": "all", "name": "n"}


def test_custom_user_agent(scripted: Scripted) -> None:
    scripted.add({"success": True, "projects": [], "info": {"next": None}})
    with Client(base_url=scripted.url, username="u", access_key="k", user_agent="ci/1") as api:
        assert list(api.iter_projects()) == []
    assert scripted.seen[0]["headers"]["User-Agent"] == "ci/1"


def test_trailing_commas_are_tolerated(scripted: Scripted, client: Client) -> None:
    scripted.add('{"success": true, "testrun": {"identifier": "TR-3", "tags": ["a",],},}')
    run = client.create_run("PR-1", _new_run())
    assert run.identifier == "TR-3"
    assert run.tags == ["a"]


def test_run_read_from_testrun_or_test_run(scripted: Scripted, client: Client) -> None:
    scripted.add({"success": True, "testrun": {"identifier": "TR-1"}})
    scripted.add({"success": True, "test_run": {"identifier": "TR-2", "urls": {"self": "u"}}})
    assert client.close_run("PR-1", "TR-1").identifier == "TR-1"
    second = client.close_run("PR-1", "TR-2")
    assert second.identifier == "TR-2"
    assert second.web_url == "u"


def test_patch_answer_without_identifier(scripted: Scripted, client: Client) -> None:
    scripted.add({"success": True, "testrun": {"name": "renamed", "run_state": "new"}})
    run = client.update_run("PR-1", "TR-7", name="renamed")
    assert run.identifier == "TR-7"
    assert run.run_state == "new"
    assert scripted.seen[0]["body"] == {"test_run": {"name": "renamed"}}


def test_run_at_the_top_level_of_an_answer(scripted: Scripted, client: Client) -> None:
    scripted.add({"success": True, "identifier": "TR-4", "name": "top", "message": "created"})
    scripted.add({"success": True, "name": "renamed"})  # a PATCH answer: changed fields only
    run = client.create_run("PR-1", _new_run())
    assert (run.identifier, run.name) == ("TR-4", "top")
    assert "message" not in run.model_dump()
    assert client.update_run("PR-1", "TR-4", name="renamed").identifier == "TR-4"


def test_case_changes_fall_back_on_405_and_keep_the_path(
    scripted: Scripted, client: Client
) -> None:
    scripted.add({"success": False, "message": "Method not allowed"}, status=405)
    scripted.add({"success": True, "async": True, "unique_id": "u-1"}, status=202)
    scripted.add({"success": True, "async": True, "unique_id": "u-2"}, status=202)
    add = [models.CaseSelection(test_case_ids=["TC-1"])]
    assert client.update_test_cases("PR-1", "TR-1", add=add) == ["u-1"]
    assert client.update_test_cases("PR-1", "TR-1", remove=add) == ["u-2"]
    assert [seen["path"].rsplit("/", 1)[-1] for seen in scripted.seen] == [
        "update-test-cases",
        "test-cases",
        "test-cases",
    ]
    assert scripted.seen[0]["body"] == scripted.seen[1]["body"]


def test_success_false_in_2xx_is_an_error(scripted: Scripted, client: Client) -> None:
    scripted.add({"success": False, "error": "closed_run", "message": "Run is closed"})
    with pytest.raises(errors.ApiError) as info:
        client.close_run("PR-1", "TR-1")
    assert type(info.value) is errors.ApiError
    assert info.value.status == 200
    assert info.value.error == "closed_run"
    assert info.value.message == "Run is closed"


def test_html_error_page_is_retried_then_reported(scripted: Scripted, client: Client) -> None:
    for _ in range(3):
        scripted.add("<html><body>Bad   gateway</body></html>", status=502)
    with pytest.raises(errors.ServerError) as info:
        client.get_run_minified("PR-1", "TR-1")
    assert info.value.status == 502
    assert "Bad gateway" in info.value.message
    assert len(scripted.seen) == 3


def test_retry_after_http_date(scripted: Scripted) -> None:
    waits: list[float] = []
    client = Client(
        base_url=scripted.url,
        username="me",
        access_key="k3y",
        retry=RetryPolicy(attempts=2, deadline=60.0),
        sleep=waits.append,
    )
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    scripted.add({"success": False}, status=429, headers={"Retry-After": when})
    scripted.add({"success": True, "projects": [{"identifier": "PR-1"}], "info": {"next": None}})
    assert [p.identifier for p in client.iter_projects()] == ["PR-1"]
    assert len(waits) == 1
    assert 15 <= waits[0] <= 21


def test_unexpected_shapes_are_api_errors(scripted: Scripted, client: Client) -> None:
    scripted.add([1, 2, 3])
    scripted.add({"success": True, "testrun": {"name": "no identifier"}})
    scripted.add("not json at all")
    with pytest.raises(errors.ApiError, match="expected a JSON object"):
        client.get_run_minified("PR-1", "TR-1")
    with pytest.raises(errors.ApiError, match="unexpected answer") as info:
        client.create_run("PR-1", _new_run())
    assert info.value.error == "invalid_response"
    with pytest.raises(errors.ApiError, match="not json at all"):
        client.get_run_minified("PR-1", "TR-1")


def test_pagination_that_does_not_advance_stops(scripted: Scripted, client: Client) -> None:
    scripted.add({"success": True, "projects": [{"identifier": "PR-1"}], "info": {"next": 2}})
    scripted.add({"success": True, "projects": [{"identifier": "PR-2"}], "info": {"next": 1}})
    with pytest.raises(errors.ApiError, match="did not advance"):
        list(client.iter_projects())
    assert [s["path"] for s in scripted.seen] == [
        "/api/v2/projects?p=1&page_size=30",
        "/api/v2/projects?p=2&page_size=30",
    ]


def test_result_status_read_from_result_status(scripted: Scripted, client: Client) -> None:
    scripted.add(
        {
            "success": True,
            "test-results": [
                {"id": 5, "test_case_id": "TC-1", "result_status": {"field_value": "Passed"}},
                {"id": 6, "test_case_id": "TC-2", "status": "Failed", "issues": None},
            ],
            "info": {"page": 1, "next": None},
        }
    )
    results = list(client.iter_results("PR-1", "TR-1"))
    assert [(r.id, r.status) for r in results] == [(5, "Passed"), (6, "Failed")]


def test_lenient_nulls_and_extra_fields(scripted: Scripted, client: Client) -> None:
    scripted.add(
        {
            "success": True,
            "test_run": {
                "identifier": "TR-1",
                "tags": None,
                "configurations": [{"id": 101, "name": "Chrome"}],
                "overall_progress": None,
                "brand_new_field": {"x": 1},
                "test_cases": [{"identifier": "TC-1", "latest_status": "Passed"}],
            },
        }
    )
    run = client.get_run("PR-1", "TR-1")
    assert run.tags == []
    assert run.configurations == [101]
    assert run.model_extra == {"brand_new_field": {"x": 1}}
    assert run.test_cases[0].latest_status == "Passed"


def _new_run() -> models.NewTestRun:
    return models.NewTestRun(name="n")

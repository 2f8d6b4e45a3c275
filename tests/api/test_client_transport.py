"""Client transport behaviour against the emulator: retries, ambiguity, error mapping, secrets."""

from __future__ import annotations

import base64
import logging
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pytest_bstm.api import Client, RetryPolicy, errors, models
from pytest_bstm.emulator import Emulator

FAST = RetryPolicy(attempts=4, backoff=0.01, backoff_max=0.02, deadline=5.0)


def make_client(emu: Emulator, **kwargs: Any) -> Client:
    options: dict[str, Any] = {
        "base_url": emu.url,
        "username": emu.username,
        "access_key": emu.access_key,
        "timeout": 5.0,
        "retry": FAST,
    }
    options.update(kwargs)
    return Client(**options)


@pytest.fixture
def sleeps() -> list[float]:
    """The client's waits between attempts, recorded instead of slept (``sleep=`` seam)."""
    return []


@pytest.fixture
def client(emulator: Emulator, request: pytest.FixtureRequest) -> Iterator[Client]:
    """A client of the emulator; a test that also asks for ``sleeps`` gets no real waits."""
    options: dict[str, Any] = {}
    if "sleeps" in request.fixturenames:
        options["sleep"] = request.getfixturevalue("sleeps").append
    with make_client(emulator, **options) as api:
        yield api


def api_calls(emu: Emulator, fragment: str = "") -> list[dict[str, object]]:
    return [r for r in emu.requests if fragment in str(r["path"])]


# ---------------------------------------------------------------- retries


def test_retries_503_then_succeeds(emulator: Emulator, client: Client, sleeps: list[float]) -> None:
    emulator.faults.fail(status=503, times=2)
    projects = list(client.iter_projects())
    assert "PR-1" in [p.identifier for p in projects]
    assert len(sleeps) == 2
    assert all(0 <= s <= FAST.backoff_max for s in sleeps)
    assert [r["status"] for r in api_calls(emulator, "/projects")] == [503, 503, 200]


def test_retries_post_create_after_5xx(emulator: Emulator, client: Client) -> None:
    emulator.faults.fail(status=500, times=1, methods=["POST"])
    run = client.create_run("PR-1", models.NewTestRun(name="after 500", test_cases=["TC-1"]))
    assert [r["identifier"] for r in emulator.runs(project_id="PR-1")] == [run.identifier]


def test_429_honours_retry_after(emulator: Emulator, client: Client, sleeps: list[float]) -> None:
    emulator.faults.fail(status=429, times=1, retry_after=3)
    assert list(client.iter_configurations())
    assert sleeps == [3.0]


def test_429_retry_after_beyond_deadline_gives_up_at_once(
    emulator: Emulator, client: Client, sleeps: list[float]
) -> None:
    emulator.faults.fail(status=429, times=5, retry_after=600)
    with pytest.raises(errors.RateLimitError) as info:
        list(client.iter_projects())
    assert sleeps == []
    assert "300 requests per minute" in str(info.value)
    assert info.value.status == 429


def test_attempts_exhausted_raises_server_error(
    emulator: Emulator, client: Client, sleeps: list[float]
) -> None:
    emulator.faults.fail(status=502, times=50)
    with pytest.raises(errors.ServerError) as info:
        client.get_run_minified("PR-1", "TR-1")
    assert info.value.status == 502
    assert info.value.attempts == FAST.attempts
    assert len(api_calls(emulator, "/test-runs/TR-1")) == FAST.attempts
    assert len(sleeps) == FAST.attempts - 1
    assert f"after {FAST.attempts} attempts" in str(info.value)


def test_deadline_bounds_retries(emulator: Emulator) -> None:
    policy = RetryPolicy(attempts=1000, backoff=0.05, backoff_max=0.05, deadline=0.4, jitter=False)
    emulator.faults.fail(status=503, times=10_000)
    with make_client(emulator, retry=policy) as api:
        started = time.monotonic()
        with pytest.raises(errors.ServerError) as info:
            list(api.iter_projects())
        elapsed = time.monotonic() - started
    assert elapsed < 2.0
    assert 2 <= info.value.attempts < 20


def test_408_is_retried(emulator: Emulator, client: Client, sleeps: list[float]) -> None:
    emulator.faults.fail(status=408, times=1)
    assert list(client.iter_projects())
    assert len(sleeps) == 1


def test_400_is_not_retried(emulator: Emulator, client: Client, sleeps: list[float]) -> None:
    emulator.faults.fail(status=400, times=3)
    with pytest.raises(errors.BadRequestError):
        list(client.iter_projects())
    assert sleeps == []
    assert len(api_calls(emulator, "/projects")) == 1


# ---------------------------------------------------------------- ambiguity


def test_dropped_create_is_ambiguous_and_not_repeated(emulator: Emulator, client: Client) -> None:
    emulator.faults.drop(times=1, after_processing=True, methods=["POST"])
    with pytest.raises(errors.AmbiguousRequestError) as info:
        client.create_run("PR-1", models.NewTestRun(name="maybe", test_cases=["TC-1"]))
    assert isinstance(info.value, errors.TransportError)
    assert info.value.method == "POST"
    assert "not retried" in str(info.value)
    runs = emulator.runs(project_id="PR-1")
    assert [r["name"] for r in runs] == ["maybe"]


def test_dropped_results_post_is_ambiguous(emulator: Emulator, client: Client) -> None:
    run = client.create_run("PR-1", models.NewTestRun(name="r", test_cases=["TC-1"]))
    emulator.faults.drop(times=1, after_processing=True, path_contains="/results")
    with pytest.raises(errors.AmbiguousRequestError):
        client.add_results(
            "PR-1", run.identifier, [models.ResultIn(test_case_id="TC-1", status="passed")]
        )
    assert len(emulator.results(run.identifier)) == 1


def test_dropped_clone_is_ambiguous(emulator: Emulator, client: Client) -> None:
    run = client.create_run("PR-1", models.NewTestRun(name="src", test_cases=["TC-1"]))
    emulator.faults.drop(times=1, after_processing=True, path_contains="/clone")
    with pytest.raises(errors.AmbiguousRequestError):
        client.clone_run("PR-1", run.identifier)
    assert len(emulator.runs(project_id="PR-1")) == 2


def test_dropped_idempotent_calls_are_retried(
    emulator: Emulator, client: Client, sleeps: list[float]
) -> None:
    run = client.create_run("PR-1", models.NewTestRun(name="r", test_cases=["TC-1"]))
    emulator.faults.drop(times=1, after_processing=True, path_contains="/close")
    closed = client.close_run("PR-1", run.identifier)
    assert closed.identifier == run.identifier
    assert emulator.run(run.identifier)["active_state"] == "closed"
    emulator.faults.drop(times=1, methods=["GET"])
    assert client.get_run_minified("PR-1", run.identifier).identifier == run.identifier
    assert len(sleeps) == 2


def test_read_timeout_on_create_is_ambiguous(emulator: Emulator) -> None:
    emulator.faults.latency(1.0, times=1)
    with make_client(emulator, timeout=0.2) as api, pytest.raises(errors.AmbiguousRequestError):
        api.create_run("PR-1", models.NewTestRun(name="slow", test_cases=["TC-1"]))
    assert emulator.wait_idle(timeout=5.0)


def test_read_timeout_on_get_is_retried(emulator: Emulator) -> None:
    emulator.faults.latency(1.0, times=1)
    with make_client(emulator, timeout=0.3) as api:
        assert list(api.iter_projects())


def test_service_down_raises_transport_error(emulator: Emulator, client: Client) -> None:
    emulator.faults.down(True)
    try:
        with pytest.raises(errors.TransportError) as info:
            client.create_run("PR-1", models.NewTestRun(name="down"))
    finally:
        emulator.faults.down(False)
    assert not isinstance(info.value, errors.AmbiguousRequestError)
    assert info.value.attempts == FAST.attempts
    host = emulator.url.removeprefix("http://")
    assert re.fullmatch(
        rf"{re.escape(host)} refused the connection \(4 attempts over \d+\.\d s\)",
        str(info.value),
    )
    assert emulator.runs(project_id="PR-1") == []


def test_unresolvable_host_is_one_line_naming_dns() -> None:
    policy = RetryPolicy(attempts=2, backoff=0.01, backoff_max=0.01, jitter=False)
    with (
        Client(
            base_url="https://tm.example.invalid", username="u", access_key="k", retry=policy
        ) as api,
        pytest.raises(errors.TransportError) as info,
    ):
        list(api.iter_projects())
    message = str(info.value)
    assert message.startswith("tm.example.invalid could not be resolved (DNS) (2 attempts over ")
    assert "HTTPSConnectionPool" not in message
    assert "\n" not in message


def test_refused_post_is_retried_once_service_is_back(emulator: Emulator) -> None:
    def back_up(seconds: float) -> None:
        emulator.faults.down(False)

    client = make_client(emulator, sleep=back_up)
    emulator.faults.down(True)
    with client:
        run = client.create_run("PR-1", models.NewTestRun(name="second try", test_cases=["TC-1"]))
    assert [r["identifier"] for r in emulator.runs(project_id="PR-1")] == [run.identifier]


# ---------------------------------------------------------------- errors and success:false


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, errors.BadRequestError),
        (401, errors.AuthenticationError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (409, errors.ApiError),
        (429, errors.RateLimitError),
        (500, errors.ServerError),
    ],
)
def test_status_maps_to_error_type(
    emulator: Emulator, status: int, error_type: type[errors.ApiError]
) -> None:
    emulator.faults.fail(status=status, times=10)
    api = make_client(emulator, retry=RetryPolicy(attempts=1))
    with api, pytest.raises(error_type) as info:
        list(api.iter_projects())
    assert type(info.value) is error_type
    assert info.value.status == status
    assert info.value.path == "/api/v2/projects"
    assert info.value.method == "GET"


def test_wrong_credentials_message_says_what_to_check(emulator: Emulator) -> None:
    api = make_client(emulator, access_key="not-the-key")
    with api, pytest.raises(errors.AuthenticationError) as info:
        list(api.iter_projects())
    assert "BROWSERSTACK_USERNAME" in str(info.value)
    assert "BROWSERSTACK_ACCESS_KEY" in str(info.value)


def test_secret_never_leaks(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "SeCrEt-AcCeSs-KeY-4242"
    token = base64.b64encode(f"leaky:{secret}".encode()).decode()
    caught: list[BaseException] = []
    caplog.set_level(logging.DEBUG)
    with Emulator(username="leaky", access_key=secret) as emu:
        one_try = RetryPolicy(attempts=2, backoff=0.0, deadline=2.0)

        def good(**kwargs: object) -> Client:
            return make_client(emu, retry=one_try, **kwargs)

        def expect(error_type: type[BaseException], action: Callable[[], object]) -> None:
            with pytest.raises(error_type) as info:
                action()
            caught.append(info.value)

        with good() as api:
            expect(errors.InvalidRequestError, lambda: api.list_runs("PR-1", page_size=7))
            expect(errors.NotFoundError, lambda: api.get_run("PR-1", "TR-404"))
            emu.faults.fail(status=400, times=1)
            expect(errors.BadRequestError, lambda: list(api.iter_projects()))
            emu.faults.clear()
            emu.faults.fail(status=403, times=1)
            expect(errors.PermissionDeniedError, lambda: list(api.iter_projects()))
            emu.faults.clear()
            emu.faults.fail(status=409, times=1)
            expect(errors.ApiError, lambda: list(api.iter_projects()))
            emu.faults.clear()
            emu.faults.fail(status=429, times=5)
            expect(errors.RateLimitError, lambda: list(api.iter_projects()))
            emu.faults.clear()
            emu.faults.fail(status=503, times=5)
            expect(errors.ServerError, lambda: list(api.iter_projects()))
            emu.faults.clear()
            emu.faults.drop(times=1, after_processing=True, methods=["POST"])
            expect(
                errors.AmbiguousRequestError,
                lambda: api.create_run("PR-1", models.NewTestRun(name="x")),
            )
            emu.faults.down(True)
            expect(errors.TransportError, lambda: list(api.iter_projects()))
            emu.faults.down(False)
            caught.append(AssertionError(repr(api)))
            caught.append(AssertionError(repr(api._session.auth)))
            caught.append(AssertionError(repr(api._session)))
        with make_client(emu, access_key=secret + "-wrong") as api:
            expect(errors.AuthenticationError, lambda: list(api.iter_projects()))
        monkeypatch.delenv("BROWSERSTACK_USERNAME", raising=False)
        monkeypatch.setenv("BROWSERSTACK_ACCESS_KEY", secret)
        expect(errors.CredentialsMissingError, lambda: Client(base_url=emu.url))
    assert len(caught) == 14
    for exc in caught:
        chain: BaseException | None = exc
        while chain is not None:
            for text in (str(chain), repr(chain), *map(str, chain.args)):
                assert secret not in text
                assert token not in text
            chain = chain.__cause__ or chain.__context__
    assert secret not in caplog.text
    assert token not in caplog.text


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("tls", r"TLS with {host} failed \(.+\): check the URL"),
        ("slow", r"{host} did not answer within 0\.3 s \(2 attempts over .+ s\)"),
        ("drop", r"{host} closed the connection without an answer \(2 attempts over .+ s\)"),
    ],
)
def test_failures_without_an_answer_are_one_root_cause_line(
    emulator: Emulator, fault: str, expected: str
) -> None:
    host = emulator.url.removeprefix("http://")
    url = emulator.url
    if fault == "tls":
        url = url.replace("http://", "https://")  # the emulator speaks plain HTTP
    elif fault == "slow":
        emulator.faults.latency(1.0, times=2)
    else:
        emulator.faults.drop(times=2)
    retry = RetryPolicy(attempts=2, backoff=0.01, backoff_max=0.01, jitter=False)
    client = make_client(emulator, base_url=url, timeout=0.3, retry=retry)
    with client as api, pytest.raises(errors.TransportError) as info:
        list(api.iter_projects())
    assert re.fullmatch(expected.format(host=re.escape(host)), str(info.value)), info.value
    deadline = time.monotonic() + 5.0
    while fault == "slow" and len(emulator.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # the late answers land here, not in the next test's request log

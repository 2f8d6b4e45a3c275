"""Client construction: credentials, base URL, and the environment read once."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from pytest_bstm.api import DEFAULT_BASE_URL, Client, RetryPolicy, errors, models
from pytest_bstm.emulator import Emulator

FAST = RetryPolicy(attempts=3, backoff=0.01, backoff_max=0.02, deadline=5.0)
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
CA_VARS = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No proxy or CA bundle variables set."""
    for name in (*PROXY_VARS, *CA_VARS, "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def make_client(emu: Emulator, **kwargs: object) -> Client:
    return Client(
        base_url=emu.url,
        username=emu.username,
        access_key=emu.access_key,
        timeout=5.0,
        retry=FAST,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.usefixtures("clean_env")
def test_default_base_url() -> None:
    assert DEFAULT_BASE_URL == "https://test-management.browserstack.com"
    with Client(username="u", access_key="k") as api:
        assert api.base_url == DEFAULT_BASE_URL
        assert api.timeout == 30.0
        assert api.retry == RetryPolicy()


def test_credentials_from_environment(emulator_env: Emulator) -> None:
    with Client(base_url=emulator_env.url + "/", retry=FAST) as api:
        assert [p.identifier for p in api.iter_projects()][:1] == ["PR-1"]


def test_missing_credentials_name_both_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BROWSERSTACK_USERNAME", raising=False)
    monkeypatch.delenv("BROWSERSTACK_ACCESS_KEY", raising=False)
    with pytest.raises(errors.CredentialsMissingError) as info:
        Client(username="someone")
    assert "BROWSERSTACK_USERNAME" in str(info.value)
    assert "BROWSERSTACK_ACCESS_KEY" in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://test-management.browserstack.com",
        "http://test-management.browserstack.com",
        "https://user:pw@test-management.browserstack.com",
        "test-management.browserstack.com",
    ],
)
def test_bad_base_urls_rejected(url: str) -> None:
    with pytest.raises(errors.InvalidRequestError):
        Client(base_url=url, username="u", access_key="k")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://test-management-eu.browserstack.com/",
            "https://test-management-eu.browserstack.com",
        ),
        (
            "https://test-management.browserstack.com/api/v2/",
            "https://test-management.browserstack.com",
        ),
        ("http://localhost:8765", "http://localhost:8765"),
        ("http://[::1]:8765/", "http://[::1]:8765"),
    ],
)
def test_base_url_normalised(url: str, expected: str) -> None:
    with Client(base_url=url, username="u", access_key="k") as api:
        assert api.base_url == expected


def test_environment_changes_after_construction_are_ignored(
    emulator: Emulator, clean_env: pytest.MonkeyPatch
) -> None:
    monkeypatch = clean_env
    with make_client(emulator) as api:
        for name in PROXY_VARS:
            monkeypatch.setenv(name, "http://127.0.0.1:9")
        monkeypatch.setenv("NO_PROXY", "")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
        monkeypatch.setenv("PYTEST_CURRENT_TEST", "changed")
        assert [p.identifier for p in api.iter_projects()][:1] == ["PR-1"]
        run = api.create_run("PR-1", models.NewTestRun(name="env", test_cases=["TC-1"]))
    assert emulator.run(run.identifier)["name"] == "env"


def test_proxy_resolved_at_construction_is_kept(clean_env: pytest.MonkeyPatch) -> None:
    monkeypatch = clean_env
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # nothing listens there
    with Client(username="u", access_key="k", retry=RetryPolicy(attempts=1), timeout=2.0) as api:
        monkeypatch.delenv("HTTPS_PROXY")
        with pytest.raises(errors.TransportError) as info:
            list(api.iter_projects())
    assert isinstance(info.value.__cause__, requests.exceptions.ProxyError)


def test_loopback_hosts_bypass_proxies(emulator: Emulator, clean_env: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARS:
        clean_env.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    with make_client(emulator) as api:
        assert [p.identifier for p in api.iter_projects()][:1] == ["PR-1"]


def test_ca_bundle_resolved_once(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> None:
    monkeypatch = clean_env
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    with Client(username="u", access_key="k") as api:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "other.pem"))
        assert api._session.verify == str(bundle)
        assert api._session.trust_env is False
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    with Client(username="u", access_key="k") as api:
        assert api._session.verify is True
    monkeypatch.setenv("CURL_CA_BUNDLE", str(tmp_path / "missing.pem"))
    with pytest.raises(errors.InvalidRequestError, match="CURL_CA_BUNDLE"):
        Client(username="u", access_key="k")


def test_non_positive_timeout_rejected() -> None:
    with pytest.raises(errors.InvalidRequestError):
        Client(username="u", access_key="k", timeout=0)

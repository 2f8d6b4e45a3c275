"""Bad input the service refuses, the hooks around the run, and the CI build URL."""

from __future__ import annotations

import pytest
from bstm_helpers import Inner

from pytest_bstm.results.ci import build_url

ONE = """
import pytest

@pytest.mark.tc("TC-1")
def test_one():
    pass
"""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--bstm-test-plan", "TP-99"],
            "error:*could not create the run: the service refused it*TP-99*: "
            "check --bstm-test-plan",
        ),
        (
            ["--bstm-configurations", "999"],
            "error:*could not create the run: *999*: check --bstm-configurations*",
        ),
        (
            ["--bstm-clone", "TR-404"],
            "error:*could not clone run TR-404: it is not in PR-1 (HTTP 404*: check --bstm-clone",
        ),
    ],
)
def test_references_the_service_refuses_are_reported(
    inner: Inner, args: list[str], message: str
) -> None:
    inner.pytester.makepyfile(ONE)
    result = inner.run(*args)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines([message])
    assert inner.emulator.runs("PR-1") == []


def test_unknown_project_hints_at_the_region(inner: Inner) -> None:
    inner.pytester.makepyfile(ONE)
    result = inner.run(project="PR-999")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "error:*could not create the run: project PR-999 not found (HTTP 404*; these "
            "credentials see PR-1, PR-2): check --bstm-project, and --bstm-url for the "
            "project's region"
        ]
    )
    assert "404" not in result.stdout.str().split("error:")[1].split("region")[1]


def test_permission_denied_says_so(inner: Inner) -> None:
    inner.pytester.makepyfile(ONE)
    inner.emulator.faults.fail(status=403, times=1)
    result = inner.run()
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["error:*may not write to PR-1 (HTTP 403)*"])


def test_run_hooks_fire_in_order_and_can_edit_the_payload(inner: Inner) -> None:
    inner.pytester.makeconftest(
        """
        events = []

        def pytest_bstm_run_payload(config, payload):
            payload["tags"] = ["from-hook"]

        def pytest_bstm_run_ready(config, run):
            events.append(("ready", run.run_id, run.created))

        def pytest_bstm_session_finished(config, run, summary):
            events.append(("finished", run.run_id, sum(summary.uploaded.values()), summary.closed))
            print("EVENTS", events)
        """
    )
    inner.pytester.makepyfile(ONE)
    result = inner.run("-s")
    run = inner.only_run()
    assert run["tags"] == ["from-hook"]
    rid = run["identifier"]
    expected = f"EVENTS [('ready', '{rid}', True), ('finished', '{rid}', 1, True)]"
    assert expected in result.stdout.str()


@pytest.mark.parametrize(
    ("env", "url"),
    [
        ({}, None),
        ({"BSTM_BUILD_URL": "https://ci/x", "BUILD_URL": "https://j/1"}, "https://ci/x"),
        (
            {"GITHUB_RUN_ID": "9", "GITHUB_REPOSITORY": "o/r"},
            "https://github.com/o/r/actions/runs/9",
        ),
        ({"CI_JOB_URL": "https://gitlab/j/3"}, "https://gitlab/j/3"),
        ({"BUILD_URL": "https://jenkins/job/5/"}, "https://jenkins/job/5/"),
        ({"TRAVIS_BUILD_WEB_URL": "https://travis/b/1"}, "https://travis/b/1"),
        (
            {
                "SYSTEM_COLLECTIONURI": "https://dev.azure.com/o/",
                "SYSTEM_TEAMPROJECT": "p",
                "BUILD_BUILDID": "4",
            },
            "https://dev.azure.com/o/p/_build/results?buildId=4",
        ),
    ],
)
def test_build_url_from_ci_variables(env: dict[str, str], url: str | None) -> None:
    assert build_url(env) == url


def test_build_url_lands_in_the_description(inner: Inner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI_JOB_URL", "https://gitlab.example.com/p/-/jobs/77")
    inner.pytester.makepyfile(ONE)
    inner.run()
    rid = inner.only_run()["identifier"]
    assert "Build: https://gitlab.example.com/p/-/jobs/77" in inner.descriptions(rid)["TC-1"]

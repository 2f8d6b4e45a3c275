"""The CI build URL, from the variables the usual CI services set."""

from __future__ import annotations

from collections.abc import Mapping


def build_url(env: Mapping[str, str]) -> str | None:
    """Return the web URL of the current CI build, or None outside CI."""
    if env.get("BSTM_BUILD_URL"):
        return env["BSTM_BUILD_URL"]
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        return f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
    for name in ("CI_JOB_URL", "BUILD_URL", "CIRCLE_BUILD_URL", "BUILDKITE_BUILD_URL"):
        if env.get(name):
            return env[name]
    if env.get("TRAVIS_BUILD_WEB_URL"):
        return env["TRAVIS_BUILD_WEB_URL"]
    if env.get("SYSTEM_COLLECTIONURI") and env.get("BUILD_BUILDID"):
        project = env.get("SYSTEM_TEAMPROJECT", "")
        return (
            f"{env['SYSTEM_COLLECTIONURI']}{project}/_build/results?buildId={env['BUILD_BUILDID']}"
        )
    return None

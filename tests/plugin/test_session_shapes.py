"""The session-shapes table (issue 9): every shape a pytest session takes, and what TM holds after.

Each row (``shapes_*.py`` beside this file) is a small suite, pytest's arguments
and plugins, and the exact expected emulator state: whether any request was made, the one result
per case and its status, what the descriptions name, the summary lines. The exit code must be
the one plain pytest gives for the same suite and arguments (the plugin loaded, reporting off).
"""

from __future__ import annotations

import shutil
import textwrap
import time

import pytest
import shapes_cases
import shapes_outcomes
import shapes_plugins
import shapes_repeats
import shapes_sessions
from bstm_helpers import Inner
from shapes_row import Row

from pytest_bstm import compat
from pytest_bstm.api import Client, models

ROWS = (
    shapes_outcomes.ROWS
    + shapes_cases.ROWS
    + shapes_sessions.ROWS
    + shapes_plugins.ROWS
    + shapes_repeats.ROWS
)
IN_PROCESS_SECONDS = 7.5  # a stalled upload waits for --bstm-drain-timeout (8 s): longer
DRAIN = ("--bstm-drain-timeout", "8")


def _session(
    inner: Inner,
    row: Row,
    *,
    report: bool,
    joined: str | None = None,
    pytest_args: tuple[str, ...] | None = None,
) -> pytest.RunResult:
    """One session of ``row``: reporting (into ``joined`` when given), or plain pytest with
    the plugin loaded and reporting off."""
    bstm = [a.replace("{run}", joined or "") for a in (*row.bstm, *DRAIN)] if report else []
    plugins = [arg for name in row.plugins for arg in ("-p", name)]
    pytest_args = row.args if pytest_args is None else pytest_args
    args = inner.args(*plugins, *pytest_args, *bstm, project=row.project if report else None)
    if row.cache:
        at = args.index("no:cacheprovider")
        del args[at - 1 : at + 1]
    if not report:
        args.append("--bstm-project=")  # off even where the suite's ini file turns it on
    if row.subprocess:
        return inner.pytester.runpytest_subprocess(*args, timeout=120)
    return inner.pytester.runpytest_inprocess(*args, no_reraise_ctrlc=True)


def _join(inner: Inner, cases: tuple[str, ...]) -> str:
    emu = inner.emulator
    with Client(base_url=emu.url, username=emu.username, access_key=emu.access_key) as client:
        run = client.create_run("PR-1", models.NewTestRun(name="shard", test_cases=list(cases)))
    return run.identifier


def _check_emulator(
    inner: Inner, row: Row, result: pytest.RunResult, joined: str | None, seen: int
) -> str | None:
    """Assert the emulator's state after the reporting session; return the run's ID."""
    if not row.expect_run:
        made = inner.emulator.requests[seen:]  # a joined run was made before the session
        assert made == [], [(r["method"], r["path"]) for r in made]
        assert len(inner.emulator.runs("PR-1")) == (joined is not None)
        return None
    run = inner.only_run()
    rid = str(run["identifier"])
    if joined is not None:
        assert rid == joined
    assert inner.statuses(rid) == {(case, None): s for case, s in row.results.items()}, (
        result.stdout.str()
    )
    descriptions = inner.descriptions(rid)
    lacking = {
        case: (missing, descriptions[case])
        for case, parts in row.descriptions.items()
        if (missing := [part for part in parts if part not in descriptions[case]])
    }
    assert not lacking, "descriptions lack some parts: case -> (missing, description)"
    if row.run_cases is not None:
        held = sorted(c["test_case_id"] for c in inner.emulator.run_cases(rid))
        assert held == sorted(row.run_cases)
    result.stdout.fnmatch_lines([f"results:*{len(row.results)} uploaded*"])
    if row.closed is not None:
        assert (run["active_state"] == "closed") is row.closed, run["active_state"]
    return rid


def _check_summary(row: Row, result: pytest.RunResult) -> None:
    for bad in ("waiting:*", "error:*", "rejected:*"):
        result.stdout.no_fnmatch_line(bad)
    if row.not_run:
        cases = "1 case" if row.not_run == 1 else f"{row.not_run} cases"
        result.stdout.fnmatch_lines([f"not run:*{cases}*"])
    else:
        result.stdout.no_fnmatch_line("not run:*")
    if row.summary:
        result.stdout.fnmatch_lines(list(row.summary))


# rows whose expectation is a feature of a pytest release, not of pytest-bstm
NEEDS = {
    "subtest": (
        not compat.SUBTEST_REPORTS,
        "the subtests fixture and unittest subTest reports are pytest 9's own",
    ),
}


def _param(row: Row) -> object:
    marks = [
        pytest.mark.skipif(missing, reason=why)
        for part, (missing, why) in NEEDS.items()
        if part in row.id
    ]
    return pytest.param(row, marks=marks, id=row.id)


@pytest.mark.parametrize("row", [_param(row) for row in ROWS])
def test_session_shape(inner: Inner, row: Row) -> None:
    folder = inner.pytester.path
    for name, source in row.files.items():
        (folder / name).write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    joined = _join(inner, row.join) if row.join is not None else None
    seen = len(inner.emulator.requests)
    if row.before is not None:  # a first session (plugin not enabled) fills pytest's cache
        (folder / "broken").touch()
        first = _session(inner, row, report=False, pytest_args=row.before)
        assert first.parseoutcomes().get("failed") == 1, first.stdout.str()
        (folder / "broken").unlink()
        shutil.copytree(folder / ".pytest_cache", folder / "cache-before")

    started = time.monotonic()
    result = _session(inner, row, report=True, joined=joined)
    elapsed = time.monotonic() - started
    rid = _check_emulator(inner, row, result, joined, seen)
    _check_summary(row, result)
    if row.check is not None:
        row.check(folder, rid)
    if not row.subprocess:
        assert elapsed < IN_PROCESS_SECONDS, f"the session took {elapsed:.1f}s"

    if row.before is not None:
        shutil.rmtree(folder / ".pytest_cache")
        shutil.copytree(folder / "cache-before", folder / ".pytest_cache")
    plain = _session(inner, row, report=False)
    assert result.ret == plain.ret, (result.stdout.str(), plain.stdout.str())
    runs = 0 if rid is None and joined is None else 1
    assert len(inner.emulator.runs("PR-1")) == runs  # the plain session made none

"""Attachments at the edges: shards of one run, lost marks, crashes, sessions that send
nothing, many tests on one case, secrets in links. Inner sessions against the emulator."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import bstm_helpers
import pytest
from bstm_helpers import Bstm, Inner

from pytest_bstm.api import Client, models
from pytest_bstm.delivery.journal import read


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def attachments(inner: Inner, rid: str) -> list[dict[str, str]]:
    """(case -> {name: sha256}) for each result, in the order posted."""
    return [
        {"case": r["test_case_id"], **{a["name"]: a["sha256"] for a in r["attachments"]}}
        for r in inner.emulator.results(rid)
    ]


def posts(inner: Inner) -> int:
    return len(
        [r for r in inner.emulator.requests if r["method"] == "POST" and "attach" in r["path"]]
    )


def shard(n: str) -> str:
    return f"""
import pytest

@pytest.mark.tc("TC-1")
def test_shard_{n}(bstm):
    bstm.attach(b"screen of shard {n}", name="shot.png")
"""


def test_a_shards_file_of_the_same_name_goes_to_its_own_result_and_is_not_skipped(
    inner: Inner, bstm: Bstm
) -> None:
    e = inner.emulator
    with Client(base_url=e.url, username=e.username, access_key=e.access_key) as client:
        run_id = client.create_run("PR-1", models.NewTestRun(name="shards")).identifier
    inner.pytester.makepyfile(test_b=shard("b"), test_a=shard("a"))
    e.faults.fail(503, None, methods="POST", path_contains="/attachments")
    b = ("--bstm-run", run_id, "--bstm-journal", "b.jsonl", "--bstm-drain-timeout", "2")
    inner.run("test_b.py", *b).assert_outcomes(passed=1)  # its result sent, its file waits
    e.faults.clear()
    inner.run("test_a.py", "--bstm-run", run_id).assert_outcomes(passed=1)  # the latest result
    code, out, err = bstm("journal", "upload", str(inner.pytester.path / "b.jsonl"))
    assert code == 0, (out, err)
    assert re.search(r"\b1 files? attached", out), out
    assert attachments(inner, run_id) == [
        {"case": "TC-1", "shot.png": sha(b"screen of shard b")},
        {"case": "TC-1", "shot.png": sha(b"screen of shard a")},
    ]


def test_a_replay_after_a_lost_attached_mark_sends_no_file_twice(inner: Inner, bstm: Bstm) -> None:
    e = inner.emulator
    with Client(base_url=e.url, username=e.username, access_key=e.access_key) as client:
        run_id = client.create_run("PR-1", models.NewTestRun(name="joined")).identifier
    inner.pytester.makepyfile(shard("a"))
    inner.run("--bstm-run", run_id, "--bstm-journal", "j.jsonl").assert_outcomes(passed=1)
    journal = inner.pytester.path / "j.jsonl"
    lines = journal.read_text(encoding="utf-8").splitlines()
    assert any(json.loads(line)["type"] == "attaching" for line in lines)
    # the process died after the POST, before its mark (and before removing the copy)
    kept = [line for line in lines if json.loads(line)["type"] != "attached"]
    journal.write_text("\n".join(kept) + "\n", encoding="utf-8")
    copy = next(json.loads(x) for x in lines if json.loads(x)["type"] == "attachment")["file"]
    (inner.pytester.path / copy).parent.mkdir(parents=True, exist_ok=True)
    (inner.pytester.path / copy).write_bytes(b"screen of shard a")
    before = posts(inner)
    code, out, err = bstm("journal", "upload", str(journal))
    assert code == 0, (out, err)
    assert posts(inner) == before  # counted on the result: it landed, it is not sent again
    assert read(journal).unattached() == []
    rid = inner.only_run()["identifier"]
    assert attachments(inner, rid) == [{"case": "TC-1", "shot.png": sha(b"screen of shard a")}]


ATTACHING = """
import pytest

@pytest.fixture
def shot(bstm):
    yield
    bstm.attach(b"teardown", name="teardown.txt")

@pytest.mark.tc("TC-1")
def test_mapped(bstm, shot):
    bstm.attach(b"mapped", name="mapped.txt")
    {stop}

def test_unmapped(bstm):
    bstm.attach(b"unmapped", name="unmapped.txt")
"""


@pytest.mark.parametrize(
    ("stop", "args"),
    [
        ("", ("--setup-only",)),
        ("", ("--collect-only",)),
        ("", ("-k", "unmapped")),
        ("raise KeyboardInterrupt", ()),
        ("pytest.exit('stop here')", ()),
    ],
    ids=["setup-only", "collect-only", "unmapped", "ctrl-c", "pytest-exit"],
)
def test_copies_that_will_never_be_sent_are_not_left_behind(
    inner: Inner, stop: str, args: tuple[str, ...]
) -> None:
    inner.pytester.makepyfile(ATTACHING.replace("{stop}", stop))
    inner.pytester.runpytest_subprocess(*inner.args(*args))  # Ctrl-C: never the outer session's
    assert not (inner.pytester.path / ".bstm").exists()  # no journal, no copy, no folder
    for run in inner.emulator.runs("PR-1"):  # whatever was sent has every file it kept
        for result in inner.emulator.results(run["identifier"]):
            assert {a["name"] for a in result["attachments"]} <= {"mapped.txt", "teardown.txt"}
    if args:  # nothing ran that maps to a case: nothing was written
        assert inner.emulator.runs("PR-1") == []


def test_a_result_dropped_by_the_users_hook_leaves_no_copy(inner: Inner) -> None:
    inner.pytester.makeconftest("def pytest_bstm_result(config, result):\n    return False\n")
    inner.pytester.makepyfile(ATTACHING.replace("{stop}", ""))
    inner.run("-k", "mapped and not unmapped").assert_outcomes(passed=1)
    assert not (inner.pytester.path / ".bstm").exists()


CRASH = """
import os
import pytest

@pytest.mark.tc("TC-1")
def test_dies(bstm):
    bstm.attach(b"last screen", name="last.png")
    bstm.link("https://ci.example.com/7", label="CI")
    os._exit(3)
"""


def test_a_crashed_tests_files_reach_its_crash_result_once(inner: Inner, bstm: Bstm) -> None:
    inner.pytester.makepyfile(test_crash=CRASH)
    result = inner.pytester.runpytest_subprocess(*inner.args("--bstm-journal", "j.jsonl"))
    assert result.ret == 3
    journal = inner.pytester.path / "j.jsonl"
    bstm_helpers.wait_until(lambda: read(journal).closed)  # its sender finished the journal
    code, out, _ = bstm("journal", "upload", str(journal))
    assert code == 0
    assert "nothing to upload" in out
    rid = inner.only_run()["identifier"]
    assert inner.statuses(rid) == {("TC-1", None): "failed"}
    assert attachments(inner, rid) == [{"case": "TC-1", "last.png": sha(b"last screen")}]
    assert posts(inner) == 1
    assert not any((inner.pytester.path / "attachments").iterdir())  # the copy was sent


def test_a_test_that_crashed_its_xdist_worker_keeps_its_files(inner: Inner) -> None:
    inner.pytester.makepyfile(test_crash=CRASH)
    result = inner.pytester.runpytest_subprocess(*inner.args("-p", "xdist.plugin", "-n", "2"))
    result.assert_outcomes(failed=1)
    rid = inner.only_run()["identifier"]
    assert inner.statuses(rid) == {("TC-1", None): "failed"}
    assert attachments(inner, rid) == [{"case": "TC-1", "last.png": sha(b"last screen")}]


def test_the_files_of_a_case_on_many_tests_are_named_by_test(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        @pytest.mark.parametrize("browser", ["chrome", "firefox/ESR 128"])
        def test_login(bstm, browser):
            bstm.attach(browser.encode(), name="shot.png")

        @pytest.mark.tc("TC-2")
        def test_alone(bstm):
            bstm.attach(b"alone", name="shot.png")
        """
    )
    inner.run().assert_outcomes(passed=3)
    rid = inner.only_run()["identifier"]
    assert attachments(inner, rid) == [
        {
            "case": "TC-1",
            "test_login_chrome-shot.png": sha(b"chrome"),
            "test_login_firefox_ESR_128-shot.png": sha(b"firefox/ESR 128"),
        },
        {"case": "TC-2", "shot.png": sha(b"alone")},
    ]


def test_link_urls_are_masked_before_the_journal_the_description_and_the_terminal(
    inner: Inner,
) -> None:
    key = inner.emulator.access_key
    inner.pytester.makepyfile(
        """
        import os
        import pytest

        @pytest.mark.tc("TC-1")
        def test_one(bstm):
            key, secret = os.environ["BROWSERSTACK_ACCESS_KEY"], "hunter" + "2"
            url = f"https://bob:{secret}@ci.example.com/job/7?access_key={key}&x=1"
            bstm.link(url + "&Password=" + secret[::-1], "CI")
            assert False
        """
    )
    result = inner.run("--bstm-journal", "j.jsonl", "-v")
    result.assert_outcomes(failed=1)
    rid = inner.only_run()["identifier"]
    description = inner.descriptions(rid)["TC-1"]
    masked = "CI: https://***@ci.example.com/job/7?access_key=***&x=1&Password=***"
    assert masked in description
    journal = (inner.pytester.path / "j.jsonl").read_text(encoding="utf-8")
    for text in (description, journal, result.stdout.str(), result.stderr.str()):
        assert "hunter2" not in text
        assert "2retnuh" not in text
        assert key not in text


def test_copies_are_made_in_the_journals_folder(inner: Inner) -> None:
    """Sanity for the tests above: a session whose upload waits keeps its copies."""
    inner.pytester.makepyfile(shard("a"))
    inner.emulator.faults.fail(503, None, methods="POST", path_contains="/attachments")
    inner.run("--bstm-drain-timeout", "1").assert_outcomes(passed=1)
    inner.emulator.faults.clear()
    copies = list(Path(inner.pytester.path / ".bstm" / "attachments").iterdir())
    assert [c.read_bytes() for c in copies] == [b"screen of shard a"]


def test_a_crash_keeps_the_files_of_earlier_tests_of_its_case(inner: Inner, bstm: Bstm) -> None:
    inner.pytester.makepyfile(
        test_crash="""
        import os
        import pytest

        @pytest.mark.tc("TC-1")
        @pytest.mark.parametrize("n", [1, 2, 3])
        def test_x(bstm, n):
            bstm.attach(f"screen {n}".encode(), name="shot.png")
            if n == 2:
                os._exit(1)
        """
    )
    result = inner.pytester.runpytest_subprocess(*inner.args("--bstm-journal", "j.jsonl"))
    assert result.ret == 1
    journal = inner.pytester.path / "j.jsonl"
    bstm_helpers.wait_until(lambda: read(journal).closed)
    rid = inner.only_run()["identifier"]
    assert inner.statuses(rid) == {("TC-1", None): "failed"}
    got = attachments(inner, rid)[0]
    assert sorted(got.values()) == sorted(["TC-1", sha(b"screen 1"), sha(b"screen 2")])
    assert posts(inner) == 2


def test_a_crash_result_names_every_file_by_its_test(inner: Inner) -> None:
    """The crash result stands for the earlier tests of its case and the one that died: each
    file is named by its test, the earlier tests' too, once each."""
    inner.pytester.makepyfile(
        test_crash="""
        import os
        import pytest

        @pytest.mark.tc("TC-1")
        @pytest.mark.parametrize("n", [1, 2, 3])
        def test_x(bstm, n):
            bstm.attach(f"screen {n}".encode(), name="shot.png")
            if n == 1:
                bstm.attach(b"screen 1 again", name="shot.png")
            if n == 2:
                os._exit(1)
        """
    )
    result = inner.pytester.runpytest_subprocess(*inner.args("--bstm-journal", "j.jsonl"))
    assert result.ret == 1
    journal = inner.pytester.path / "j.jsonl"
    bstm_helpers.wait_until(lambda: read(journal).closed)
    rid = inner.only_run()["identifier"]
    assert attachments(inner, rid) == [
        {
            "case": "TC-1",
            "test_x_1-shot.png": sha(b"screen 1"),
            "test_x_1-shot-2.png": sha(b"screen 1 again"),
            "test_x_2-shot.png": sha(b"screen 2"),
        }
    ]
    assert posts(inner) == 3


def test_a_crash_results_files_keep_their_attaching_marks_on_a_later_read(inner: Inner) -> None:
    """The files of a crash result are named by the journal's reader, not by ``attachment``
    lines: the ``attaching`` mark the sender wrote before each upload (the result and how many
    files of that name it held) still counts on the next read, so that an upload whose
    ``attached`` mark was lost (a kill in between) is found in the result, not repeated."""
    inner.pytester.makepyfile(
        test_crash="""
        import os
        import pytest

        @pytest.mark.tc("TC-1")
        @pytest.mark.parametrize("n", [1, 2])
        def test_x(bstm, n):
            bstm.attach(f"screen {n}".encode(), name="shot.png")
            if n == 2:
                os._exit(1)
        """
    )
    result = inner.pytester.runpytest_subprocess(*inner.args("--bstm-journal", "j.jsonl"))
    assert result.ret == 1
    journal = inner.pytester.path / "j.jsonl"
    bstm_helpers.wait_until(lambda: read(journal).closed)
    assert posts(inner) == 2
    marks = [
        json.loads(line)
        for line in journal.read_text(encoding="utf-8").splitlines()
        if '"type":"attaching"' in line
    ]
    assert len(marks) == 2
    state = read(journal)
    for mark in marks:
        assert state.attachments[mark["id"]]["seen"] == mark["seen"] == 0
        assert state.attachments[mark["id"]]["result"] == mark["result"]

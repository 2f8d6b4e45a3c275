"""``bstm.attach`` and ``bstm.link`` end to end: inner sessions against the emulator."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from bstm_helpers import Bstm, Inner

from pytest_bstm.delivery.journal import read

SUITE = """
import pathlib
import pytest

@pytest.fixture
def screenshot(bstm, tmp_path):
    yield
    shot = tmp_path / "screen.png"
    shot.write_bytes(b"PNG-from-teardown")
    bstm.attach(shot)                      # in the fixture's teardown
    shot.unlink()                          # deleted after attaching: the copy is sent

@pytest.mark.tc("TC-1", "TC-2")
def test_checkout(bstm, screenshot, tmp_path):
    log = tmp_path / "app.log"
    log.write_text("GET /cart 500\\n")
    bstm.attach(log, content_type="text/plain")
    bstm.attach(b'{"cart": []}', name="cart.json")
    bstm.link("https://ci.example.com/job/7", label="CI job")
    assert False, "cart is empty"

@pytest.mark.tc("TC-3")
def test_plain():
    pass
"""


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files(inner: Inner, rid: str) -> dict[str, dict[str, tuple[str, int, str]]]:
    """case -> attachment name -> (content type, size, sha256)."""
    return {
        r["test_case_id"]: {
            a["name"]: (a["content_type"], a["size"], a["sha256"]) for a in r["attachments"]
        }
        for r in inner.emulator.results(rid)
    }


EXPECTED = {
    "app.log": ("text/plain", 14, sha(b"GET /cart 500\n")),
    "cart.json": ("application/json", 12, sha(b'{"cart": []}')),
    "screen.png": ("image/png", 17, sha(b"PNG-from-teardown")),
}


def posts(inner: Inner) -> list[dict[str, Any]]:
    return [r for r in inner.emulator.requests if r["method"] == "POST" and "attach" in r["path"]]


def test_attach_from_test_and_teardown_reaches_every_case_once(inner: Inner) -> None:
    inner.pytester.makepyfile(SUITE)
    result = inner.run()
    result.assert_outcomes(passed=1, failed=1)
    run = inner.only_run()
    rid = run["identifier"]
    assert run["active_state"] == "closed"
    assert files(inner, rid) == {"TC-1": EXPECTED, "TC-2": EXPECTED, "TC-3": {}}
    assert len(posts(inner)) == 6
    description = inner.descriptions(rid)["TC-1"]
    assert "  CI job: https://ci.example.com/job/7" in description
    result.stdout.fnmatch_lines(["evidence:   6 files attached"])
    assert not (inner.pytester.path / ".bstm").exists()  # copies and journal: all sent, gone


@pytest.mark.parametrize("where", ["out/j.jsonl", "./out/deeper/j.jsonl"])
def test_a_relative_journal_in_a_subfolder_keeps_every_file(inner: Inner, where: str) -> None:
    """The copies go next to a journal named by a relative path in a subfolder, and are found
    there (they were looked up relative to the journal's folder twice)."""
    inner.pytester.makepyfile(SUITE)
    result = inner.run("--bstm-journal", where)
    result.assert_outcomes(passed=1, failed=1)
    rid = inner.only_run()["identifier"]
    assert files(inner, rid) == {"TC-1": EXPECTED, "TC-2": EXPECTED, "TC-3": {}}
    result.stdout.fnmatch_lines(["evidence:   6 files attached"])


def test_the_service_down_then_journal_upload_sends_each_file_once(
    inner: Inner, bstm: Bstm
) -> None:
    inner.pytester.makepyfile(SUITE)
    inner.emulator.faults.down(True)
    try:
        result = inner.run("--bstm-journal", "j.jsonl", "--bstm-drain-timeout", "2")
    finally:
        inner.emulator.faults.down(False)
    result.assert_outcomes(passed=1, failed=1)
    journal = inner.pytester.path / "j.jsonl"
    state = read(journal)
    assert len(state.attachments) == 6
    copies = sorted((inner.pytester.path / "attachments").iterdir())
    assert len(copies) == 3 * 2 - 3  # one copy per file; two cases share it
    code, out, _ = bstm("journal", "upload", str(journal), "--dry-run")
    assert code == 0
    assert "would upload 3 results and 6 attached files to a new run" in out
    code, out, err = bstm("journal", "upload", str(journal), "--url", inner.emulator.url)
    assert code == 0, (out, err)
    assert "6 files attached" in out
    rid = inner.only_run()["identifier"]
    assert files(inner, rid) == {"TC-1": EXPECTED, "TC-2": EXPECTED, "TC-3": {}}
    code, out, _ = bstm("journal", "upload", str(journal), "--url", inner.emulator.url)
    assert code == 0
    assert "nothing to upload" in out
    assert len(posts(inner)) == 6  # each file once
    assert not any((inner.pytester.path / "attachments").iterdir())  # copies gone once sent


def test_files_the_service_keeps_refusing_leave_the_run_open_and_say_why(
    inner: Inner, bstm: Bstm
) -> None:
    """The results are in, the files are not (every upload of a file answers 500 until the
    drain deadline): the run the session would close stays open for them, and the summary says
    so, why, and the command that attaches them and closes it."""
    inner.pytester.makepyfile(SUITE)
    inner.emulator.faults.fail(500, times=None, methods="POST", path_contains="attachments")
    result = inner.run("--bstm-journal", "j.jsonl", "--bstm-drain-timeout", "3")
    result.assert_outcomes(passed=1, failed=1)
    rid = inner.only_run()["identifier"]
    assert inner.emulator.run(rid)["active_state"] != "closed"
    result.stdout.fnmatch_lines(
        [
            "evidence:   0 files attached, 6 waiting (kept in the journal)",
            f"note:*run {rid} left open because 6 files are waiting*closes it",
            "error:*upload failed: HTTP 500*",
            "  upload them with: bstm journal upload j.jsonl*",
        ]
    )
    inner.emulator.faults.clear()
    code, out, err = bstm("journal", "upload", str(inner.pytester.path / "j.jsonl"))
    assert code == 0, (out, err)
    assert files(inner, rid) == {"TC-1": EXPECTED, "TC-2": EXPECTED, "TC-3": {}}
    assert inner.emulator.run(rid)["active_state"] == "closed"


def test_a_lost_answer_does_not_send_a_file_twice(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_one(bstm):
            bstm.attach(b"evidence", name="a.txt")
        """
    )
    inner.emulator.faults.fail(
        502, 1, methods="POST", path_contains="/attachments", after_processing=True
    )
    inner.run().assert_outcomes(passed=1)
    rid = inner.only_run()["identifier"]
    assert list(files(inner, rid)["TC-1"]) == ["a.txt"]


def test_oversize_and_unreadable_files_are_one_summary_line_never_a_failed_test(
    inner: Inner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pytest_bstm.results.evidence.MAX_ATTACHMENT_BYTES", 1024)
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_big(bstm, tmp_path):
            big = tmp_path / "huge.log"
            big.write_bytes(b"x" * 4096)
            bstm.attach(big)
            bstm.attach(tmp_path / "missing.png")
            bstm.attach(b"small", name="ok.txt")
        """
    )
    result = inner.run()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "evidence:   1 file attached; 2 problems: huge.log not attached: 4.0 KB, over 1.0 KB; "
            "missing.png not attached: cannot read it (No such file or directory)"
        ]
    )
    rid = inner.only_run()["identifier"]
    assert inner.statuses(rid) == {("TC-1", None): "passed"}
    assert list(files(inner, rid)["TC-1"]) == ["ok.txt"]


def test_a_dry_run_lists_the_files_it_would_send(inner: Inner) -> None:
    inner.pytester.makepyfile(SUITE)
    result = inner.run("--bstm-dry-run")
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert out.count("/attachments {") == 6, out
    result.stdout.fnmatch_lines(['*POST*/test-results/*/attachments {"file":"app.log (14 bytes)"}'])
    assert inner.emulator.runs("PR-1") == []
    assert not (inner.pytester.path / ".bstm").exists()


def test_the_function_form_for_hooks_and_reporting_off(inner: Inner) -> None:
    inner.pytester.makeconftest(
        """
        import pytest
        import pytest_bstm

        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_makereport(item, call):
            report = yield
            if report.when == "call" and report.failed:
                pytest_bstm.attach(item, b"dump", name="dump.txt")
                pytest_bstm.link(item, "https://trace.example.com/1")
            return report
        """
    )
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_fails(bstm):
            assert False
        """
    )
    inner.run().assert_outcomes(failed=1)
    rid = inner.only_run()["identifier"]
    assert list(files(inner, rid)["TC-1"]) == ["dump.txt"]
    assert "link: https://trace.example.com/1" in inner.descriptions(rid)["TC-1"]
    inner.emulator.reset()
    inner.run(project=None).assert_outcomes(failed=1)  # off: the fixture and calls do nothing
    assert inner.emulator.requests == []
    assert not Path(inner.pytester.path / ".bstm").exists()


def test_xdist_workers_attach_and_every_file_arrives_once(inner: Inner) -> None:
    inner.pytester.makepyfile(SUITE)
    inner.pytester.makepyfile(
        test_more="""
        import pytest

        @pytest.mark.parametrize("i", range(6))
        def test_each(bstm, i):
            bstm.attach(f"file {i}".encode(), name=f"f{i}.txt")
        """
    )
    inner.emulator.add_test_cases("PR-1", [f"TC-{i}" for i in range(10, 16)])
    inner.pytester.makeconftest(
        """
        import pytest

        def pytest_collection_modifyitems(items):
            for item in items:
                if "test_each" in item.nodeid:
                    i = item.callspec.params["i"]
                    item.add_marker(pytest.mark.tc(f"TC-{10 + i}"))
        """
    )
    result = inner.pytester.runpytest_subprocess(*inner.args("-p", "xdist.plugin", "-n", "2"))
    result.assert_outcomes(passed=7, failed=1)
    rid = inner.only_run()["identifier"]
    got = files(inner, rid)
    assert got["TC-1"] == EXPECTED
    assert got["TC-2"] == EXPECTED
    for i in range(6):
        assert got[f"TC-{10 + i}"] == {f"f{i}.txt": ("text/plain", 6, sha(f"file {i}".encode()))}
    assert len(posts(inner)) == 12


def test_captured_output_of_a_failed_test_on_request(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
        import logging
        import sys
        import pytest

        @pytest.mark.tc("TC-1")
        def test_fails():
            print("cart: 3 items")
            sys.stderr.write("warning: slow backend\\n")
            logging.getLogger("shop").warning("payment retried")
            assert False

        @pytest.mark.tc("TC-2")
        def test_passes():
            print("quiet")
        """
    )
    inner.run("--bstm-attach-output").assert_outcomes(passed=1, failed=1)
    got = files(inner, inner.only_run()["identifier"])
    assert sorted(got["TC-1"]) == ["log.txt", "stderr.txt", "stdout.txt"]
    assert got["TC-1"]["stdout.txt"][:2] == ("text/plain", len("cart: 3 items\n"))
    assert got["TC-2"] == {}


ONE_FILE = """
import pytest

@pytest.mark.tc("{case}")
def test_one(bstm):
    bstm.attach(b"evidence", name="a.txt")
"""


def test_a_busy_service_is_waited_out_and_the_file_sent_once(inner: Inner) -> None:
    inner.pytester.makepyfile(ONE_FILE.format(case="TC-1"))
    inner.emulator.faults.fail(503, 2, methods="POST", path_contains="/attachments")
    inner.run().assert_outcomes(passed=1)
    rid = inner.only_run()["identifier"]
    assert list(files(inner, rid)["TC-1"]) == ["a.txt"]
    assert [r["status"] for r in posts(inner)] == [503, 503, 200]


def test_a_refused_file_is_named_once_and_never_retried(inner: Inner) -> None:
    inner.pytester.makepyfile(ONE_FILE.format(case="TC-1"))
    inner.emulator.faults.fail(400, 1, methods="POST", path_contains="/attachments")
    result = inner.run()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["evidence:   0 files attached; 1 problem: a.txt (TC-1): *400*"])
    assert len(posts(inner)) == 1
    assert inner.only_run()["active_state"] == "closed"


def test_a_file_of_a_refused_result_is_not_sent(inner: Inner) -> None:
    inner.pytester.makepyfile(
        ONE_FILE.format(case="TC-999")
        + "\n\n@pytest.mark.tc('TC-1')\ndef test_known():\n    pass\n"
    )
    result = inner.run()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*TC-999 not in project PR-1*"])
    result.stdout.fnmatch_lines(["evidence:   0 files attached; 1 problem: a.txt (TC-999): *"])
    assert posts(inner) == []


def test_buffers_and_binary_files_are_bytes_and_anything_else_one_summary_line(
    inner: Inner,
) -> None:
    inner.pytester.makepyfile(
        """
        import io
        import pytest

        @pytest.mark.tc("TC-1")
        def test_buffers(bstm, tmp_path):
            bstm.attach(memoryview(b"view"), name="view.bin")
            bstm.attach(bytearray(b"array"), name="array.txt")
            bstm.attach(io.BytesIO(b"buffer"), name="buffer.json")
            shot = tmp_path / "shot.png"
            shot.write_bytes(b"PNG")
            with shot.open("rb") as fh:
                bstm.attach(fh)
            bstm.attach(12345, name="number.txt")
            bstm.attach(object())
        """
    )
    result = inner.run()
    result.assert_outcomes(passed=1)
    rid = inner.only_run()["identifier"]
    assert files(inner, rid) == {
        "TC-1": {
            "view.bin": ("application/octet-stream", 4, sha(b"view")),
            "array.txt": ("text/plain", 5, sha(b"array")),
            "buffer.json": ("application/json", 6, sha(b"buffer")),
            "shot.png": ("image/png", 3, sha(b"PNG")),
        }
    }
    result.stdout.fnmatch_lines(
        [
            "evidence:   4 files attached; 2 problems: number.txt not attached: int is not a "
            "path, bytes or a file; object not attached: object is not a path, bytes or a file"
        ]
    )


def test_non_ascii_names_keep_their_letters_extension_and_content_type(inner: Inner) -> None:
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_names(bstm, tmp_path):
            bstm.attach(b"PNG", name="скриншот.png")
            shot = tmp_path / "экран.png"
            shot.write_bytes(b"PNG2")
            bstm.attach(shot)
            bstm.attach(b"cv", name="résumé.txt")
            bstm.attach(b"star", name="★.png")
        """
    )
    inner.run().assert_outcomes(passed=1)
    rid = inner.only_run()["identifier"]
    assert files(inner, rid) == {
        "TC-1": {
            "скриншот.png": ("image/png", 3, sha(b"PNG")),
            "экран.png": ("image/png", 4, sha(b"PNG2")),
            "résumé.txt": ("text/plain", 2, sha(b"cv")),
            "attachment.png": ("image/png", 4, sha(b"star")),
        }
    }


def test_evidence_of_scoped_fixtures_goes_to_the_test_running_then(inner: Inner) -> None:
    inner.pytester.makeconftest(
        """
        import pytest
        import pytest_bstm

        @pytest.fixture(scope="module")
        def module_fx(request):
            pytest_bstm.attach(request, b"module setup", name="module.txt")
            pytest_bstm.link(request, "https://ci.example.com/m", label="module")
            yield
            pytest_bstm.attach(request, b"module teardown", name="module-end.txt")

        @pytest.fixture(scope="class")
        def class_fx(request):
            yield
            pytest_bstm.attach(request, b"class teardown", name="class-end.txt")
        """
    )
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        class TestC:
            def test_one(self, class_fx, module_fx):
                pass

        @pytest.mark.tc("TC-2")
        def test_two(module_fx):
            pass
        """
    )
    inner.run().assert_outcomes(passed=2)
    rid = inner.only_run()["identifier"]
    assert files(inner, rid) == {
        "TC-1": {
            "module.txt": ("text/plain", 12, sha(b"module setup")),
            "class-end.txt": ("text/plain", 14, sha(b"class teardown")),
        },
        "TC-2": {"module-end.txt": ("text/plain", 15, sha(b"module teardown"))},
    }
    assert "module: https://ci.example.com/m" in inner.descriptions(rid)["TC-1"]

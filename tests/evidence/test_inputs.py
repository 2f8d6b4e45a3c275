"""Evidence inputs a user can get wrong: wrong arguments raise at the call, devices, pipes and
endless streams are never read whole, secrets never name a file or reach a session's page.
Inner sessions against the emulator, and the pure checks directly."""

from __future__ import annotations

import hashlib
import os

import pytest
from bstm_helpers import Inner
from test_automate import STAND_INS, executor_log

from pytest_bstm.results.captured import tail
from pytest_bstm.results.fixture import check_attach, check_link


@pytest.mark.parametrize(
    ("name", "content_type", "error", "says"),
    [
        (None, object(), TypeError, "content_type must be a str"),
        (b"a.txt", None, TypeError, "name must be a str"),
        (7, None, TypeError, "name must be a str"),
        ("a.txt", "text/plain\r\nX-Injected: 1", ValueError, "printable ASCII on one line"),
        ("a.txt", "text/plain\n", ValueError, "printable ASCII on one line"),
        ("a.txt", "tëxt/plain", ValueError, "printable ASCII on one line"),
    ],
)
def test_attach_arguments_of_the_wrong_kind_are_errors_saying_what_is_expected(
    name: object, content_type: object, error: type[Exception], says: str
) -> None:
    with pytest.raises(error, match=says):
        check_attach(name, content_type)


def test_attach_arguments_users_give_are_accepted() -> None:
    for name, content_type in [(None, None), ("shot.png", "image/png"), ("", "")]:
        check_attach(name, content_type)


@pytest.mark.parametrize(
    ("url", "label", "error"),
    [
        (12, object(), TypeError),
        (None, None, TypeError),
        (b"https://ci.example.com", None, TypeError),
        ("", None, ValueError),
        ("not a url", None, ValueError),
        ("ci.example.com/job/7", None, ValueError),
        ("https://ci.example.com/job/7\r\nfake: line", None, ValueError),
        ("https://ci.example.com/job/7", object(), TypeError),
    ],
)
def test_link_arguments_of_the_wrong_kind_are_errors(
    url: object, label: object, error: type[Exception]
) -> None:
    with pytest.raises(error, match=r"link\(\): (url|label) must be"):
        check_link(url, label)


def test_link_arguments_users_give_are_accepted() -> None:
    check_link("https://ci.example.com/job/7?x=1#l", None)
    check_link("http://127.0.0.1:8080/trace", "trace viewer")


WRONG = """
import pytest
import pytest_bstm

@pytest.mark.tc("TC-1")
def test_content_type_object(bstm):
    bstm.attach(b"x", name="a.txt", content_type=object())

@pytest.mark.tc("TC-2")
def test_header_injection(bstm):
    bstm.attach(b"x", name="a.txt", content_type="text/plain\\r\\nX-Injected: 1")

@pytest.mark.tc("TC-3")
def test_bytes_name(bstm):
    bstm.attach(b"x", name=b"a.txt")

@pytest.mark.tc("TC-4")
def test_a_str_for_the_item():
    pytest_bstm.attach("a str", b"x", name="a.txt")

@pytest.mark.tc("TC-5")
def test_link_number(bstm):
    bstm.link(12, label=object())

@pytest.mark.tc("TC-6")
def test_link_none(bstm):
    bstm.link(None)

@pytest.mark.tc("TC-7")
def test_link_no_url(bstm):
    bstm.link("not a url")

@pytest.mark.tc("TC-8")
def test_after(bstm):
    bstm.attach(b"fine", name="fine.txt")
"""


@pytest.mark.parametrize("reporting", [True, False], ids=["reporting", "off"])
def test_wrong_arguments_fail_their_test_at_the_call_and_the_others_run(
    inner: Inner, reporting: bool
) -> None:
    inner.pytester.makepyfile(WRONG)
    result = inner.run(project="PR-1" if reporting else None)
    assert result.ret == 1, result.stdout.str()
    result.assert_outcomes(failed=7, passed=1)
    out = result.stdout.str()
    assert "INTERNALERROR" not in out + result.stderr.str()
    result.stdout.fnmatch_lines(
        [
            "*TypeError: attach(): content_type must be a str such as 'image/png' or None, not o*",
            "*ValueError: attach(): content_type must be printable ASCII on one line*",
            "*TypeError: attach(): name must be a str such as 'shot.png' or None, not bytes",
            "*TypeError: pytest_bstm.attach() takes the test's item or a fixture's request first,"
            " not str (in a test, use the bstm fixture: bstm.attach(...))",
            "*TypeError: link(): url must be a str such as 'https://ci.example.com/1', not int",
            "*TypeError: link(): url must be a str such as *, not NoneType",
            "*ValueError: link(): url must be an absolute URL such as *, not 'not a url'",
        ]
    )
    if not reporting:
        return
    rid = inner.only_run()["identifier"]
    statuses = inner.statuses(rid)
    assert statuses[("TC-8", None)] == "passed"
    assert {s for (case, _), s in statuses.items() if case != "TC-8"} == {"failed"}
    attached = [a["name"] for r in inner.emulator.results(rid) for a in r["attachments"]]
    assert attached == ["fine.txt"]


DEVICES = """
import os
import signal
import pytest

class Endless:
    def read(self, n=-1):
        assert n > 0, "read whole"
        return b"x" * n

class Growing:
    def read(self, n=-1):
        return "é" * 400 if n > 0 else "é" * 10**6

@pytest.mark.tc("TC-1")
def test_devices(bstm, tmp_path):
    signal.alarm(20)  # a test that waits on a pipe fails, never hangs the suite
    os.mkfifo(tmp_path / "pipe")
    %s
    ok = tmp_path / "ok.txt"
    ok.write_bytes(b"y" * 1024)
    bstm.attach(ok)
    signal.alarm(0)
"""


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="devices and FIFOs of POSIX")
@pytest.mark.parametrize(
    ("calls", "problems"),
    [
        (
            'bstm.attach("/dev/zero", name="zero.bin"); bstm.attach(tmp_path / "pipe"); '
            "bstm.attach(tmp_path)",
            "zero.bin not attached: not a regular file; pipe not attached: not a regular file; "
            "test_devices0 not attached: not a regular file",
        ),
        (
            'fh = open("/dev/urandom", "rb"); bstm.attach(fh); fh.close(); '
            'bstm.attach(Endless(), name="endless.bin"); bstm.attach(Growing(), name="text.txt")',
            "urandom not attached: not a regular file; endless.bin not attached: over 1.0 KB; "
            "text.txt not attached: over 1.0 KB",
        ),
    ],
    ids=["paths", "streams"],
)
def test_devices_pipes_and_endless_streams_are_never_read_whole(
    inner: Inner, monkeypatch: pytest.MonkeyPatch, calls: str, problems: str
) -> None:
    monkeypatch.setattr("pytest_bstm.results.evidence.MAX_ATTACHMENT_BYTES", 1024)
    inner.pytester.makepyfile(DEVICES % calls)
    result = inner.run()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"evidence:   1 file attached; 3 problems: {problems}"])
    rid = inner.only_run()["identifier"]
    files = [(a["name"], a["size"]) for r in inner.emulator.results(rid) for a in r["attachments"]]
    assert files == [("ok.txt", 1024)]
    assert list((inner.pytester.path / ".bstm").glob("attachments/*")) == []


def test_a_file_that_grows_past_the_limit_while_copied_is_refused_and_not_kept(
    inner: Inner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pytest_bstm.results.evidence.MAX_ATTACHMENT_BYTES", 1024)
    monkeypatch.setattr("pytest_bstm.results.evidence.CHUNK", 512)
    inner.pytester.makepyfile(
        """
        import os
        import pytest
        import pytest_bstm.results.evidence as evidence

        @pytest.mark.tc("TC-1")
        def test_grows(bstm, tmp_path, monkeypatch):
            log = tmp_path / "app.log"
            log.write_bytes(b"z" * 1000)
            real = evidence._bounded

            def grow_then_copy(read, write):
                with log.open("ab") as fh:
                    fh.write(b"z" * 1000)  # a process still writing it
                return real(read, write)

            monkeypatch.setattr(evidence, "_bounded", grow_then_copy)
            bstm.attach(log)
        """
    )
    result = inner.run("--bstm-journal", "j.jsonl")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["evidence:   0 files attached; 1 problem: app.log not attached: over 1.0 KB"]
    )
    assert list((inner.pytester.path / ".bstm").glob("attachments/*")) == []


def test_the_access_key_never_names_a_file(inner: Inner, monkeypatch: pytest.MonkeyPatch) -> None:
    key = inner.emulator.access_key
    monkeypatch.setattr("pytest_bstm.results.evidence.MAX_ATTACHMENT_BYTES", 4)
    inner.pytester.makepyfile(
        """
        import os
        import pytest

        @pytest.mark.tc("TC-1")
        def test_named(bstm):
            key = os.environ["BROWSERSTACK_ACCESS_KEY"]
            bstm.attach(b"k", name="n-" + key + ".txt")
            bstm.attach(b"too big", name="big-" + key + ".txt")
        """
    )
    result = inner.run("--bstm-journal", "j.jsonl")
    result.assert_outcomes(passed=1)
    rid = inner.only_run()["identifier"]
    names = [a["name"] for r in inner.emulator.results(rid) for a in r["attachments"]]
    assert names == ["n-.txt"]
    result.stdout.fnmatch_lines(["*1 problem: big-***.txt not attached: 7 bytes, over 4 bytes"])
    journal = (inner.pytester.path / "j.jsonl").read_text(encoding="utf-8")
    for text in (journal, result.stdout.str(), result.stderr.str(), str(inner.emulator.requests)):
        assert key not in text


def test_the_session_status_reason_is_masked_and_scrubbed_like_the_description(
    inner: Inner,
) -> None:
    inner.pytester.makeconftest(STAND_INS)
    inner.pytester.makepyfile(
        """
        import os
        import pytest

        @pytest.mark.tc("TC-1")
        def test_fails(driver):
            key = os.environ["BROWSERSTACK_ACCESS_KEY"]
            hub = f"https://someone:{key}@hub-cloud.browserstack.com/wd/hub"
            raise RuntimeError(f"{__file__} broke at {hub} with {key}")
        """
    )
    inner.run().assert_outcomes(failed=1)
    key, path = inner.emulator.access_key, str(inner.pytester.path)
    reasons = [
        e[1]["arguments"]["reason"]
        for e in executor_log(inner)
        if isinstance(e[1], dict) and e[1]["action"] == "setSessionStatus"
    ]
    assert reasons == [
        "RuntimeError: test_the_session_status_reason_is_masked_and_scrubbed_like_the_"
        "description.py broke at https://***@hub-cloud.browserstack.com/wd/hub with ***"
    ]
    description = inner.descriptions(inner.only_run()["identifier"])["TC-1"]
    assert reasons[0] in description
    assert key not in str(executor_log(inner))
    assert path not in str(executor_log(inner))


def test_captured_output_is_cut_where_a_character_starts_after_a_marker() -> None:
    data = ("é" * 600 + "end").encode()
    cut = tail(data, 1000)
    assert len(cut) <= 1000
    text = cut.decode("utf-8")  # valid UTF-8
    first, rest = text.split("\n", 1)
    assert (
        first
        == f"[... first {len(data) - len(rest.encode()):,} bytes of {len(data):,} left out ...]"
    )
    assert rest.endswith("end")
    assert set(rest[:-3]) == {"é"}
    assert tail(b"short", 1000) == b"short"


def test_a_failed_tests_long_output_is_attached_as_valid_utf8_with_a_marker(
    inner: Inner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("pytest_bstm.results.captured.MAX_BYTES", 1000)
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_loud():
            print("é" * 3000, end="")
            assert False
        """
    )
    inner.run("--bstm-attach-output").assert_outcomes(failed=1)
    [stored] = [
        a for r in inner.emulator.results(inner.only_run()["identifier"]) for a in r["attachments"]
    ]
    sent = tail(("é" * 3000).encode(), 1000)
    assert (stored["name"], stored["size"]) == ("stdout.txt", len(sent))
    assert stored["sha256"] == hashlib.sha256(sent).hexdigest()


def test_hypothesis_tests_attach_as_the_docs_say(inner: Inner) -> None:
    pytest.importorskip("hypothesis")
    inner.pytester.makepyfile(
        """
        import pytest
        import pytest_bstm
        from hypothesis import HealthCheck, given, settings, strategies as st

        @pytest.fixture(scope="module")
        def inputs(request):
            yield
            pytest_bstm.attach(request, b"module", name="module.txt")

        @pytest.mark.tc("TC-1")
        @given(st.integers())
        def test_refused(bstm, n):
            pass

        @pytest.mark.tc("TC-2")
        @settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=3)
        @given(st.integers())
        def test_suppressed(bstm, n):
            bstm.attach(b"example", name="input.txt")

        @pytest.mark.tc("TC-3")
        @settings(max_examples=3)
        @given(st.integers())
        def test_from_a_fixture(inputs, n):
            pass
        """
    )
    result = inner.run("-p", "_hypothesis_pytestplugin")
    result.assert_outcomes(failed=1, passed=2)
    result.stdout.fnmatch_lines(["*FailedHealthCheck*uses a function-scoped fixture 'bstm'*"])
    rid = inner.only_run()["identifier"]
    names = {
        r["test_case_id"]: [a["name"] for a in r["attachments"]]
        for r in inner.emulator.results(rid)
    }
    assert names == {
        "TC-1": [],
        "TC-2": ["input.txt", "input-2.txt", "input-3.txt"],
        "TC-3": ["module.txt"],
    }


def test_each_rerun_attempts_session_is_marked_with_its_own_outcome_and_labelled(
    inner: Inner,
) -> None:
    inner.pytester.makeconftest(
        STAND_INS
        + """

class Numbered(StandInDriver):
    made = 0

    def __init__(self):
        super().__init__()
        Numbered.made += 1
        self.n = Numbered.made

    def execute_script(self, script, *args):
        log("driver", self.n)
        return super().execute_script(script, *args)


@pytest.fixture
def numbered(bstm):
    d = Numbered()
    bstm.browserstack_session(d)
    yield d
    d.quit()
"""
    )
    inner.pytester.makepyfile(
        """
        import pytest

        calls = {"n": 0}

        @pytest.mark.tc("TC-1")
        @pytest.mark.flaky(reruns=2)
        def test_flaky(numbered):
            calls["n"] += 1
            assert calls["n"] > 1, "first attempt fails"

        @pytest.mark.tc("TC-2")
        def test_steady(driver):
            pass
        """
    )
    result = inner.run("-p", "pytest_rerunfailures")
    assert result.parseoutcomes() == {"passed": 2, "rerun": 1}
    details, status = {"action": "getSessionDetails"}, {"action": "setSessionStatus"}
    failed = {"status": "failed", "reason": "AssertionError: first attempt fails"}
    passed = {"status": "passed", "reason": ""}
    assert [entry[1] for entry in executor_log(inner)] == [
        *(1, details, 1, {**status, "arguments": failed}, "quit"),  # attempt 1, before its quit
        *(2, details, 2, {**status, "arguments": passed}, "quit"),
        *(details, {**status, "arguments": passed}, "quit"),  # test_steady
    ]
    rid = inner.only_run()["identifier"]
    text = inner.descriptions(rid)
    lines = [
        line.split(":")[0].strip() for line in text["TC-1"].splitlines() if "BrowserStack" in line
    ]
    assert lines == [
        "BrowserStack session, attempt 1 (chrome, 120.0, Windows)",
        "BrowserStack session, attempt 2 (chrome, 120.0, Windows)",
    ]
    assert "  BrowserStack session (chrome, 120.0, Windows): https:" in text["TC-2"]

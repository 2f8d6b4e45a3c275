"""``bstm.browserstack_session`` against stand-ins that answer the documented executor commands
(``getSessionDetails``, ``setSessionStatus``) as a BrowserStack session does."""

from __future__ import annotations

import json

from bstm_helpers import Inner

STAND_INS = """
import json
import pathlib

import pytest

LOG = pathlib.Path("executor.log")
PREFIX = "browserstack_executor: "
DETAILS = {
    "name": "checkout", "browser": "chrome", "browser_version": "120.0", "os": "Windows",
    "device": None, "status": "running",
    "public_url": "https://automate.browserstack.com/builds/b1/sessions/s1?auth_token=t",
}


def log(*entry):
    with LOG.open("a") as fh:
        fh.write(json.dumps(entry) + "\\n")


def answer(kind, text, on_browserstack, broken):
    if not on_browserstack:
        return None  # a local browser runs the text as JavaScript: a label, no value
    if broken:
        raise RuntimeError("the grid went away")
    assert text.startswith(PREFIX), text
    command = json.loads(text[len(PREFIX):])
    log(kind, command)
    if command["action"] == "getSessionDetails":
        return json.dumps(DETAILS)
    return None


class StandInDriver:
    def __init__(self, on_browserstack=True, broken=False):
        self.on_browserstack, self.broken = on_browserstack, broken

    def execute_script(self, script, *args):
        return answer("driver", script, self.on_browserstack, self.broken)

    def quit(self):
        log("driver", "quit")


class StandInPage:
    def evaluate(self, expression, arg=None):
        assert expression == "_ => {}"
        return answer("page", arg, True, False)

    def close(self):
        log("page", "close")


@pytest.fixture
def driver(bstm, request):
    d = StandInDriver(**getattr(request, "param", {}))
    bstm.browserstack_session(d)
    yield d
    d.quit()


@pytest.fixture
def page(bstm):
    p = StandInPage()
    bstm.browserstack_session(p)
    yield p
    p.close()
"""


def executor_log(inner: Inner) -> list[list[object]]:
    path = inner.pytester.path / "executor.log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_sessions_are_linked_and_marked_from_the_real_outcome_before_quit(inner: Inner) -> None:
    inner.pytester.makeconftest(STAND_INS)
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_passes(driver):
            pass

        @pytest.mark.tc("TC-2")
        def test_fails(driver):
            assert "Cart" == "Checkout", "title mismatch"

        @pytest.mark.tc("TC-3")
        def test_page(page):
            pass
        """
    )
    inner.run().assert_outcomes(passed=2, failed=1)
    status = {"action": "setSessionStatus"}
    details = ["driver", {"action": "getSessionDetails"}]
    assert executor_log(inner) == [
        details,
        ["driver", {**status, "arguments": {"status": "passed", "reason": ""}}],
        ["driver", "quit"],
        details,
        [
            "driver",
            {
                **status,
                "arguments": {"status": "failed", "reason": "AssertionError: title mismatch"},
            },
        ],
        ["driver", "quit"],
        ["page", {"action": "getSessionDetails"}],
        ["page", {**status, "arguments": {"status": "passed", "reason": ""}}],
        ["page", "close"],
    ]
    text = inner.descriptions(inner.only_run()["identifier"])
    link = (
        "  BrowserStack session (chrome, 120.0, Windows): "
        "https://automate.browserstack.com/builds/b1/sessions/s1?auth_token=t"
    )
    assert all(link in text[case] for case in ("TC-1", "TC-2", "TC-3")), text


def test_a_driver_off_browserstack_is_left_alone_and_a_failing_executor_is_one_note(
    inner: Inner,
) -> None:
    inner.pytester.makeconftest(STAND_INS)
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        @pytest.mark.parametrize("driver", [{"on_browserstack": False}], indirect=True)
        def test_local(driver):
            pass

        @pytest.mark.tc("TC-2")
        @pytest.mark.parametrize("driver", [{"broken": True}], indirect=True)
        def test_broken_grid(driver):
            pass
        """
    )
    result = inner.run()
    result.assert_outcomes(passed=2)
    assert executor_log(inner) == [["driver", "quit"], ["driver", "quit"]]
    rid = inner.only_run()["identifier"]
    assert inner.statuses(rid) == {("TC-1", None): "passed", ("TC-2", None): "passed"}
    assert "BrowserStack" not in "".join(inner.descriptions(rid).values())
    result.stdout.fnmatch_lines(
        [
            "evidence:   0 files attached; 1 problem: BrowserStack session not linked: "
            "RuntimeError: the grid went away"
        ]
    )


def test_a_note_from_an_executor_failure_masks_the_access_key_and_url_credentials(
    inner: Inner,
) -> None:
    key = inner.emulator.access_key
    inner.pytester.makeconftest(
        STAND_INS
        + f"""

class WebDriverException(Exception):
    pass


class HubDriver(StandInDriver):
    def execute_script(self, script, *args):
        raise WebDriverException(
            "Message: could not reach https://someone:{key}@hub-cloud.browserstack.com/wd/hub "
            "(also http://other:s3cret@grid.example/wd/hub) key {key}"
        )
"""
    )
    inner.pytester.makepyfile(
        """
        import pytest
        from conftest import HubDriver

        @pytest.mark.tc("TC-1")
        def test_hub(bstm):
            bstm.browserstack_session(HubDriver())
        """
    )
    result = inner.run()
    result.assert_outcomes(passed=1)
    out = result.stdout.str()
    assert "WebDriverException" in out, out
    assert key not in out, out
    assert "s3cret" not in out, out
    assert "https://***@hub-cloud.browserstack.com/wd/hub" in out, out
    assert "http://***@grid.example/wd/hub" in out, out


def test_a_local_driver_failing_the_executor_is_left_alone_and_a_broken_grid_is_one_line(
    inner: Inner,
) -> None:
    inner.pytester.makeconftest(
        STAND_INS
        + """

class JavascriptException(Exception):
    pass


class LocalDriver(StandInDriver):
    def execute_script(self, script, *args):
        raise JavascriptException(
            "Message: javascript error: Unexpected token ':'\\n"
            "Stacktrace:\\n#0 0x55d5 <unknown>\\n#1 0x55d6 <unknown>"
        )


class GridDriver(StandInDriver):
    def execute_script(self, script, *args):
        raise ConnectionError("the grid went away\\nTraceback line 1\\nTraceback line 2")
"""
    )
    inner.pytester.makepyfile(
        """
        import pytest
        from conftest import GridDriver, LocalDriver

        @pytest.mark.tc("TC-1")
        @pytest.mark.parametrize("n", range(5))
        def test_local(bstm, n):
            bstm.browserstack_session(LocalDriver())

        @pytest.mark.tc("TC-2")
        @pytest.mark.parametrize("n", range(3))
        def test_grid(bstm, n):
            bstm.browserstack_session(GridDriver())
        """
    )
    result = inner.run()
    result.assert_outcomes(passed=8)
    out = result.stdout.str()
    assert "Stacktrace" not in out, out
    assert "Traceback line" not in out, out
    assert "javascript error" not in out, out
    result.stdout.fnmatch_lines(
        [
            "evidence:   0 files attached; 1 problem: BrowserStack session not linked: "
            "ConnectionError: the grid went away"
        ]
    )


def test_a_failed_subtest_or_teardown_marks_the_session_failed(inner: Inner) -> None:
    inner.pytester.makeconftest(
        STAND_INS
        + """

@pytest.fixture
def broken_teardown(driver):
    yield
    raise RuntimeError("cleanup failed")
"""
    )
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_subtests(driver, subtests):
            for i in range(3):
                with subtests.test(i=i):
                    assert i != 1, "subtest one broke"

        @pytest.mark.tc("TC-2")
        def test_teardown(broken_teardown):
            pass
        """
    )
    inner.run()
    marks = [
        entry[1]["arguments"]
        for entry in executor_log(inner)
        if isinstance(entry[1], dict) and entry[1]["action"] == "setSessionStatus"
    ]
    assert marks == [
        {"status": "failed", "reason": "AssertionError: subtest one broke"},
        {"status": "passed", "reason": ""},
        {"status": "failed", "reason": "RuntimeError: cleanup failed"},
    ]


def test_an_async_playwright_page_is_left_alone_with_one_note_and_no_warning(
    inner: Inner,
) -> None:
    inner.pytester.makepyfile(
        """
        import pytest

        class AsyncPage:
            async def evaluate(self, expression, arg=None):
                raise AssertionError("never awaited")

        @pytest.mark.tc("TC-1")
        @pytest.mark.parametrize("n", range(2))
        def test_async_page(bstm, n):
            assert bstm.browserstack_session(AsyncPage()) is None
        """
    )
    result = inner.run("-W", "error")
    result.assert_outcomes(passed=2)
    assert "never awaited" not in result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "evidence:   0 files attached; 1 problem: BrowserStack session not linked: "
            "TypeError: an async Playwright page is not followed (use the sync API)"
        ]
    )


def test_a_session_scoped_driver_is_linked_to_each_test_and_marked_with_the_worst_outcome(
    inner: Inner,
) -> None:
    inner.pytester.makeconftest(
        STAND_INS
        + """

import pytest_bstm


@pytest.fixture(scope="session")
def shared_driver(request):
    d = StandInDriver()
    pytest_bstm.browserstack_session(request, d)
    yield d
    d.quit()
"""
    )
    inner.pytester.makepyfile(
        """
        import pytest

        @pytest.mark.tc("TC-1")
        def test_first(shared_driver):
            pass

        @pytest.mark.tc("TC-2")
        def test_second(shared_driver):
            assert False, "broken"

        @pytest.mark.tc("TC-3")
        def test_third(shared_driver):
            pass

        @pytest.mark.tc("TC-4")
        def test_without_driver():
            pass
        """
    )
    inner.run().assert_outcomes(passed=3, failed=1)
    marks = [
        entry[1]["arguments"]
        if isinstance(entry[1], dict) and "arguments" in entry[1]
        else entry[1]
        for entry in executor_log(inner)
    ]
    assert marks == [
        {"action": "getSessionDetails"},
        {"status": "passed", "reason": ""},
        {"status": "failed", "reason": "AssertionError: broken"},
        {"status": "failed", "reason": "AssertionError: broken"},
        "quit",
    ]
    text = inner.descriptions(inner.only_run()["identifier"])
    link = "BrowserStack session (chrome, 120.0, Windows): https://automate.browserstack.com/"
    assert all(link in text[case] for case in ("TC-1", "TC-2", "TC-3")), text
    assert link not in text["TC-4"], text

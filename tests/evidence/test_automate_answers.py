"""What ``getSessionDetails`` may answer: a JSON text or an object, the REST API's wrapping,
values that are no text (numbers, null, lists), and answers far too long. Inner sessions
against the emulator, with stand-in drivers that answer as the test says."""

from __future__ import annotations

import time

from bstm_helpers import Inner

URL = "https://automate.browserstack.com/builds/b1/sessions/s1?auth_token=t"

STAND_IN = """
import json

import pytest


class AnsweringDriver:
    def __init__(self, answer):
        self.answer, self.marked = answer, []

    def execute_script(self, script, *args):
        command = json.loads(script.split(": ", 1)[1])
        if command["action"] == "getSessionDetails":
            return self.answer
        self.marked.append(command["arguments"]["status"])
        return None


@pytest.fixture
def driver(bstm, request):
    d = AnsweringDriver(request.param)
    bstm.browserstack_session(d)
    return d
"""


def _session(inner: Inner, answers: dict[str, str], *args: str) -> tuple[str, dict[str, str]]:
    """Runs one test per answer (``name -> Python expression of the answer``), TC-1, TC-2...;
    the summary's text and each case's description."""
    inner.pytester.makeconftest(STAND_IN)
    tests = ["import json", "import pytest", ""]
    for n, (name, answer) in enumerate(answers.items(), 1):
        tests += [
            f'@pytest.mark.tc("TC-{n}")',
            f'@pytest.mark.parametrize("driver", [{answer}], indirect=True)',
            f"def test_{name}(driver):",
            "    pass",
            "",
        ]
    inner.pytester.makepyfile("\n".join(tests))
    result = inner.run(*args)
    result.assert_outcomes(passed=len(answers))
    return result.stdout.str(), inner.descriptions(inner.only_run()["identifier"])


def test_an_object_and_the_rest_apis_wrapping_are_read_like_a_json_text(inner: Inner) -> None:
    details = f'{{"browser": "chrome", "os": "Windows", "public_url": "{URL}"}}'
    _, text = _session(
        inner,
        {
            "text": f"json.dumps({details})",
            "object": details,
            "wrapped": f'{{"automation_session": {details}}}',
            "wrapped_text": f'json.dumps({{"automation_session": {details}}})',
        },
    )
    for case in ("TC-1", "TC-2", "TC-3", "TC-4"):
        assert f"  BrowserStack session (chrome, Windows): {URL}" in text[case], text[case]


def test_values_that_are_no_text_are_shown_as_a_reader_expects(inner: Inner) -> None:
    details = (
        f'{{"device": None, "browser": ["chrome", "beta"], "browser_version": 120,'
        f' "os": "  Windows\\n11 ", "os_version": [], "public_url": "{URL}"}}'
    )
    _, text = _session(inner, {"numbers": details, "numbers_text": f"json.dumps({details})"})
    for case in ("TC-1", "TC-2"):
        line = f'  BrowserStack session (["chrome", "beta"], 120, Windows 11): {URL}'
        assert line in text[case], text[case]
        assert "None" not in text[case]


def test_a_huge_answer_costs_no_time_and_shows_a_bounded_excerpt(inner: Inner) -> None:
    inner.pytester.makeini("[pytest]\nbstm_configuration_from_session = true\n")
    huge = 200_000
    started = time.monotonic()
    out, text = _session(
        inner,
        {
            "huge_browser": f'json.dumps({{"browser": "b" * {huge}, "public_url": "{URL}"}})',
            "huge_url": f'json.dumps({{"public_url": "https://x.example/" + "u" * {huge}}})',
        },
    )
    assert time.monotonic() - started < 15  # 200,000 characters took minutes (quadratic)
    description = text["TC-1"]
    assert f"  BrowserStack session ({'b' * 57}...): {URL}" in description, description
    assert "b" * 61 not in description
    assert "u" * 61 not in text["TC-2"]
    assert "BrowserStack" not in text["TC-2"]  # no usable link: the session is not linked
    assert "b" * 61 not in out
    assert "u" * 61 not in out
    assert f"names no TM configuration ('{'b' * 57}...'; the account's: Chrome" in out, out
    assert "BrowserStack session not linked: its public_url is https://x.example/uuu" in out, out
    assert len(max(out.splitlines(), key=len)) < 600

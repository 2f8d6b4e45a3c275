"""The one masking rule (pytest_bstm/masking.py): secrets in a URL's query or fragment."""

from __future__ import annotations

import time

import pytest

from pytest_bstm.masking import Redactor, urls


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("https://h/x?token=abc123&a=1", "https://h/x?token=***&a=1"),
        ("https://h/x#access_token=zzz999", "https://h/x#access_token=***"),
        ("https://h/x?a=1&sig=s3cr3tsig", "https://h/x?a=1&sig=***"),
        ("https://h/x?X-Amz-Signature=deadbeef", "https://h/x?X-Amz-Signature=***"),
        ("https://h/x?private_token=p&key=k", "https://h/x?private_token=***&key=***"),
        ("https://u:pw@h/x", "https://***@h/x"),
        # a BrowserStack session's public link is meant to be shared: its auth_token stays
        ("https://automate.browserstack.com/s/2?auth_token=keep", None),
    ],
)
def test_secrets_in_a_urls_query_and_fragment_are_masked(url: str, masked: str | None) -> None:
    assert Redactor("")(url) == (masked or url)


@pytest.mark.parametrize(
    "text",
    ["a" * 200_000, "a1" * 100_000, "http://" + "a" * 200_000, "ab" * 100_000 + "://x"],
    ids=["letters", "letters-and-digits", "one-scheme", "scheme-at-the-end"],
)
def test_a_huge_text_is_masked_in_linear_time(text: str) -> None:
    """A long exception text or link without ``://`` once took seconds per 40,000 characters
    (each position scanned to the end); 200,000 characters take milliseconds now. The bound
    is generous: the quadratic scan took minutes here."""
    started = time.perf_counter()
    Redactor("KEY").snippet(text)
    urls(text)
    assert time.perf_counter() - started < 5


def test_a_url_after_a_long_run_of_letters_is_still_masked() -> None:
    text = "a" * 50 + "https://u:pw@h/x?token=t and 1https://v:pw@h"
    assert Redactor("")(text) == "a" * 50 + "https://***@h/x?token=*** and 1https://***@h"

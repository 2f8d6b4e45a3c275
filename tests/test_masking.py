"""The one masking rule (pytest_bstm/masking.py): secrets in a URL's query or fragment."""

from __future__ import annotations

import pytest

from pytest_bstm.masking import Redactor


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

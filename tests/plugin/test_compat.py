"""``pytest_bstm.compat`` answers the same on every supported pytest (the matrix runs this)."""

from __future__ import annotations

import pytest

from pytest_bstm import compat


@pytest.mark.parametrize(
    ("args", "level"), [((), 0), (("-v",), 1), (("-vv",), 2), (("-q",), -1), (("-v", "-q"), 0)]
)
def test_verbosity_is_the_global_level(
    pytester: pytest.Pytester, args: tuple[str, ...], level: int
) -> None:
    assert compat.verbosity(pytester.parseconfig(*args)) == level

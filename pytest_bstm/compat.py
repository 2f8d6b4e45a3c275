"""Where pytest's API differs across the supported versions (pytest 7.4 to 9.x): one place.

Each function here answers one question the same way on every supported pytest, so the rest of
the plugin never checks a version. The compatibility matrix (``noxfile.py``) runs the plugin's
end-to-end tests on the oldest and the latest supported releases.
"""

from __future__ import annotations

import pytest

__all__ = ["SUBTEST_REPORTS", "verbosity"]

# pytest 9 reports subtests itself (the ``subtests`` fixture and unittest ``subTest``, each as
# a SubtestReport); before it, a failing unittest subTest fails its test as a whole and the
# fixture comes from the pytest-subtests plugin. The tracker reads either kind of report.
SUBTEST_REPORTS = hasattr(pytest, "SubtestReport")


def verbosity(config: pytest.Config) -> int:
    """The global verbosity level (``-v`` adds one, ``-q`` takes one away).

    ``Config.get_verbosity()`` arrived in pytest 8.0; before it, the level is the ``verbose``
    option, which is what ``get_verbosity()`` returns for the global level.
    """
    get_verbosity = getattr(config, "get_verbosity", None)
    if get_verbosity is None:  # pytest < 8.0
        return int(config.getoption("verbose"))
    return int(get_verbosity())

"""No machine path of the runner in anything sent: paths under the rootdir become relative to
it, the interpreter's and the home folder's are named by what they are."""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path


class PathScrubber:
    """Rewrites absolute paths in a text: ``<rootdir>/tests/x.py`` -> ``tests/x.py``, a
    library's file -> ``<python>/...``, anything else under the home folder -> ``~/...``."""

    def __init__(self, rootpath: Path) -> None:
        prefixes = {str(rootpath): ""}
        for name in ("purelib", "platlib", "stdlib", "platstdlib"):
            with_lib = sysconfig.get_paths().get(name)
            if with_lib:
                prefixes.setdefault(with_lib, "<python>/")
        for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix):
            prefixes.setdefault(prefix, "<python>/")
        home = os.path.expanduser("~")
        if home not in ("~", "/", ""):
            prefixes.setdefault(home, "~/")
        pairs = [(p.rstrip(os.sep) + os.sep, to) for p, to in prefixes.items() if len(p) > 1]
        self._pairs = sorted(pairs, key=lambda pair: -len(pair[0]))  # the longest first

    def __call__(self, text: str | None) -> str | None:
        if not text:
            return text
        for prefix, replacement in self._pairs:
            if prefix in text:
                text = text.replace(prefix, replacement)
        return text

"""No machine path of the runner in anything sent: paths under the rootdir become relative to
it (also when pytest ran from another folder and printed them relative to that), the
interpreter's, the temp folder's and the home folder's are named by what they are, and any
other absolute path of the machine (its top folder exists: ``/opt/...``) keeps only its file
name."""

from __future__ import annotations

import os
import re
import sys
import sysconfig
import tempfile
import unicodedata
from pathlib import Path

# an absolute path's folders, where a path starts (not inside a URL, a word or ``<tmp>/...``)
_FOLDERS = re.compile(r"(?<![\w.:/~>-])/(?:[^\s/:'\"()\[\]<>,;]+/)+")
_START = r"(?<![\w./~>-])"
_UNSAFE = re.compile(r"[^\w.-]+")  # \w: letters and digits of every script, and _
MAX_NAME = 120  # characters of an attachment's file name


class PathScrubber:
    """Rewrites paths in a text: ``<rootdir>/tests/x.py`` -> ``tests/x.py``, a library's
    file -> ``<python>/...``, the temp folder's -> ``<tmp>/...``, the home folder's ->
    ``~/...``, any other absolute path -> ``.../name``."""

    def __init__(self, rootpath: Path, cwd: Path | None = None) -> None:
        prefixes = {str(rootpath): ""}
        for name in ("purelib", "platlib", "stdlib", "platstdlib"):
            with_lib = sysconfig.get_paths().get(name)
            if with_lib:
                prefixes.setdefault(with_lib, "<python>/")
        for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix):
            prefixes.setdefault(prefix, "<python>/")
        for temp in {tempfile.gettempdir(), os.path.realpath(tempfile.gettempdir())}:
            prefixes.setdefault(temp, "<tmp>/")
        home = os.path.expanduser("~")
        if home not in ("~", "/", ""):
            prefixes.setdefault(home, "~/")
        pairs = [(p.rstrip(os.sep) + os.sep, to) for p, to in prefixes.items() if len(p) > 1]
        self._pairs = sorted(pairs, key=lambda pair: -len(pair[0]))  # the longest first
        try:
            self._roots = set(os.listdir(os.sep))
        except OSError:
            self._roots = set()
        # pytest prints a traceback's paths relative to the folder it ran from
        relative = os.path.relpath(rootpath, cwd or Path.cwd())
        self._from_cwd = None
        if relative != "." and not relative.startswith(".."):
            self._from_cwd = re.compile(_START + re.escape(relative.rstrip(os.sep) + os.sep))

    def __call__(self, text: str | None) -> str | None:
        if not text:
            return text
        for prefix, replacement in self._pairs:
            if prefix in text:
                text = text.replace(prefix, replacement)
        if self._from_cwd is not None:
            text = self._from_cwd.sub("", text)
        return _FOLDERS.sub(self._folders, text)

    def _folders(self, match: re.Match[str]) -> str:
        """An absolute path's folders -> ``.../`` when its top folder is one of this machine
        (``/opt/ci/...``); a URL's path in a message (``/api/v2/...``) stays."""
        top = match.group(0).split("/", 2)[1]
        return ".../" if top in self._roots else match.group(0)


def safe_name(name: str) -> str:
    """Letters and digits of any script, ``.``, ``_``, ``-``; other runs become ``_``; the
    extension always kept (``скриншот.png``, ``résumé.txt``; ``★.png`` -> ``attachment.png``)."""
    name = unicodedata.normalize("NFC", Path(name).name or name)
    suffix = _UNSAFE.sub("_", Path(name).suffix)[:20]
    stem = name[: len(name) - len(Path(name).suffix)]
    cleaned = _UNSAFE.sub("_", stem).strip("._") or "attachment"
    return cleaned[: MAX_NAME - len(suffix)] + suffix

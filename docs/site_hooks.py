"""Build hooks of the documentation site (``mkdocs.yml``: ``hooks``).

- ``<!-- options-table -->`` in a page becomes the option reference, made from the plugin's
  one option table (:func:`pytest_bstm.config.options.reference`), so it is never written twice;
  a site without that table fails to build.
- A ``--bstm-*`` flag or ``bstm_*`` ini key named in any page that the plugin does not have
  fails the build, so a page cannot go on documenting an option that was renamed or removed.
"""

from __future__ import annotations

import re
from typing import Any

from mkdocs.exceptions import PluginError

from pytest_bstm.config.options import INI_ONLY, OPTIONS, reference

MARKER = "<!-- options-table -->"
HEADER = ["flag", "ini", "environment", "default", "meaning"]
FLAG = re.compile(r"(?<![\w-])--bstm-[a-z]+(?:-[a-z]+)*")
INI_KEY = re.compile(r"(?<![\w.-])bstm_[a-z]+(?:_[a-z]+)*")
KNOWN_FLAGS = {o.flag for o in OPTIONS}
MISSPELT = {"bstm_clsoe"}  # the options page's example of a misspelt key
KNOWN_KEYS = {o.ini for o in OPTIONS} | {name for name, _ in INI_ONLY} | MISSPELT


def options_table() -> str:
    rows = [HEADER, ["---"] * len(HEADER), *reference()]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    where = page.file.src_uri
    unknown = sorted(set(FLAG.findall(markdown)) - KNOWN_FLAGS)
    unknown += sorted(set(INI_KEY.findall(markdown)) - KNOWN_KEYS)
    if unknown:
        raise PluginError(f"{where} names options pytest-bstm does not have: {', '.join(unknown)}")
    if where == "options.md" and MARKER not in markdown:
        raise PluginError(f"{where} has no {MARKER} for the option reference")
    return markdown.replace(MARKER, options_table())

"""The journal's attachment lines: which files go to which result, under which names.

Pure and light (pytest's process journals them without the client stack). A result gets every
file its tests attached (``bstm.attach``), each under a name unique within the result; when
the result stands for more than one test, each name starts with the short name of the test
that attached it (``test_login_chrome-shot.png``), so that a reader knows which test produced
it. The upload of these lines is :mod:`pytest_bstm.delivery.attachments`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pytest_bstm.results.model import Result
from pytest_bstm.results.paths import safe_name

Record = dict[str, Any]
MAX_LABEL = 60  # characters of the test's short name in front of a file's name


def label(nodeid: str) -> str:
    """A test's short name, in safe characters and bounded: ``test_login[chrome]`` ->
    ``test_login_chrome``."""
    short = nodeid.rsplit("::", 1)[-1].replace("/", "_").replace("\\", "_")
    return safe_name(short.replace(".", "_"))[:MAX_LABEL].rstrip("._-") or "test"


def records_for(
    result: Result, tests: Iterable[tuple[str, list[Record]]], folder: Path
) -> list[Record]:
    """The attachment lines for ``result``: every file of ``tests`` ((node ID, evidence) of
    each test that recorded some), a name used twice made unique (``shot.png``,
    ``shot-2.png``), prefixed by the test's label when the result has more than one test;
    paths relative to ``folder``; IDs ``<key>-<n>``."""
    records: list[Record] = []
    names: set[str] = set()
    many = len(set(result.nodeids)) > 1
    for nodeid, evidence in tests:
        for ev in evidence:
            if ev.get("kind") != "attachment":
                continue
            base = str(ev["name"])
            if many:
                base = f"{label(nodeid)}-{base}"  # at most 60 + 1 + 120 characters
            name, n = base, 1
            while name in names:
                n += 1
                stem, dot, ext = base.rpartition(".")
                name = f"{stem}-{n}.{ext}" if dot and stem else f"{base}-{n}"
            names.add(name)
            file = Path(ev["file"]).absolute()  # both made absolute from pytest's working
            with contextlib.suppress(ValueError):  # directory, which the sender shares
                file = file.relative_to(folder.absolute())
            records.append(
                {
                    "id": f"{result.key}-{len(records) + 1}",
                    "key": result.key,
                    "case": result.case_id,
                    "configuration": result.configuration_id,
                    "file": str(file),
                    "name": name,
                    "content_type": ev.get("content_type") or "application/octet-stream",
                    "size": ev.get("size"),
                    "nodeid": nodeid,
                }
            )
    return records


def crash_records(
    result: Result,
    before: list[tuple[str, list[Record]]],
    crashed: tuple[str, list[Record]],
    folder: Path,
) -> list[Record]:
    """The attachment lines of a crash result: the files of the tests it was merged with
    (``before``, whose lines the replay made as ``<key>-<n>``) and of the test that died
    (``<key>-crash-<n>``), named as the one result they are now: each by its test when there
    are several."""
    lines = records_for(result, [*before, crashed], folder)
    earlier = sum(1 for _, evidence in before for r in evidence if r.get("kind") == "attachment")
    for n, line in enumerate(lines[earlier:], 1):
        line["id"] = f"{result.key}-crash-{n}"
    return lines

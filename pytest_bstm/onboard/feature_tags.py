"""Case tags written into a ``.feature`` file, byte for byte.

A tag (``@TC-12``) goes on its own line right above the scenario's keyword line (below any
tags it has), with that line's indentation and the file's line ending; every other byte stays
as it was. The splice is the one :func:`pytest_bstm.onboard.markers.apply` makes for markers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_bstm.collect import gherkin
from pytest_bstm.onboard.markers import Insertion, SourceChangedError, apply


@dataclass(frozen=True)
class FeatureSource:
    """A feature file's exact bytes."""

    path: Path
    data: bytes

    @classmethod
    def read(cls, path: Path) -> FeatureSource:
        return cls(path, path.read_bytes())

    def plan(self, tags: Mapping[int, str]) -> list[Insertion]:
        """An insertion per scenario keyword line -> case ID."""
        lines = self.data.splitlines()
        out = []
        for line, case_id in sorted(tags.items()):
            text = lines[line - 1].decode("utf-8", "replace").lstrip("\ufeff")
            indent = text[: len(text) - len(text.lstrip())]
            out.append(Insertion(line, f"{indent}@{case_id}"))
        return out

    def write(self, insertions: Sequence[Insertion]) -> bytes:
        """Write the file with ``insertions``; SourceChangedError when it changed since read."""
        new = apply(self.data, insertions)
        before = gherkin.parse(self.data.decode("utf-8", "replace"))
        after = gherkin.parse(new.decode("utf-8", "replace"))
        if [s.name for s in after.scenarios] != [s.name for s in before.scenarios]:
            raise ValueError(f"{self.path}: the tags would change its scenarios")  # a bug
        if self.path.read_bytes() != self.data:
            raise SourceChangedError(f"{self.path} changed since it was read")
        with self.path.open("wb") as handle:  # in place: keeps the file's mode and owner
            handle.write(new)
        return new

"""A case a test covers (:class:`CaseRef`), and the error of a mapping that names none well
(:class:`MappingError`): what every way of mapping a test to cases gives (the ``tc`` marker,
:mod:`pytest_bstm.collect.mapping`; a pytest-bdd scenario's tags,
:mod:`pytest_bstm.collect.bdd`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class MappingError(ValueError):
    """A test's case mapping is invalid; the message names the value and what is expected."""


@dataclass(frozen=True)
class CaseRef:
    """One case a test covers, with the configurations and assignee it asks for."""

    case_id: str
    configurations: tuple[int, ...] = ()
    assignee: str | None = None

    def to_json(self) -> list[Any]:
        return [self.case_id, list(self.configurations), self.assignee]

    @classmethod
    def from_json(cls, data: Sequence[Any]) -> CaseRef:
        return cls(str(data[0]), tuple(int(c) for c in data[1]), data[2])

"""The values that flow from reports to the service: a test's outcome and one result per
(case, configuration) ``Key``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pytest_bstm.collect.refs import CaseRef
from pytest_bstm.config.journal_lines import Key, result_key

__all__ = ["Key", "Result", "TestOutcome", "keys_for", "rank", "result_key"]

RANK = {"failed": 6, "blocked": 4, "retest": 3, "skipped": 2, "passed": 1}
CUSTOM_RANK = 5  # a custom status ranks below failed and above blocked (our choice)
MAX_ATTEMPTS = 10  # earlier attempts of a rerun named per test (the last ones)


@dataclass
class TestOutcome:
    """The final outcome of one test that executed (the last attempt of a rerun).

    ``outcome`` is one of :data:`pytest_bstm.vocabulary.OUTCOMES`; ``duration`` in seconds;
    ``subtests`` lists each failed (or skipped) subtest as ``"FAILED [msg] (i=1): message"``;
    ``evidence``: the attachments, links and notes the test recorded; ``steps``: a pytest-bdd
    scenario's steps, the failing one with its error.
    """

    __test__ = False  # not a test class, whatever pytest's python_classes say

    nodeid: str
    outcome: str
    duration: float
    refs: list[CaseRef]
    message: str | None = None
    excerpt: str | None = None
    earlier_attempts: list[str] = field(default_factory=list)
    subtests: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)  # results/evidence.py records
    steps: list[str] = field(default_factory=list)  # a pytest-bdd scenario's steps, as run


@dataclass
class Result:
    """One result to upload; ``pytest_bstm_result`` may edit ``status``, ``description``,
    ``issues`` and ``custom_fields``. ``key`` identifies it across retries and replays
    (it ends the description as ``[pytest-bstm <key>]``)."""

    case_id: str
    configuration_id: int | None
    status: str
    description: str
    nodeids: list[str]
    duration_ms: int = 0
    issues: list[str] | None = None
    custom_fields: dict[str, Any] | None = None
    key: str = ""

    @property
    def pair(self) -> Key:
        return (self.case_id, self.configuration_id)


def rank(status: str) -> int:
    """How bad a status is: failed > custom > blocked > retest > skipped > passed."""
    return RANK.get(status.lower(), CUSTOM_RANK)


def keys_for(refs: list[CaseRef], default_configurations: tuple[int, ...]) -> list[Key]:
    """The (case, configuration) pairs a test's references stand for, in order, once each."""
    keys: list[Key] = []
    for ref in refs:
        configurations = ref.configurations or default_configurations
        if configurations:
            keys.extend((ref.case_id, c) for c in configurations)
        else:
            keys.append((ref.case_id, None))
    return list(dict.fromkeys(keys))

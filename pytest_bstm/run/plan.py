"""What a session asks of its run, computed without any request: a JSON-serializable
:class:`RunPlan` that the journal keeps, so that ``bstm journal upload`` can finish the job."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

from pytest_bstm import __version__
from pytest_bstm.collect.refs import CaseRef
from pytest_bstm.config.settings import Settings
from pytest_bstm.results.model import Key
from pytest_bstm.vocabulary import RunMode

if TYPE_CHECKING:  # pytest's process plans runs and never imports the client stack
    from pytest_bstm.api import models


@dataclass(frozen=True)
class RunPlan:
    """The run's intent: ``mode`` create (``payload`` is the ``test_run`` body), clone (of
    ``source``; ``payload`` is the clone body) or join (``run_id``); the (case, configuration)
    ``pairs`` to hold; ``assignees`` per pair; whether to ``prune`` and ``close``; the session
    ``token`` (in a created run's description, so a lost create is found, not repeated)."""

    project: str
    mode: RunMode
    token: str
    run_id: str | None = None
    source: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    pairs: tuple[Key, ...] = ()
    assignees: tuple[tuple[str, int | None, str], ...] = ()
    case_assignee: str | None = None
    prune: bool = False
    close: bool = True

    @property
    def pair_set(self) -> set[Key]:
        return set(self.pairs)

    @property
    def cases(self) -> set[str]:
        return {case for case, _ in self.pairs}

    def without(self, cases: set[str]) -> RunPlan:
        """The plan without ``cases`` (the project does not have them)."""
        payload = dict(self.payload)
        if "test_cases" in payload:
            payload["test_cases"] = [c for c in payload["test_cases"] if c not in cases]
        if "configuration_map" in payload:
            payload["configuration_map"] = _drop_from_map(payload["configuration_map"], cases)
        return replace(
            self,
            payload=payload,
            pairs=tuple(k for k in self.pairs if k[0] not in cases),
            assignees=tuple(a for a in self.assignees if a[0] not in cases),
        )

    def to_json(self) -> dict[str, Any]:
        # shallow: the journal encodes it at once (asdict's deep copy of every pair is slow)
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["payload"] = dict(self.payload)
        data["pairs"] = list(self.pairs)  # JSON arrays, as lists would be: no list per pair
        data["assignees"] = list(self.assignees)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunPlan:
        payload = dict(data.get("payload") or {})
        share = _Sharing(payload.get("test_cases"))
        return cls(
            project=str(data["project"]),
            mode=data["mode"],
            token=str(data["token"]),
            run_id=data.get("run_id"),
            source=data.get("source"),
            payload=payload,
            pairs=tuple((share(c), cfg) for c, cfg in data.get("pairs") or []),
            assignees=tuple((str(c), cfg, str(w)) for c, cfg, w in data.get("assignees") or []),
            case_assignee=data.get("case_assignee"),
            prune=bool(data.get("prune")),
            close=bool(data.get("close", True)),
        )


class _Sharing:
    """One string per case ID: the pairs take the create's list's strings (a large suite's plan
    names each case twice, and the sender holds the plan for the whole session). Both are in
    case order, so one walk finds each; a pair the list lacks keeps its own string."""

    def __init__(self, cases: Any) -> None:
        self.cases: list[Any] = cases if isinstance(cases, list) else []
        self.at = 0
        self.last: str | None = None

    def __call__(self, case: Any) -> str:
        last, cases, at = self.last, self.cases, self.at
        if last is not None and case == last:
            return last
        if at < len(cases) and cases[at] == case and type(cases[at]) is str:
            found: str = cases[at]
            self.last, self.at = found, at + 1
            return found
        return str(case)


def _drop_from_map(entries: list[dict[str, Any]], cases: set[str]) -> list[dict[str, Any]]:
    out = []
    for entry in entries:
        ids = entry["test_case_id"]
        kept = [c for c in ([ids] if isinstance(ids, str) else ids) if c not in cases]
        if kept:
            out.append({**entry, "test_case_id": kept[0] if len(kept) == 1 else kept})
    return out


def footer(token: str) -> str:
    return f"Reported by pytest-bstm {__version__} (session {token})"


def build(settings: Settings, mapping: Mapping[str, list[CaseRef]], token: str) -> RunPlan:
    """The plan for the mapped tests (``mapping``: node ID -> refs) under ``settings``."""
    # one pass, one tuple per pair and one set per case: a large suite's first test waits for it
    pairs: set[Key] = set()
    case_configs: dict[str, set[int | None]] = {}
    assignees: dict[Key, str] = {}
    default, case_assignee = settings.configurations or (None,), settings.case_assignee
    for refs in mapping.values():
        for ref in refs:
            case = ref.case_id
            configs = case_configs.get(case)
            if configs is None:
                configs = case_configs[case] = set()
            for configuration in ref.configurations or default:
                key = (case, configuration)
                pairs.add(key)
                configs.add(configuration)
                who = ref.assignee or case_assignee
                if who and (ref.assignee or key not in assignees):
                    assignees[key] = who
    plan = RunPlan(
        project=settings.project,
        mode=settings.mode,
        token=token,
        run_id=settings.run_id,
        source=settings.clone_id,
        pairs=tuple(sorted(pairs, key=_order)),
        assignees=tuple((c, cfg, w) for (c, cfg), w in sorted(assignees.items(), key=_kv_order)),
        case_assignee=settings.case_assignee,
        prune=settings.prune,
        close=settings.close,
    )
    if settings.mode == "create":
        return replace(plan, payload=create_payload(settings, case_configs, token))
    if settings.mode == "clone":
        return replace(plan, payload=clone_payload(settings))
    return plan


def with_pairs(plan: RunPlan, extra: list[Key]) -> RunPlan:
    """The plan holding ``extra`` pairs too (cases a test recorded at run time)."""
    pairs = tuple(sorted(set(plan.pairs) | set(extra), key=_order))
    payload = dict(plan.payload)
    if plan.mode == "create":
        cases = {c for c, _ in pairs}
        payload["test_cases"] = sorted(cases, key=lambda c: int(c[3:]))
    return replace(plan, pairs=pairs, payload=payload)


def _order(key: Key) -> tuple[int, int]:
    return (int(key[0][3:]), key[1] or 0)


def _kv_order(item: tuple[Key, str]) -> tuple[int, int]:
    return _order(item[0])


def clone_payload(settings: Settings) -> dict[str, Any]:
    """The clone request's body (seed: Clone a test run)."""
    body: dict[str, Any] = {"name": settings.run_name}
    if settings.clone_statuses:
        body["test_case_selection"] = "by_results"
        body["statuses"] = list(settings.clone_statuses)
    return body


def create_payload(
    settings: Settings, case_configs: Mapping[str, set[int | None]], token: str
) -> dict[str, Any]:
    """The ``test_run`` body of the create request."""
    description = "\n\n".join(filter(None, [settings.run_description, footer(token)]))
    payload: dict[str, Any] = {
        "name": settings.run_name,
        "description": description,
        "test_cases": sorted(case_configs, key=lambda c: int(c[3:])),
    }
    optional = {
        "assignee": settings.assignee,
        "test_case_assignee": settings.case_assignee,
        "tags": list(settings.tags) or None,
        "issues": list(settings.issues) or None,
        "test_plan_id": settings.test_plan,
        "sub_test_plan_id": settings.sub_test_plan,
        "configurations": list(settings.configurations) or None,
    }
    payload.update({k: v for k, v in optional.items() if v is not None})
    default: set[int | None] = set(settings.configurations) or {None}
    groups: dict[tuple[int, ...], list[str]] = {}
    for case_id in payload["test_cases"]:
        configs = case_configs[case_id]
        if configs != default and None not in configs:
            groups.setdefault(tuple(sorted(c for c in configs if c is not None)), []).append(
                case_id
            )
    if groups:
        payload["configuration_map"] = [
            {"test_case_id": ids[0] if len(ids) == 1 else ids, "configuration_ids": list(cfgs)}
            for cfgs, ids in groups.items()
        ]
    return payload


def created_pairs(plan: RunPlan) -> set[Key]:
    """The planned pairs a create with ``plan.payload`` holds: ``configuration_map`` entries,
    else ``configurations``, else none (doc). A case under some configurations and under none
    is created under none: the create body cannot say both; its other pairs are added after.
    The plan's own pairs, not copies (a large suite's run has many)."""
    payload = plan.payload
    default: set[int | None] = set(payload.get("configurations") or []) or {None}
    mapped: dict[str, set[int | None]] = {}
    for entry in payload.get("configuration_map") or []:
        ids = entry["test_case_id"]
        for case_id in [ids] if isinstance(ids, str) else ids:
            mapped[case_id] = set(entry["configuration_ids"])
    listed = set(payload.get("test_cases") or [])
    return {
        (case_id, cfg)
        for case_id, cfg in plan.pairs
        if case_id in listed and cfg in (mapped.get(case_id) or default)
    }


def selections(pairs: set[Key]) -> list[models.CaseSelection]:
    """``add_test_cases``/``remove_test_cases`` entries: one per configuration."""
    from pytest_bstm.api import models  # noqa: PLC0415 - the sender's side only

    by_config: dict[int | None, list[str]] = {}
    for case_id, cfg in sorted(pairs, key=lambda k: (k[1] or 0, int(k[0][3:]))):
        by_config.setdefault(cfg, []).append(case_id)
    return [
        models.CaseSelection(test_case_ids=ids, configuration_ids=None if cfg is None else [cfg])
        for cfg, ids in by_config.items()
    ]

"""Which TM cases a test covers: the ``tc`` marker, ``record_property("id", ...)``, the hook."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from pytest_bstm.collect import bdd
from pytest_bstm.collect.refs import CaseRef, MappingError
from pytest_bstm.vocabulary import CASE_ID_RE, EMAIL_RE

if TYPE_CHECKING:
    from pytest_bstm.collect.configurations import Configurations

__all__ = [  # CaseRef and MappingError (collect/refs.py): the mapping's words, for its users
    "MARKER_HELP",
    "PLUGIN_NAME",
    "RECORD_FIXTURE",
    "RECORD_PROPERTY",
    "CaseRef",
    "MappingError",
    "check_case_id",
    "map_items",
    "may_record",
    "normalize",
    "pytest_bstm_case_ids",
    "refs_from_marker",
    "refs_from_properties",
    "repeats",
]
PLUGIN_NAME = "bstm-mapping"  # this module, registered as a plugin when reporting is on
RECORD_PROPERTY = "id"
RECORD_FIXTURE = "record_property"
MARKER_HELP = (
    "tc(*case_ids, configurations=None, assignee=None): the BrowserStack Test Management cases "
    'this test covers, e.g. @pytest.mark.tc("TC-1", "TC-2")'
)


def _flatten(args: Iterable[object]) -> list[object]:
    out: list[object] = []
    for arg in args:
        if isinstance(arg, (list, tuple, set, frozenset)):
            out.extend(arg)
        else:
            out.append(arg)
    return out


def check_case_id(value: object) -> str:
    case_id = value.strip() if isinstance(value, str) else None
    if case_id is None or not CASE_ID_RE.fullmatch(case_id):
        raise MappingError(f"{value!r} is not a test case ID like 'TC-1'")
    return case_id


def _configurations(value: object) -> tuple[int, ...]:
    if value is None:
        return ()
    items = _flatten([value])
    ok = all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in items)
    if not ok or not items:
        raise MappingError(
            f"configurations={value!r} must be a list of positive integer configuration IDs"
        )
    return tuple(int(v) for v in items)  # type: ignore[call-overload]


def _assignee(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not EMAIL_RE.fullmatch(value):
        raise MappingError(f"assignee={value!r} must be an email address")
    return value


def refs_from_marker(args: Sequence[object], kwargs: dict[str, object]) -> list[CaseRef]:
    """Validate one ``tc`` marker's arguments into case references."""
    configurations: tuple[int, ...] = ()
    assignee: str | None = None
    if kwargs:
        unknown = sorted(set(kwargs) - {"configurations", "assignee"})
        if unknown:
            raise MappingError(
                f"unknown keyword argument(s) {', '.join(unknown)}: tc() takes "
                "configurations= and assignee="
            )
    ids = [check_case_id(v) for v in _flatten(args)]
    if not ids:
        raise MappingError("tc() needs at least one test case ID, e.g. tc('TC-1')")
    if kwargs:
        configurations = _configurations(kwargs.get("configurations"))
        assignee = _assignee(kwargs.get("assignee"))
    return [CaseRef(case_id, configurations, assignee) for case_id in dict.fromkeys(ids)]


def normalize(value: Iterable[str | CaseRef]) -> list[CaseRef]:
    """Turn a hook's answer (IDs or :class:`CaseRef`) into validated references."""
    if isinstance(value, (str, CaseRef)):
        value = [value]
    refs: list[CaseRef] = []
    for entry in value:
        if isinstance(entry, CaseRef):
            check_case_id(entry.case_id)
            refs.append(entry)
        else:
            refs.append(CaseRef(check_case_id(entry)))
    return refs


@pytest.hookimpl(trylast=True)
def pytest_bstm_case_ids(item: pytest.Item) -> list[CaseRef] | None:
    """Built-in mapping: the closest ``tc`` marker: a parameter set's own
    (``pytest.param(..., marks=tc(...))``) over the function's, over a pytest-bdd scenario's
    case tags (:mod:`pytest_bstm.collect.bdd`), over the class's, over the module's."""
    callspec = getattr(item, "callspec", None)
    own = [m for m in getattr(callspec, "marks", ()) if m.name == "tc"]
    closest = next(item.iter_markers_with_node("tc"), None)
    if not own and (closest is None or closest[0] is not item):
        tagged = bdd.refs(item)  # a pytest-bdd scenario's tags: closer than class or module
        if tagged is not None:
            return tagged
    marker = own[-1] if own else (closest[1] if closest is not None else None)
    if marker is None:
        return None
    return refs_from_marker(marker.args, dict(marker.kwargs))


def map_items(
    config: pytest.Config,
    items: Sequence[pytest.Item],
    configurations: Configurations | None = None,
) -> dict[str, list[CaseRef]]:
    """Map every item; raise one ``pytest.UsageError`` naming every offending test. With
    ``configurations`` (``bstm_configuration_param``), a parameter's value names the
    configuration of the test's refs."""
    mapping: dict[str, list[CaseRef]] = {}
    problems: list[str] = []
    hook = config.hook.pytest_bstm_case_ids
    impls = hook.get_hookimpls()
    # only the built-in reader answers: call it directly, not through the hook per item
    builtin = len(impls) == 1 and config.pluginmanager.get_name(impls[0].plugin) == PLUGIN_NAME
    for item in items:
        try:
            answer: Any = impls[0].function(item) if builtin else hook(item=item)
            refs = normalize(answer) if answer is not None else []
        except MappingError as exc:
            problems.append(f"{item.nodeid}: {exc}")
            continue
        mapping[item.nodeid] = refs
    if problems:
        raise pytest.UsageError(
            "pytest-bstm: invalid test case mapping (fix the tc markers or the "
            "pytest_bstm_case_ids hook):\n  " + "\n  ".join(problems)
        )
    if configurations is not None:
        configurations.apply(items, mapping)
    return mapping


def refs_from_properties(properties: Iterable[tuple[str, object]]) -> list[CaseRef]:
    """The cases a test recorded with ``record_property("id", "TC-3")`` (the vendor's
    documented way of tagging pytest tests), once each."""
    ids = [
        value
        for name, value in properties
        if name == RECORD_PROPERTY and isinstance(value, str) and CASE_ID_RE.fullmatch(value)
    ]
    return [CaseRef(case_id) for case_id in dict.fromkeys(ids)]


def may_record(item: pytest.Item) -> bool:
    """Whether ``item`` can add a case at run time (it requests ``record_property``)."""
    return RECORD_FIXTURE in getattr(item, "fixturenames", ())


def repeats(items: Iterable[pytest.Item], times: int = 1) -> dict[str, int]:
    """Node IDs that run more than once -> how often: each item runs ``times`` times
    (``--dist each``), and an ID can occur more than once (``--keep-duplicates``)."""
    seen: dict[str, int] = {}
    for item in items:
        seen[item.nodeid] = seen.get(item.nodeid, 0) + times
    return {nodeid: count for nodeid, count in seen.items() if count > 1}

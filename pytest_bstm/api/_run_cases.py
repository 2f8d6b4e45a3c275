"""Endpoints on the test cases of a run: list, assign, add/remove (chunked)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

from . import _query
from ._envelopes import AcceptedEnvelope, Envelope, RunCasesPage
from ._readings import CASE_CHANGE_FALLBACK_STATUSES, CASE_CHANGE_PATHS
from ._request import ClientCore
from ._runs import run_path
from .errors import ApiError, BadRequestError, InvalidRequestError
from .models import Assignment, CaseSelection, RunTestCase

TOO_MANY_CASES = "max_test_cases_per_request_exceeded"

# One unit of work: (operation key, selection index, configuration IDs, test case ID).
_Unit = tuple[str, int, tuple[int, ...] | None, str]


def iter_run_test_cases(
    api: ClientCore,
    project_id: str,
    run_id: str,
    *,
    page_size: int = 300,
    fetch_steps: bool = False,
    minify: bool = False,
) -> Iterator[RunTestCase]:
    """Iterate over a run's test cases (all pages).

    With ``fetch_steps`` the service does not paginate: one request, first page only.
    """
    _query.check_page_size(page_size)
    path = run_path(project_id, run_id, "/test-cases")
    params: dict[str, str | int] = {}
    if minify:
        params["minify"] = "true"
    if fetch_steps:
        params["fetch_steps"] = "true"
        return iter(api._request("GET", path, model=RunCasesPage, params=params).items)
    return api._paginate(path, RunCasesPage, params, page_size)


def count_run_test_cases(api: ClientCore, project_id: str, run_id: str) -> int | None:
    """How many (test case, configuration) entries the run holds, from the first page of
    the smallest size the service takes (30; api-notes: ``info.count``); None when the
    answer has no count."""
    path = run_path(project_id, run_id, "/test-cases")
    page = api._request(
        "GET", path, model=RunCasesPage, params={"p": 1, "page_size": 30, "minify": "true"}
    )
    return page.info.count if page.info is not None else None


def assign(
    api: ClientCore, project_id: str, run_id: str, assignments: Sequence[Assignment]
) -> None:
    """Set the assignee of (test case, configuration) entries; nothing to do is a no-op."""
    if not assignments:
        return
    body = {"assign_to": [item.to_wire() for item in assignments]}
    path = run_path(project_id, run_id, "/assign")
    api._request("POST", path, model=Envelope, body=body, idempotent=True)


def update_test_cases(
    api: ClientCore,
    project_id: str,
    run_id: str,
    *,
    add: Sequence[CaseSelection] = (),
    remove: Sequence[CaseSelection] = (),
    preserve_existing_results: bool = True,
    chunk_size: int = 500,
) -> list[str]:
    """Add and/or remove test cases; returns the ``unique_id`` of each 202 answer.

    The change lands asynchronously. Requests carry at most ``chunk_size``
    (case, configuration) pairs; on ``max_test_cases_per_request_exceeded`` the chunk
    is halved and the request repeated. The request goes to ``.../update-test-cases``
    (doc), or to ``.../test-cases`` when the documented path answers 404 or 405 and the
    other one works; the path that worked is used for the rest of the client's life.
    """
    if not add and not remove:
        raise InvalidRequestError("update_test_cases needs test cases to add or to remove")
    if not isinstance(preserve_existing_results, bool):
        raise InvalidRequestError("preserve_existing_results must be True or False")
    if isinstance(chunk_size, bool) or chunk_size < 1:
        raise InvalidRequestError(f"chunk_size must be a positive integer, not {chunk_size!r}")
    units = _units("add_test_cases", add) + _units("remove_test_cases", remove)
    unique_ids: list[str] = []
    size = chunk_size
    start = 0
    while start < len(units):
        batch, taken, leftover = _take(units, start, size)
        operations: dict[str, Any] = _group(batch)
        operations["preserve_existing_results"] = preserve_existing_results
        body = {"test_run": operations}
        try:
            answer = _patch_cases(api, project_id, run_id, body)
        except BadRequestError as exc:
            weight = sum(_weight(unit) for unit in batch)
            if exc.error == TOO_MANY_CASES and weight > 1:
                size = max(1, weight // 2)
                continue
            raise
        unique_ids.append(answer.unique_id or "")
        start += taken
        if leftover is not None:
            units[start - 1] = leftover
            start -= 1
    return unique_ids


def _patch_cases(api: ClientCore, project_id: str, run_id: str, body: Any) -> AcceptedEnvelope:
    """One add/remove request, at the path this client found to work."""
    chosen = api.case_changes.chosen
    if chosen is not None:
        path = run_path(project_id, run_id, chosen)
        return api._request("PATCH", path, model=AcceptedEnvelope, body=body)
    documented, other = CASE_CHANGE_PATHS
    try:
        answer = api._request(
            "PATCH", run_path(project_id, run_id, documented), model=AcceptedEnvelope, body=body
        )
    except ApiError as exc:
        if exc.status not in CASE_CHANGE_FALLBACK_STATUSES:
            raise
        try:
            answer = api._request(
                "PATCH", run_path(project_id, run_id, other), model=AcceptedEnvelope, body=body
            )
        except ApiError as again:
            if again.status in CASE_CHANGE_FALLBACK_STATUSES:
                raise exc from None  # neither path knows the run: the first answer says why
            raise
        api.case_changes.chosen = other
        return answer
    api.case_changes.chosen = documented
    return answer


def _units(operation: str, selections: Sequence[CaseSelection]) -> list[_Unit]:
    units: list[_Unit] = []
    for index, selection in enumerate(selections):
        doubles = sorted(tc for tc, n in Counter(selection.test_case_ids).items() if n > 1)
        if doubles:
            raise InvalidRequestError(
                f"{operation} selection {index} lists {', '.join(doubles)} more than once; "
                "list each test case ID once per selection"
            )
        configs = (
            tuple(selection.configuration_ids) if selection.configuration_ids is not None else None
        )
        units.extend((operation, index, configs, tc) for tc in selection.test_case_ids)
    return units


def _weight(unit: _Unit) -> int:
    configs = unit[2]
    return len(configs) if configs else 1


def _take(units: list[_Unit], start: int, size: int) -> tuple[list[_Unit], int, _Unit | None]:
    """Units from ``start`` weighing at most ``size`` pairs.

    Returns the batch, how many units it consumed, and the remainder of a unit that had
    to be split (one test case under more configurations than fit in one request).
    """
    batch: list[_Unit] = []
    total = 0
    index = start
    while index < len(units) and total < size:
        unit = units[index]
        weight = _weight(unit)
        if total + weight <= size:
            batch.append(unit)
            total += weight
            index += 1
            continue
        operation, selection, configs, tc = unit
        if not batch and configs:
            batch.append((operation, selection, configs[:size], tc))
            return batch, index - start + 1, (operation, selection, configs[size:], tc)
        break
    return batch, index - start, None


def _group(batch: list[_Unit]) -> dict[str, list[dict[str, Any]]]:
    """Consecutive units of one selection become one entry."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    previous: tuple[str, int, tuple[int, ...] | None] | None = None
    for operation, selection, configs, tc in batch:
        key = (operation, selection, configs)
        entries = grouped.setdefault(operation, [])
        if key != previous:
            entry: dict[str, Any] = {"test_case_ids": []}
            if configs is not None:
                entry["configuration_ids"] = list(configs)
            entries.append(entry)
            previous = key
        entries[-1]["test_case_ids"].append(tc)
    return grouped

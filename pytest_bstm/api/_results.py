"""Result endpoints: add one, add many, list."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

from pytest_bstm.vocabulary import MAX_RESULTS_PER_REQUEST

from . import _query
from ._envelopes import (
    Envelope,
    ResultCreatedEnvelope,
    ResultsPage,
)
from ._request import ClientCore
from ._runs import run_path
from .errors import InvalidRequestError
from .models import ResultIn, TestResult


def add_result(api: ClientCore, project_id: str, run_id: str, result: ResultIn) -> str | int | None:
    """Post one result; returns the created result's ID (if the service sent it).

    Not retried once it may have been sent (AmbiguousRequestError).
    """
    path = run_path(project_id, run_id, "/results")
    answer = api._request(
        "POST", path, model=ResultCreatedEnvelope, body=result.to_wire(), idempotent=False
    )
    return answer.result_id


def add_results(api: ClientCore, project_id: str, run_id: str, results: Sequence[ResultIn]) -> None:
    """Post up to 300 results in ONE request; nothing to post is a no-op.

    A (test case, configuration) may appear only once per request. Results for case
    IDs unknown to the project are accepted and silently dropped by the service.
    Not retried once it may have been sent (AmbiguousRequestError).
    """
    if len(results) > MAX_RESULTS_PER_REQUEST:
        raise InvalidRequestError(
            f"add_results takes at most {MAX_RESULTS_PER_REQUEST} results per request, "
            f"got {len(results)}; split them into batches"
        )
    if not results:
        return
    counts = Counter((item.test_case_id, item.configuration_id) for item in results)
    doubles = [pair for pair, n in counts.items() if n > 1]
    if doubles:
        shown = ", ".join(
            tc if config is None else f"{tc} (configuration {config})" for tc, config in doubles
        )
        raise InvalidRequestError(
            f"add_results got several results for {shown}; send one result per "
            "(test case, configuration) per request"
        )
    body = {"results": [item.to_wire() for item in results]}
    path = run_path(project_id, run_id, "/results")
    api._request("POST", path, model=Envelope, body=body, idempotent=False)


def iter_results(
    api: ClientCore, project_id: str, run_id: str, *, page_size: int = 300
) -> Iterator[TestResult]:
    """Iterate over a run's results (all pages)."""
    path = run_path(project_id, run_id, "/results")
    return api._paginate(path, ResultsPage, {}, _query.check_page_size(page_size))

"""Sending journaled results to one run, each exactly once, marking the journal as it goes.

Before posting, the results' test cases are checked against the project (unknown ones are
rejected: the service would drop them silently) and their (case, configuration) pairs are
added to the run if missing. Batches hold at most 300 results and one result per pair. A
batch answered 400 is split to find the offending results, which are marked rejected. When
an answer never comes, the run's results are searched for the ``[pytest-bstm <key>]``
markers before anything is sent again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from pytest_bstm.api import Client, errors
from pytest_bstm.delivery.journal import Journal
from pytest_bstm.delivery.records import KEY_RE, MAX_BATCH, to_wire
from pytest_bstm.results.tracker import Key, Result
from pytest_bstm.run.cases import ChangeNotVisibleError, run_pairs, wait_for_pairs
from pytest_bstm.run.lifecycle import selections

AMBIGUOUS_TRIES = 3
CASE_QUERY_CHUNK = 100


class RunClosedError(errors.BstmError):
    """The run is closed or gone: its results must go to another run."""


def batches(results: list[Result], size: int = MAX_BATCH) -> Iterator[list[Result]]:
    """Consecutive batches of at most ``size``, never two results for one pair."""
    batch: list[Result] = []
    pairs: set[Key] = set()
    for result in results:
        pair = (result.case_id, result.configuration_id)
        if len(batch) >= size or pair in pairs:
            yield batch
            batch, pairs = [], set()
        batch.append(result)
        pairs.add(pair)
    if batch:
        yield batch


def marker(key: str) -> str:
    return f"[pytest-bstm {key}]"


class Replay:
    """Uploads results to one run; ``sent``, ``rejected`` and ``errors`` say what happened."""

    def __init__(self, client: Client, journal: Journal, project: str, run: str) -> None:
        self.client = client
        self.journal = journal
        self.project = project
        self.run_id = run
        self.sent: Counter[str] = Counter()
        self.rejected: list[tuple[Result, str]] = []
        self.errors: list[str] = []
        self._done: set[str] = set()

    def upload(self, results: list[Result]) -> None:
        try:
            self._check_open()
            results = self._known(results)
            self._ensure_pairs(results)
            for batch in batches(results):
                self._send(batch)
        except (errors.BstmError, ChangeNotVisibleError) as exc:
            self.errors.append(str(exc))

    def _gone(self, why: str) -> RunClosedError:
        return RunClosedError(
            f"run {self.run_id} {why}, so it takes no results: create a new run with "
            f"`bstm runs create --project {self.project} --name NAME` and upload into it "
            "with `bstm journal upload PATH --run <its ID>`"
        )

    def _check_open(self) -> None:
        try:
            run = self.client.get_run_minified(self.project, self.run_id)
        except errors.NotFoundError as exc:
            raise self._gone(f"was not found in {self.project} ({exc.message})") from None
        if run.active_state == "closed":
            raise self._gone("is closed")

    def _known(self, results: list[Result]) -> list[Result]:
        """Reject results for cases the project does not have (the service drops them)."""
        ids = sorted({r.case_id for r in results})
        known: set[str] = set()
        for start in range(0, len(ids), CASE_QUERY_CHUNK):
            chunk = ids[start : start + CASE_QUERY_CHUNK]
            cases = self.client.iter_project_test_cases(self.project, test_case_id=chunk)
            known.update(case.identifier for case in cases)
        configurations: set[int] = set()
        if any(r.configuration_id is not None for r in results):
            configurations = {cfg.id for cfg in self.client.iter_configurations()}
        kept: list[Result] = []
        for r in results:
            if r.case_id not in known:
                self._reject([r], f"test case {r.case_id} is not in project {self.project}")
            elif r.configuration_id is not None and r.configuration_id not in configurations:
                self._reject([r], f"configuration {r.configuration_id} does not exist")
            else:
                kept.append(r)
        return kept

    def _ensure_pairs(self, results: list[Result]) -> None:
        wanted = {(r.case_id, r.configuration_id) for r in results}
        missing = wanted - run_pairs(self.client, self.project, self.run_id)
        if not missing:
            return
        self.client.update_test_cases(
            self.project, self.run_id, add=selections(missing), preserve_existing_results=True
        )
        wait_for_pairs(self.client, self.project, self.run_id, missing)

    def _send(self, batch: list[Result]) -> None:
        ambiguous: errors.AmbiguousRequestError | None = None
        for _ in range(AMBIGUOUS_TRIES):
            batch = [r for r in batch if r.key not in self._done]
            if ambiguous is not None:
                unchecked = [r for r in batch if marker(r.key) not in r.description]
                if unchecked:
                    raise errors.TransportError(
                        f"{len(unchecked)} result(s) without a {marker('...')} marker may "
                        f"have reached {self.run_id}; check the run before uploading again "
                        f"({ambiguous})",
                        method=ambiguous.method,
                        path=ambiguous.path,
                    )
            if not batch:
                return
            try:
                self._post(batch)
                return
            except errors.AmbiguousRequestError as exc:
                ambiguous = exc
                self._reconcile(batch)
        if ambiguous is not None and any(r.key not in self._done for r in batch):
            raise ambiguous

    def _post(self, batch: list[Result]) -> None:
        pending = [r for r in batch if r.key not in self._done]
        if not pending:
            return
        try:
            self.client.add_results(self.project, self.run_id, [to_wire(r) for r in pending])
        except errors.BadRequestError as exc:
            if len(pending) == 1:
                self._reject(pending, exc.message or str(exc))
                return
            middle = len(pending) // 2
            self._post(pending[:middle])
            self._post(pending[middle:])
            return
        except errors.NotFoundError as exc:
            raise self._gone(f"was closed or deleted ({exc.message})") from None
        self._mark_sent(pending)

    def _reconcile(self, batch: list[Result]) -> None:
        """Mark sent the results of ``batch`` that the run holds after all."""
        found = {
            match.group(1)
            for result in self.client.iter_results(self.project, self.run_id)
            for match in KEY_RE.finditer(result.description or "")
        }
        self._mark_sent([r for r in batch if r.key in found and r.key not in self._done])

    def _mark_sent(self, results: list[Result]) -> None:
        self.journal.sent([r.key for r in results])
        self._done.update(r.key for r in results)
        self.sent.update(r.status for r in results)

    def _reject(self, results: list[Result], message: str) -> None:
        self.journal.rejected([r.key for r in results], message)
        self._done.update(r.key for r in results)
        self.rejected.extend((r, message) for r in results)

"""The one delivery engine: results to one run, each exactly once, the journal marked as it goes.

Used by the one driver (:mod:`pytest_bstm.delivery.driver`), so every delivery rule exists
once:

- a result for a case the project does not have is rejected (the service would drop it
  silently: api-notes); the project's cases are listed only when the service refuses one;
- the (case, configuration) pairs a result needs are added to the run first (202, then waited
  for), with ``preserve_existing_results``;
- batches hold at most 300 results, at most ``max_bytes``, and never two results for one pair
  (the service refuses such a batch);
- a batch answered 400 is split to find the offending results, which are marked rejected;
- after an answer that never came, the run's results are searched for the
  ``[pytest-bstm <key>]`` markers before anything is sent again.

Transient failures (transport, 5xx, 429, a change not yet visible) propagate once the client
gave up retrying them: nothing here retries; what is not yet ``done`` stays in the journal for a
later delivery. ``RunClosedError``, 401 and 403 are permanent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet

from pytest_bstm.api import Client, errors
from pytest_bstm.delivery.journal import Journal
from pytest_bstm.delivery.records import KEY_RE, MAX_BATCH, marker, result_size, to_wire
from pytest_bstm.results.model import Key, Result
from pytest_bstm.run.cases import ChangeNotVisibleError, run_pairs, wait_for_pairs
from pytest_bstm.run.lifecycle import RunClosedError
from pytest_bstm.run.plan import selections

AMBIGUOUS_TRIES = 3
CASE_QUERY_CHUNK = 100
TRANSIENT = (*errors.TRANSIENT, ChangeNotVisibleError)


def batches(
    results: list[Result], size: int = MAX_BATCH, max_bytes: int = 512_000
) -> Iterator[list[Result]]:
    """Consecutive batches of at most ``size`` results and about ``max_bytes``, never two
    results for one (case, configuration)."""
    batch: list[Result] = []
    pairs: set[Key] = set()
    weight = 0
    for result in results:
        cost = result_size(result)
        if batch and (len(batch) >= size or result.pair in pairs or weight + cost > max_bytes):
            yield batch
            batch, pairs, weight = [], set(), 0
        batch.append(result)
        pairs.add(result.pair)
        weight += cost
    if batch:
        yield batch


class Sender:
    """Delivers results to ``run_id``; ``sent``, ``rejected`` and ``added`` say what happened.

    ``pairs``: the run's (case, configuration) pairs when known (else read once);
    ``project_cases``: the project's case IDs when already listed (else listed on refusal);
    ``before_write``: called before every request that writes to the run, raises to stop
    (the upload thread's check that the session still waits for it).
    """

    def __init__(
        self,
        client: Client,
        journal: Journal,
        project: str,
        run_id: str,
        *,
        pairs: AbstractSet[Key] | None = None,
        project_cases: set[str] | None = None,
        max_batch: int = MAX_BATCH,
        max_bytes: int = 512_000,
        before_write: Callable[[], None] | None = None,
    ) -> None:
        self.client = client
        self.before_write = before_write or (lambda: None)
        self.journal = journal
        self.project = project
        self.run_id = run_id
        self.pairs = pairs
        self.project_cases = project_cases
        self.max_batch = max_batch
        self.max_bytes = max_bytes
        self.sent: Counter[str] = Counter()
        self.rejected: list[tuple[Result, str]] = []
        self.unknown_cases: set[str] = set()
        self.unknown_configurations: set[int | None] = set()
        self.added: set[Key] = set()  # the pairs this sender added to the run
        self.done: set[str] = set()
        # results that may be in the run already: a post whose answer never came, or (for a
        # replay) every result of a journal, which a killed session may have sent
        self.unconfirmed: set[str] = set()

    def check_open(self) -> None:
        """Raise RunClosedError when the run is closed or gone."""
        try:
            run = self.client.get_run_minified(self.project, self.run_id)
        except errors.NotFoundError as exc:
            raise self._gone(f"was not found in {self.project} ({exc.message})") from None
        if run.active_state == "closed":
            raise self._gone("is closed")

    def send(self, results: list[Result]) -> None:
        """Deliver every result of ``results`` not yet done; see the module doc for errors."""
        todo = [r for r in results if r.key not in self.done]
        if any(r.key in self.unconfirmed for r in todo):
            self._reconcile([r for r in todo if r.key in self.unconfirmed])
            todo = [r for r in todo if r.key not in self.done]
        if not todo:
            return
        todo = self._ensure_pairs(self._drop_unknown(todo))
        self.journal.sync()  # a batch boundary: what is about to be sent is on disk
        for batch in batches(todo, self.max_batch, self.max_bytes):
            self._send(batch)

    # -- cases and pairs -----------------------------------------------------------------------
    def _drop_unknown(self, results: list[Result]) -> list[Result]:
        known, unknown = self.project_cases, self.unknown_cases
        kept = []
        for r in results:
            if r.case_id in unknown or (known is not None and r.case_id not in known):
                unknown.add(r.case_id)
                self._reject([r], f"test case {r.case_id} is not in project {self.project}")
            elif r.configuration_id in self.unknown_configurations:
                self._reject([r], f"configuration {r.configuration_id} does not exist")
            else:
                kept.append(r)
        return kept

    def _find_unknown(self, pairs: set[Key]) -> bool:
        """After the service refused to add ``pairs``: ask which cases the project has and
        which configurations exist; True when some are unknown (their results get rejected)."""
        ids = sorted({case for case, _ in pairs})
        found: set[str] = set()
        for start in range(0, len(ids), CASE_QUERY_CHUNK):
            chunk = ids[start : start + CASE_QUERY_CHUNK]
            cases = self.client.iter_project_test_cases(self.project, test_case_id=chunk)
            found.update(case.identifier for case in cases)
        before = len(self.unknown_cases) + len(self.unknown_configurations)
        self.unknown_cases |= set(ids) - found
        wanted = {cfg for _, cfg in pairs if cfg is not None}
        if wanted:
            existing = {cfg.id for cfg in self.client.iter_configurations()}
            self.unknown_configurations |= wanted - existing
        return len(self.unknown_cases) + len(self.unknown_configurations) > before

    def _ensure_pairs(self, results: list[Result]) -> list[Result]:
        if self.pairs is None:
            try:
                self.pairs = run_pairs(self.client, self.project, self.run_id)
            except errors.NotFoundError as exc:
                raise self._gone(f"was closed or deleted ({exc.message})") from None
        missing = {r.pair for r in results} - self.pairs
        if not missing:
            return results
        try:
            self._add(missing)
        except errors.BadRequestError:
            if not self._find_unknown(missing):
                raise
            results = self._drop_unknown(results)
            missing = {r.pair for r in results} - self.pairs
            if missing:
                self._add(missing)
        return results

    def _add(self, missing: set[Key]) -> None:
        assert self.pairs is not None
        self.before_write()
        try:
            self.client.update_test_cases(
                self.project, self.run_id, add=selections(missing), preserve_existing_results=True
            )
        except errors.NotFoundError as exc:
            raise self._gone(f"was closed or deleted ({exc.message})") from None
        self.pairs = wait_for_pairs(
            self.client, self.project, self.run_id, missing, current=self.pairs
        )
        self.added |= missing

    # -- results -------------------------------------------------------------------------------
    def _send(self, batch: list[Result]) -> None:
        ambiguous: errors.AmbiguousRequestError | None = None
        for _ in range(AMBIGUOUS_TRIES):
            batch = [r for r in batch if r.key not in self.done]
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
                self.unconfirmed.update(r.key for r in batch if r.key not in self.done)
                self._reconcile(batch)
        if ambiguous is not None and any(r.key not in self.done for r in batch):
            raise ambiguous

    def _post(self, batch: list[Result]) -> None:
        pending = [r for r in batch if r.key not in self.done]
        if not pending:
            return
        self.before_write()
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
        """Mark sent the results of ``batch`` that the run holds after all; the others are
        confirmed absent (a failure to read raises, and they stay unconfirmed)."""
        try:
            found = {
                match.group(1)
                for result in self.client.iter_results(self.project, self.run_id)
                for match in KEY_RE.finditer(result.description or "")
            }
        except errors.NotFoundError as exc:
            raise self._gone(f"was closed or deleted ({exc.message})") from None
        self._mark_sent([r for r in batch if r.key in found and r.key not in self.done])
        self.unconfirmed.difference_update(r.key for r in batch)

    def _mark_sent(self, results: list[Result]) -> None:
        self.journal.sent([r.key for r in results])
        self.done.update(r.key for r in results)
        self.sent.update(r.status for r in results)

    def _reject(self, results: list[Result], message: str) -> None:
        self.journal.rejected([r.key for r in results], message)
        self.done.update(r.key for r in results)
        self.rejected.extend((r, message) for r in results)

    def _gone(self, why: str) -> RunClosedError:
        # the caller says how to send the results to a new run (delivery.failures)
        return RunClosedError(f"run {self.run_id} {why}, so it takes no results")

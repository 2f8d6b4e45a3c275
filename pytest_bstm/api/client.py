"""The Test Management API client.

One :class:`Client` over one ``requests.Session``. Every call goes through
``ClientCore._request``: it builds the URL, sends JSON with Basic auth and a timeout,
retries per the :class:`~pytest_bstm.api.retry.RetryPolicy`, maps error statuses to
:mod:`pytest_bstm.api.errors` and validates the answer into :mod:`pytest_bstm.api.models`.

Retries: 408, 429, 500, 502, 503, 504 and connection failures that happened before the
request was sent are retried, bounded by the policy's attempts and deadline, or by its
``until`` instant (:meth:`RetryPolicy.retrying_until`). Waits: ``Retry-After`` when the
answer has one; after a 429 without it, the rate limit's 60-second window with full
jitter; otherwise exponential backoff with full jitter. A failure after the request may
have been sent (read timeout, connection dropped, a gateway's 502 or 504) is retried only
for idempotent calls; creating or cloning a run, posting results and creating folders or
test cases raise :class:`~pytest_bstm.api.errors.AmbiguousRequestError` instead, so the
caller can check what happened before trying again.

How answers that the documentation leaves open are read (the run's key, result shapes,
the add/remove test cases path, status names): :mod:`pytest_bstm.api._readings`.
"""

from __future__ import annotations

from ._attachments import AttachmentsMixin
from ._folders import FoldersMixin
from ._project_data import ProjectDataMixin
from ._results import ResultsMixin
from ._run_cases import RunCasesMixin
from ._runs import RunsMixin
from ._transport import DEFAULT_BASE_URL

__all__ = ["DEFAULT_BASE_URL", "Client"]


class Client(
    RunsMixin, RunCasesMixin, ResultsMixin, ProjectDataMixin, FoldersMixin, AttachmentsMixin
):
    """BrowserStack Test Management API client.

    ``Client(*, base_url=DEFAULT_BASE_URL, username=None, access_key=None, timeout=30.0,
    retry=None, user_agent=None)``: missing credentials are read from
    ``BROWSERSTACK_USERNAME`` and ``BROWSERSTACK_ACCESS_KEY``. Proxies and the CA bundle
    are read from the environment once, here; later changes to ``os.environ`` do not
    affect the client, so it is safe to use from a background thread.
    ``requests_sent``, ``rate_limited`` and ``waiting`` report on its traffic.
    """

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

from . import _attachments, _folders, _project_data, _results, _run_cases, _runs
from ._request import ClientCore
from ._session import DEFAULT_BASE_URL

__all__ = ["DEFAULT_BASE_URL", "Client"]


class Client(ClientCore):
    """BrowserStack Test Management API client.

    ``Client(*, base_url=DEFAULT_BASE_URL, username=None, access_key=None, timeout=30.0,
    retry=None, user_agent=None)``: missing credentials are read from
    ``BROWSERSTACK_USERNAME`` and ``BROWSERSTACK_ACCESS_KEY``. Proxies and the CA bundle
    are read from the environment once, here; later changes to ``os.environ`` do not
    affect the client, so it is safe to use from a background thread.
    ``requests_sent``, ``rate_limited`` and ``waiting`` report on its traffic.

    Each method is an endpoint function of its group's module, taking the client as its
    first argument; its docstring gives shapes, units, errors and sources.
    """

    # runs as a whole (_runs.py)
    list_runs = _runs.list_runs
    create_run = _runs.create_run
    clone_run = _runs.clone_run
    get_run = _runs.get_run
    get_run_minified = _runs.get_run_minified
    update_run = _runs.update_run
    replace_run = _runs.replace_run
    close_run = _runs.close_run
    delete_run = _runs.delete_run
    # a run's (test case, configuration) entries (_run_cases.py)
    iter_run_test_cases = _run_cases.iter_run_test_cases
    count_run_test_cases = _run_cases.count_run_test_cases
    assign = _run_cases.assign
    update_test_cases = _run_cases.update_test_cases
    # results (_results.py)
    add_result = _results.add_result
    add_results = _results.add_results
    iter_results = _results.iter_results
    # read-only project data and web links (_project_data.py)
    iter_project_test_cases = _project_data.iter_project_test_cases
    iter_projects = _project_data.iter_projects
    project_web_url = _project_data.project_web_url
    run_web_url = _project_data.run_web_url
    iter_configurations = _project_data.iter_configurations
    # folders, and test cases created in them (_folders.py)
    iter_folders = _folders.iter_folders
    create_folder = _folders.create_folder
    create_test_case = _folders.create_test_case
    update_test_case = _folders.update_test_case
    # a result's files (_attachments.py)
    list_attachment_names = _attachments.list_attachment_names
    add_attachment = _attachments.add_attachment

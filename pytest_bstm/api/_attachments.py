"""Attachments of a test result: list their names, add one file (form: :mod:`._readings`)."""

from __future__ import annotations

from ._envelopes import Envelope
from ._readings import (
    ATTACHMENT_FIELD,
    ATTACHMENT_METHOD,
    ATTACHMENTS_PATH,
    MAX_ATTACHMENT_BYTES,
    read_attachment_names,
)
from ._request import ClientCore
from ._runs import segment
from .errors import InvalidRequestError


def attachments_path(project_id: str, result_id: int | str) -> str:
    return ATTACHMENTS_PATH.format(
        project=segment("project_id", project_id),
        result=segment("test_result_id", str(result_id)),
    )


def list_attachment_names(api: ClientCore, project_id: str, result_id: int | str) -> list[str]:
    """The file names already on the result."""
    answer = api._request("GET", attachments_path(project_id, result_id), model=Envelope)
    return read_attachment_names(answer.model_dump())


def add_attachment(
    api: ClientCore,
    project_id: str,
    result_id: int | str,
    *,
    name: str,
    data: bytes,
    content_type: str = "application/octet-stream",
) -> None:
    """Add one file to the result. Not retried once it may have been sent
    (AmbiguousRequestError): the caller looks at :meth:`list_attachment_names` first."""
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise InvalidRequestError(
            f"{name} has {len(data)} bytes; a result takes files of at most "
            f"{MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB"
        )
    api._request(
        ATTACHMENT_METHOD,
        attachments_path(project_id, result_id),
        model=Envelope,
        files={ATTACHMENT_FIELD: (name, data, content_type)},
        idempotent=False,
    )

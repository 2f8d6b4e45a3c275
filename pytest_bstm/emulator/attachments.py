"""Attachments of a test result: list and add.

The doc lists ``GET /api/v2/projects/{project_id}/test-results/{test_result_id}/attachments``
and says that files can be added to results; the result's numeric ID is ``latest_result_id``
in a run's test-case listing. How a file is added is seen only in third-party material: a
``POST`` to the same path with the file in the multipart field ``file``, at most 50 MB. This
emulator takes exactly that (any other form is a 400; a bigger file a 413) and lists what was
added as ``{"attachments": [{"id", "name", "content_type", "size", "created_at"}]}`` (our
reading: the doc shows no example answer).
"""

from __future__ import annotations

import hashlib
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from .context import Reply, Request
from .errors import ApiError, bad_request, not_found
from .state import Result, now_iso

MAX_BYTES = 50 * 1024 * 1024  # per file (third-party material)
FIELD = "file"


class Multipart(dict[str, Any]):
    """A parsed ``multipart/form-data`` body: field name -> {filename, content_type, data}."""

    def loggable(self) -> dict[str, Any]:
        """What the request log keeps: names and sizes, never the bytes."""
        return {
            name: {k: (len(v) if k == "data" else v) for k, v in part.items()}
            for name, part in self.items()
        }


def parse(raw: bytes, content_type: str) -> Multipart | None:
    """The parts of a multipart body; None when it is not one."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + raw)
    if not message.is_multipart():
        return None
    parts = Multipart()
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            return None
        payload = part.get_payload(decode=True)
        parts[name] = {
            "filename": part.get_filename(),
            "content_type": part.get_content_type(),
            "data": payload if isinstance(payload, bytes) else b"",
        }
    return parts


def _result(req: Request) -> Result:
    req.state.project(req.project_id)
    wanted = req.run_id  # the route's item: the result's numeric ID
    for run in req.state.runs.values():
        if run.project_id != req.project_id:
            continue
        for result in run.results:
            if str(result.id) == wanted:
                return result
    raise not_found(f"Test result {wanted} not found", error="invalid_test_result_id")


def list_attachments(req: Request) -> Reply:
    result = _result(req)
    items = [{k: v for k, v in a.items() if k != "sha256"} for a in result.attachments]
    return 200, {"success": True, "attachments": items}


def add_attachment(req: Request) -> Reply:
    result = _result(req)
    body = req.body
    if not isinstance(body, Multipart) or FIELD not in body:
        raise bad_request(f"Send the file as multipart/form-data in the field {FIELD!r}")
    part = body[FIELD]
    data: bytes = part["data"]
    if len(data) > MAX_BYTES:
        raise ApiError(413, "file_too_large", "A file may be at most 50 MB")
    if not part["filename"]:
        raise bad_request("The file part needs a filename")
    attachment = {
        "id": req.state.new_result_id(),
        "name": part["filename"],
        "content_type": part["content_type"],
        "size": len(data),
        "created_at": now_iso(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    result.attachments.append(attachment)
    shown = {k: v for k, v in attachment.items() if k != "sha256"}
    return 200, {"success": True, "attachment": shown}

"""What a handler receives and returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import bad_request
from .state import State
from .validation import require_object


@dataclass
class Request:
    """One authenticated API call, with the lock held on ``state``."""

    state: State
    project_id: str
    run_id: str
    query: dict[str, str]
    body: Any

    def body_object(self) -> dict[str, Any]:
        """The JSON body as an object (``{}`` when the body is empty)."""
        return {} if self.body is None else require_object(self.body, "The request body")

    def nested(self, key: str) -> dict[str, Any]:
        """``body[key]`` as an object, else 400."""
        body = self.body_object()
        if key not in body:
            raise bad_request(f"The request body must hold a {key!r} object")
        return require_object(body[key], key)


Reply = tuple[int, dict[str, Any]]
Handler = Callable[[Request], Reply]

"""The error answers of the emulated API, raised by handlers and turned into JSON bodies."""

from __future__ import annotations

from typing import Any

RUN_INVALID = "Test Run ID is invalid"


class ApiError(Exception):
    """An HTTP error answer: ``{"success": false, "error": ..., "message": ...}``."""

    def __init__(self, status: int, error: str | None, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"success": False}
        if self.error is not None:
            body["error"] = self.error
        body["message"] = self.message
        return body


def bad_request(message: str, error: str = "validation_failed") -> ApiError:
    """A 400 validation error."""
    return ApiError(400, error, message)


def not_found(message: str, error: str | None = "not_found") -> ApiError:
    """A 404 answer."""
    return ApiError(404, error, message)


def run_invalid() -> ApiError:
    """The 404 for an unknown, deleted, foreign or closed (on write) test run."""
    return ApiError(404, None, RUN_INVALID)

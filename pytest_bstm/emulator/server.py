"""HTTP handling: faults, authentication, routing, JSON bodies and the request log."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import json
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

from . import attachments
from .context import Request
from .errors import ApiError
from .faults import Faults
from .routes import resolve
from .state import State


@dataclass
class Outcome:
    """An answer to write, or ``drop`` to close the connection without one."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


class RequestLog:
    """Every request seen: method, path, query, status and parsed body (never headers)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []

    def add(
        self, method: str, path: str, query: dict[str, str], status: int | None, body: Any
    ) -> None:
        if isinstance(body, attachments.Multipart):
            body = body.loggable()
        entry = {"method": method, "path": path, "query": query, "status": status, "body": body}
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return cast(list[dict[str, Any]], json.loads(json.dumps(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _fault_body(status: int) -> dict[str, Any]:
    if status == 429:
        return {"success": False, "error": "rate_limited", "message": "Too many requests"}
    return {"success": False, "error": "injected_fault", "message": f"Injected HTTP {status}"}


class Dispatcher:
    """Turns one raw request into an :class:`Outcome`."""

    def __init__(self, state: State, faults: Faults, log: RequestLog, credentials: tuple[str, str]):
        self.state = state
        self.faults = faults
        self.log = log
        self._credentials = credentials

    def _authorized(self, header: str | None) -> bool:
        if not header or not header.startswith("Basic "):
            return False
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, _, key = decoded.partition(":")
        expected_user, expected_key = self._credentials
        return hmac.compare_digest(user, expected_user) & hmac.compare_digest(key, expected_key)

    def handle(
        self, method: str, target: str, auth: str | None, raw: bytes, content_type: str = ""
    ) -> Outcome:
        parts = urlsplit(target)
        path, query = parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))
        body: Any = None
        malformed = False
        if content_type.startswith("multipart/form-data"):
            body = attachments.parse(raw, content_type)
            malformed = body is None
        elif raw.strip():
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                malformed = True
        decision = self.faults.decide(method, path)
        if decision.latency:
            time.sleep(decision.latency)
        faulty = decision.drop or decision.status is not None
        outcome: Outcome | None = None
        if not faulty or decision.after_processing:
            outcome = self._answer(method, path, query, body, malformed=malformed, auth=auth)
        if decision.drop:
            self.log.add(method, path, query, None, body)
            return Outcome(0, {}, drop=True)
        if decision.status is not None:
            headers = {}
            if decision.retry_after is not None:
                headers["Retry-After"] = str(decision.retry_after)
            self.log.add(method, path, query, decision.status, body)
            return Outcome(decision.status, _fault_body(decision.status), headers)
        assert outcome is not None
        self.log.add(method, path, query, outcome.status, body)
        return outcome

    def _answer(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        body: Any,
        *,
        malformed: bool,
        auth: str | None,
    ) -> Outcome:
        if not self._authorized(auth):
            message = (
                "Invalid or missing credentials: use HTTP Basic auth with username and access key"
            )
            error = ApiError(401, "unauthorized", message)
            return Outcome(401, error.body(), {"WWW-Authenticate": 'Basic realm="bstm"'})
        try:
            handler, project_id, run_id = resolve(method, path)
            if malformed and method != "GET":
                raise ApiError(400, "invalid_json", "The request body is not valid JSON")
            with self.state.session() as state:
                request = Request(
                    state, project_id, run_id, query, body if method != "GET" else None
                )
                status, answer = handler(request)
        except ApiError as exc:
            return Outcome(exc.status, exc.body())
        except Exception as exc:  # a bug in the emulator: say so, do not hang the client
            text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            return Outcome(500, {"success": False, "error": "emulator_bug", "message": text})
        return Outcome(status, answer)


class EmulatorHTTPServer(ThreadingHTTPServer):
    """A threading server that remembers its open connections so it can cut them."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients that went away; report anything else."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def cut_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bstm-emulator"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the request log is the record."""

    def _serve(self, method: str) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._write(Outcome(400, {"success": False, "message": "Invalid Content-Length"}))
            return
        raw = self.rfile.read(length) if length else b""
        server = cast(EmulatorHTTPServer, self.server)
        outcome = server.dispatcher.handle(
            method,
            self.path,
            self.headers.get("Authorization"),
            raw,
            self.headers.get("Content-Type") or "",
        )
        if outcome.drop:
            self.close_connection = True
            return
        try:
            self._write(outcome)
        except ConnectionError:  # the client gave up (timeout, reset): nothing to answer
            self.close_connection = True

    def _write(self, outcome: Outcome) -> None:
        payload = json.dumps(outcome.body).encode("utf-8")
        self.send_response(outcome.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in outcome.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

"""The plumbing every local stand-in for an outside HTTP service shares.

A ``LocalHttpServer`` listens on a free port of 127.0.0.1 from a daemon
thread, turns each GET or POST into a ``Request`` and writes back the
``Answer`` its subclass's ``respond`` returns. The subclasses (the CRM
receiver, WeChat, WeCom) hold only what the service they stand in for does.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class Request:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]  # blank values kept
    headers: object  # the stdlib's message: case-insensitive ``get``
    body: bytes

    def json(self) -> dict:
        """Return the body as a JSON object; an empty or malformed body reads as ``{}``."""
        try:
            data = json.loads(self.body) if self.body else {}
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}


@dataclass
class Answer:
    """What to send back: a status, headers and the body's bytes."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data, status: int = 200, content_type: str = "application/json") -> Answer:
        """Return ``data`` as UTF-8 JSON (Chinese left readable, as the real services send it)."""
        return cls(status, json.dumps(data, ensure_ascii=False).encode("utf-8"),
                   {"Content-Type": content_type})


class LocalHttpServer:
    """Serve ``respond`` on a free port of 127.0.0.1 until ``stop``; a context manager too."""

    name = "local-http"

    def __init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def respond(self, request: Request) -> Answer:
        """Return the answer to ``request`` (subclasses say what the service does)."""
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        """Return ``http://127.0.0.1:<port>``."""
        assert self._server is not None, "start() the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        """Return the URL the code under test is given (the base URL unless overridden)."""
        return self.base_url

    def start(self) -> Self:
        """Listen on a free port of 127.0.0.1."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.owner = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,),
                                        name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    def _serve(self, method: str) -> None:
        parts = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        request = Request(method, parts.path, dict(parse_qsl(parts.query, keep_blank_values=True)),
                          self.headers, body)
        answer = self.server.owner.respond(request)
        try:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting

    def do_GET(self):  # noqa: N802 (the stdlib's name)
        self._serve("GET")

    def do_POST(self):  # noqa: N802 (the stdlib's name)
        self._serve("POST")

    def log_message(self, format, *args):  # noqa: A002 (the stdlib's signature)
        """Keep the test output quiet."""

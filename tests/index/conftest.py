"""Fixtures for the firmware index tests: a local HTTP server serving recorded API answers, and
editable copies of the shipped index."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHIPPED = Path(__file__).resolve().parents[2] / "firmware_index"


@dataclass
class ApiServer:
    """Serves ``routes[path] = (status, body)`` on 127.0.0.1; unknown paths answer 404."""

    server: ThreadingHTTPServer
    routes: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, user agent)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def serve(self, path: str, body: bytes | str, status: int = 200) -> None:
        if isinstance(body, str):
            body = body.encode()
        self.routes[path] = (status, body)

    def serve_fixture(self, path: str, fixture: str, status: int = 200) -> None:
        text = (FIXTURES / fixture).read_text(encoding="utf-8").replace("{BASE}", self.base)
        self.serve(path, text, status)


@pytest.fixture
def api_server() -> Iterator[ApiServer]:
    holder: dict[str, ApiServer] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            api = holder["api"]
            api.requests.append((self.path, self.headers.get("User-Agent", "")))
            status, body = api.routes.get(self.path, (404, b'{"error": "not found"}'))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["api"] = ApiServer(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield holder["api"]
    server.shutdown()
    server.server_close()


@pytest.fixture
def index_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped index to break in tests."""
    target = tmp_path / "index"
    shutil.copytree(SHIPPED, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target

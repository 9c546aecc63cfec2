"""End-to-end fixtures: the app served over real HTTP on a free port, talking to the real
test PostgreSQL (committed data, cleaned up by ``committed``) and the real SMTP server."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server


@dataclass
class HttpResponse:
    """What came back."""

    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class HttpClient:
    """A tiny JSON client over urllib (a real socket, a real HTTP server)."""

    base_url: str

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> HttpResponse:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                raw = response.read()
                return HttpResponse(
                    response.status, json.loads(raw) if raw else None, dict(response.headers)
                )
        except urllib.error.HTTPError as error:
            raw = error.read()
            return HttpResponse(error.code, json.loads(raw) if raw else None, dict(error.headers))


@pytest.fixture(scope="module")
def live_server(app: Flask) -> Iterator[str]:
    """The session's app on http://127.0.0.1:<port> (threaded werkzeug server)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def http(live_server: str, committed: object) -> HttpClient:
    """A client of the live server; accounts go in ``committed.domain`` and are deleted."""
    return HttpClient(live_server)

"""The one HTTP session factory: TLS always verified, timeouts by default, failures in words."""

from __future__ import annotations

import socket
import threading

import pytest
import requests

from unlocker import http


def _silent_server() -> tuple[socket.socket, int]:
    """Accepts connections and never answers (a stalled server)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    return server, server.getsockname()[1]


def test_tls_verification_cannot_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def fake_send(self, request, **kwargs):  # noqa: ANN001 - requests' own signature
        seen.update(kwargs)
        raise requests.ConnectionError("stop here")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", fake_send)
    session = http.session(timeout=(1.0, 2.0))
    with pytest.raises(requests.ConnectionError):
        session.get("https://127.0.0.1:9/", verify=False)
    # True, or the CA bundle REQUESTS_CA_BUNDLE names (still verifying): never False.
    assert seen["verify"] not in (False, None, "") and seen["timeout"] == (1.0, 2.0)
    assert session.headers["User-Agent"].startswith("unlocker/")


def test_failures_are_described_in_words() -> None:
    session = http.session(timeout=(1.0, 0.5))
    with pytest.raises(requests.RequestException) as refused:
        session.get("http://127.0.0.1:1/")
    assert http.failure_reason(refused.value) == "connection refused"
    server, port = _silent_server()
    try:
        accepted: list[object] = []  # keep the connection open: a closed one is a reset, not a stall
        threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
        with pytest.raises(requests.RequestException) as slow:
            session.get(f"http://127.0.0.1:{port}/")
        assert http.failure_reason(slow.value) == "timed out"
    finally:
        server.close()
    with pytest.raises(requests.RequestException) as bad:
        session.get("ftp://127.0.0.1/x")
    assert http.failure_reason(bad.value) == "not a valid http(s) address"
    assert "Error" not in http.failure_reason(bad.value)

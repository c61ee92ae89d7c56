"""Resumable, verified, mirror-aware downloads against a loopback HTTP server with faults."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from unlocker.download import Artifact, DownloadError, fetch

PAYLOAD = os.urandom(3 * 1024 * 1024 + 17)
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class Files(http.server.BaseHTTPRequestHandler):
    """GET /NAME with Range support; behaviours chosen per path prefix."""

    drops_left: dict[str, int] = {}
    requests_seen: list[tuple[str, str | None]] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        self.requests_seen.append((self.path, self.headers.get("Range")))
        if self.path.startswith("/error"):
            self.send_error(500)
            return
        if self.path.startswith("/slow"):
            time.sleep(2)
        body = b"not the file" * 1000 if self.path.startswith("/wrong") else PAYLOAD
        start = 0
        rng = self.headers.get("Range")
        honour_range = not self.path.startswith("/norange")
        if rng and honour_range:
            start = int(rng.split("=")[1].split("-")[0])
            if start >= len(body):
                self.send_response(416)
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        data = body[start:]
        if self.path.startswith("/drop") and self.drops_left.get(self.path, 0) > 0:
            self.drops_left[self.path] -= 1
            self.wfile.write(data[: len(data) // 3])
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.wfile.write(data)


@pytest.fixture
def server() -> Iterator[str]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    Files.requests_seen = []
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_plain_download_verifies(server: str, tmp_path: Path) -> None:
    path = fetch(Artifact("rom.zip", SHA, (f"{server}/rom.zip",), len(PAYLOAD)), tmp_path)
    assert path.read_bytes() == PAYLOAD
    assert not (tmp_path / "rom.zip.part").exists()


def test_resumes_after_connection_drops(server: str, tmp_path: Path) -> None:
    Files.drops_left = {"/drop/rom.zip": 2}
    path = fetch(Artifact("rom.zip", SHA, (f"{server}/drop/rom.zip",), len(PAYLOAD)), tmp_path)
    assert path.read_bytes() == PAYLOAD
    ranges = [r for p, r in Files.requests_seen if p == "/drop/rom.zip"]
    assert ranges[0] is None and all(r and r.startswith("bytes=") for r in ranges[1:])


def test_resumes_a_part_left_by_an_earlier_run(server: str, tmp_path: Path) -> None:
    (tmp_path / "rom.zip.part").write_bytes(PAYLOAD[:1000])
    fetch(Artifact("rom.zip", SHA, (f"{server}/rom.zip",)), tmp_path)
    assert Files.requests_seen[0][1] == "bytes=1000-"


def test_server_without_range_restarts_cleanly(server: str, tmp_path: Path) -> None:
    (tmp_path / "rom.zip.part").write_bytes(PAYLOAD[:1000])
    path = fetch(Artifact("rom.zip", SHA, (f"{server}/norange/rom.zip",)), tmp_path)
    assert path.read_bytes() == PAYLOAD


def test_wrong_checksum_falls_through_to_mirror(server: str, tmp_path: Path) -> None:
    art = Artifact(
        "rom.zip", SHA, (f"{server}/wrong/rom.zip", f"{server}/error/rom.zip", f"{server}/rom.zip")
    )
    assert fetch(art, tmp_path).read_bytes() == PAYLOAD


def test_all_sources_bad_keeps_nothing_wrong(server: str, tmp_path: Path) -> None:
    art = Artifact("rom.zip", SHA, (f"{server}/wrong/rom.zip", f"{server}/error/rom.zip"))
    with pytest.raises(DownloadError) as e:
        fetch(art, tmp_path)
    assert "checksum mismatch" in str(e.value) and "HTTP 500" in str(e.value)
    assert not (tmp_path / "rom.zip").exists()
    assert not (tmp_path / "rom.zip.part").exists()


def test_stalled_mirror_times_out_and_keeps_part(server: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as e:
        fetch(Artifact("rom.zip", SHA, (f"{server}/slow/rom.zip",)), tmp_path, read_timeout=0.3)
    assert "timed out" in str(e.value)


def test_local_copy_is_used_when_checksum_matches(tmp_path: Path) -> None:
    stick = tmp_path / "usb-stick.zip"
    stick.write_bytes(PAYLOAD)
    bogus = tmp_path / "other.zip"
    bogus.write_bytes(b"x")
    path = fetch(Artifact("rom.zip", SHA, ()), tmp_path / "cache", local_files=[bogus, stick])
    assert path.read_bytes() == PAYLOAD


def test_existing_verified_file_is_not_downloaded_again(server: str, tmp_path: Path) -> None:
    (tmp_path / "rom.zip").write_bytes(PAYLOAD)
    fetch(Artifact("rom.zip", SHA, (f"{server}/rom.zip",)), tmp_path)
    assert Files.requests_seen == []


def test_invalid_sha_refused(tmp_path: Path) -> None:
    with pytest.raises(DownloadError):
        fetch(Artifact("rom.zip", "abc", ("http://127.0.0.1:1/x",)), tmp_path)


def test_cli_download_json(server: str, tmp_path: Path, run_cli) -> None:
    r = run_cli(
        "download",
        f"{server}/error/rom.zip",
        "--mirror",
        f"{server}/rom.zip",
        "--sha256",
        SHA,
        "-o",
        str(tmp_path),
        "--json",
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert Path(out["path"]).read_bytes() == PAYLOAD and out["sha256"] == SHA


def test_cli_download_failure_is_one_line(server: str, tmp_path: Path, run_cli) -> None:
    r = run_cli("download", f"{server}/wrong/rom.zip", "--sha256", SHA, "-o", str(tmp_path))
    assert r.returncode == 1
    assert r.stderr.startswith("unlocker: error:") and "Traceback" not in r.stderr

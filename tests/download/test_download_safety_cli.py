"""`unlocker download` against hostile servers and careless arguments (issue 9, item 9): sizes are
enforced as bytes arrive, names stay in the folder, one download per file, every error a message."""

from __future__ import annotations

import hashlib
import http.server
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SHA = hashlib.sha256(b"x" * 1000).hexdigest()


class Hostile(http.server.BaseHTTPRequestHandler):
    sent: dict[str, int] = {}

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        if self.path.startswith("/loop"):
            self.send_response(302)
            self.send_header("Location", self.path + "x")
            self.end_headers()
            return
        if self.path.startswith("/ftp"):
            self.send_response(302)
            self.send_header("Location", "ftp://127.0.0.1/file")
            self.end_headers()
            return
        if self.path.startswith("/slow"):
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"x" * 10)
            self.wfile.flush()
            time.sleep(3)  # holds the download (and its lock) for a while
            self.wfile.write(b"x" * 990)
            return
        # /endless: no length, data without end (until the client hangs up)
        self.send_response(200)
        self.end_headers()
        sent = 0
        try:
            while sent < 512 * 1024 * 1024:
                self.wfile.write(b"\0" * 65536)
                sent += 65536
        except OSError:
            pass
        finally:
            Hostile.sent[self.path] = sent


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_size_is_enforced_as_bytes_arrive(server: str, run_cli, tmp_path: Path) -> None:
    out = tmp_path / "dl"
    r = run_cli("download", f"{server}/endless.img", "--sha256", SHA, "--size", "100000", "-o", str(out))
    assert r.returncode == 1
    assert "more than the expected 100000 bytes" in r.stderr
    assert Hostile.sent["/endless.img"] < 64 * 1024 * 1024  # stopped long before the end
    assert not (out / "endless.img").exists() and not (out / "endless.img.part").exists()


@pytest.mark.parametrize("name", ["../x", "/tmp/x"])
def test_name_is_confined_to_the_folder(server: str, run_cli, tmp_path: Path, name: str) -> None:
    out = tmp_path / "dl"
    r = run_cli("download", f"{server}/endless.img", "--sha256", SHA, "--name", name, "-o", str(out))
    assert r.returncode == 2 and "not a plain file name" in r.stderr
    assert not (tmp_path / "x").exists() and not (out / "x").exists()


def test_errors_are_messages_not_class_names(server: str, run_cli, tmp_path: Path) -> None:
    out = ["-o", str(tmp_path / "dl")]
    cases = {
        f"{server}/loop/file.img": "too many redirects",
        f"{server}/ftp/file.img": "not a valid http(s) address",
        "http://[::1/file.img": "is not an http(s) address",
        f"{server}/x/..": "cannot tell a file name",
    }
    for url, words in cases.items():
        r = run_cli("download", url, "--sha256", SHA, *out)
        assert r.returncode in (1, 2), (url, r.stderr)
        assert words in r.stderr, (url, r.stderr)
        for leak in ("Traceback", "InvalidSchema", "TooManyRedirects", "Error)", "bug in unlocker"):
            assert leak not in r.stderr, (url, r.stderr)


def test_one_download_per_file(server: str, cli_env, run_cli, tmp_path: Path) -> None:
    out = tmp_path / "dl"
    args = ["download", f"{server}/slow/file.img", "--sha256", SHA, "-o", str(out)]
    first = subprocess.Popen(
        [sys.executable, "-m", "unlocker", *args], env=cli_env, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 20
        while not (out / "file.img.part").exists():
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.05)
        second = run_cli(*args)
        assert second.returncode == 1 and "being downloaded by another unlocker command" in second.stderr
        assert f"process {first.pid}" in second.stderr
    finally:
        first.communicate(timeout=30)
    assert first.returncode == 0
    assert (out / "file.img").read_bytes() == b"x" * 1000
    assert run_cli(*args).returncode == 0  # free again, and the finished file is found


@pytest.mark.parametrize("name", ["../x", "/tmp/x", "a/b", "a\\b", "..", ".", "", "x\0y", "é" * 200])
def test_check_name_refuses_paths(name: str) -> None:
    from unlocker.download.fetch import check_name
    from unlocker.errors import UsageError

    with pytest.raises(UsageError):
        check_name(name)
    assert check_name("lineage-21.0-20261120-nightly-alioth-signed.zip")


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/f", "file:///etc/passwd", "http:///f", "http://h:99999/f", "//h/f"]
)
def test_check_url_refuses_what_is_not_http(url: str) -> None:
    from unlocker.download.fetch import check_url
    from unlocker.errors import UsageError

    with pytest.raises(UsageError):
        check_url(url)
    assert check_url("https://example.org/a.zip?x=1")

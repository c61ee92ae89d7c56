"""How a body reaches the .part file and the hash (issue 15, item 5): few large writes into reused
buffers, the hash right whatever the pieces the network delivers, every kept byte hashed once."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import os
import random
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from unlocker.download import Artifact, DownloadError, fetch, hashing, receive
from unlocker.download.hashing import BUFFER, BackgroundHash, PartHash, sha256_of
from unlocker.download.receive import FIRST_READ, SMALLEST_READ, TooLong, copy_body

MiB = 1024 * 1024
PAYLOAD = os.urandom(9 * MiB + 12345)
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class Writes(io.RawIOBase):
    """A file that keeps what it is given and counts the calls; takes at most ``most`` per call."""

    def __init__(self, most: int | None = None) -> None:
        self.data = bytearray()
        self.sizes: list[int] = []
        self.most = most

    def writable(self) -> bool:
        return True

    def write(self, b: bytes | memoryview) -> int:  # type: ignore[override]
        n = len(b) if self.most is None else min(len(b), self.most)
        self.data += bytes(b[:n])
        self.sizes.append(n)
        return n


class Pieces:
    """A readinto delivering ``data`` in pieces of the given sizes (cycled), never more than asked."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self.data, self.sizes, self.pos, self.asked = data, sizes, 0, []

    def __call__(self, view: memoryview) -> int:
        self.asked.append(len(view))
        want = self.sizes[len(self.asked) % len(self.sizes)]
        n = min(len(view), want, len(self.data) - self.pos)
        view[:n] = self.data[self.pos : self.pos + n]
        self.pos += n
        return n


def _copy(tmp_path: Path, read_into: Pieces, out: io.RawIOBase, total: int | None = None) -> PartHash:
    hasher = PartHash(tmp_path / "x.part")
    with BackgroundHash(hasher) as feed:
        copy_body(read_into, out, feed, 0, total)  # type: ignore[arg-type]
    return hasher


@pytest.fixture
def still_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every read "takes no time": read sizes then depend only on the code, never on the machine.
    monkeypatch.setattr(receive, "monotonic", lambda: 0.0)


def test_odd_pieces_hash_and_land_exactly(tmp_path: Path, still_clock: None) -> None:
    rng = random.Random(5)
    sizes = [rng.choice((1, 7, 4095, 65537, 333_333, 1_048_577)) for _ in range(97)]
    out = Writes(most=777_777)  # partial writes too
    hasher = _copy(tmp_path, Pieces(PAYLOAD, sizes), out)
    assert bytes(out.data) == PAYLOAD
    assert hasher.count == len(PAYLOAD) and hasher._digest.hexdigest() == SHA


def test_few_large_writes_per_mib(tmp_path: Path, still_clock: None) -> None:
    data = os.urandom(64 * MiB)
    out = Writes()
    reader = Pieces(data, [len(data)])  # a fast network: every read filled
    _copy(tmp_path, reader, out)
    assert bytes(out.data) == data
    # Reads grow from FIRST_READ to the buffer size, then stay there: 4 MiB per write.
    ramp = (BUFFER // FIRST_READ).bit_length() - 1
    assert len(out.sizes) <= 64 * MiB // BUFFER + ramp
    assert max(reader.asked) == BUFFER and reader.asked[0] == FIRST_READ


def test_slow_network_gets_small_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter(range(0, 10**6, 2))  # every read takes two seconds
    monkeypatch.setattr(receive, "monotonic", lambda: float(next(ticks)))
    reader = Pieces(PAYLOAD[: 2 * MiB], [10**9])
    _copy(tmp_path, reader, Writes())
    assert reader.asked[:4] == [FIRST_READ, FIRST_READ // 2, FIRST_READ // 4, SMALLEST_READ]
    assert min(reader.asked) == SMALLEST_READ


def test_too_long_stops_at_the_limit(tmp_path: Path, still_clock: None) -> None:
    out = Writes()
    with pytest.raises(TooLong):
        _copy(tmp_path, Pieces(PAYLOAD, [MiB]), out, total=3 * MiB + 5)
    assert len(out.data) <= 3 * MiB + 5


def test_memory_is_the_pool_whatever_the_size(tmp_path: Path, still_clock: None) -> None:
    hasher = PartHash(tmp_path / "x.part")
    buffers: set[int] = set()
    with BackgroundHash(hasher) as feed:
        real_take = feed.take

        def take() -> bytearray:
            buf = real_take()
            buffers.add(id(buf))
            return buf

        feed.take = take  # type: ignore[method-assign]
        copy_body(Pieces(PAYLOAD * 4, [MiB]), Writes(), feed, 0, None)  # type: ignore[arg-type]
    assert len(buffers) <= 4


def test_sha256_of_matches_hashlib(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_bytes(PAYLOAD)
    assert sha256_of(f) == SHA


class Server(http.server.BaseHTTPRequestHandler):
    """/chunked: chunked transfer in odd pieces; /gzip: compressed although identity was asked;
    /flipped: the right size with one byte changed; /drop: closes after a third, once; else plain."""

    protocol_version = "HTTP/1.1"
    encodings: list[str | None] = []
    dropped: set[str] = set()

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        self.encodings.append(self.headers.get("Accept-Encoding"))
        body = PAYLOAD
        if self.path.startswith("/flipped"):
            body = PAYLOAD[:1000] + bytes([PAYLOAD[1000] ^ 1]) + PAYLOAD[1001:]
        start = int(self.headers["Range"].split("=")[1].split("-")[0]) if self.headers.get("Range") else 0
        self.send_response(206 if start else 200)
        if self.path.startswith("/chunked"):
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            pos, rng = 0, random.Random(7)
            while pos < len(body):
                piece = body[pos : pos + rng.randint(1, 300_000)]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                pos += len(piece)
            self.wfile.write(b"0\r\n\r\n")
            return
        if self.path.startswith("/gzip"):
            packed = gzip.compress(body, compresslevel=1)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(packed)))
            self.end_headers()
            self.wfile.write(packed)
            return
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        if self.path.startswith("/drop") and self.path not in self.dropped:
            self.dropped.add(self.path)
            self.wfile.write(body[start : len(body) // 3])
            self.wfile.flush()
            self.connection.shutdown(2)
            self.close_connection = True
            return
        self.wfile.write(body[start:])


@pytest.fixture
def server() -> Iterator[str]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Server)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    Server.encodings, Server.dropped = [], set()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Sizes of everything given to a PartHash."""
    sizes: list[int] = []
    real = PartHash.update

    def update(self: PartHash, data: bytes | memoryview) -> None:
        sizes.append(len(data))
        real(self, data)

    monkeypatch.setattr(PartHash, "update", update)
    return sizes


@pytest.mark.parametrize("path", ["/chunked/rom.zip", "/gzip/rom.zip", "/plain/rom.zip"])
def test_bodies_of_every_shape_verify(server: str, tmp_path: Path, path: str) -> None:
    got = fetch(Artifact("rom.zip", SHA, (server + path,)), tmp_path)
    assert got.read_bytes() == PAYLOAD
    assert Server.encodings == ["identity"]


def test_one_changed_byte_is_refused_and_not_kept(server: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError) as e:
        fetch(Artifact("rom.zip", SHA, (f"{server}/flipped/rom.zip",), len(PAYLOAD)), tmp_path)
    assert "checksum mismatch" in str(e.value)
    assert not (tmp_path / "rom.zip").exists() and not (tmp_path / "rom.zip.part").exists()


def test_a_kept_part_is_hashed_once(server: str, tmp_path: Path, hashed: list[int]) -> None:
    (tmp_path / "rom.zip.part").write_bytes(PAYLOAD[: 5 * MiB + 3])
    fetch(Artifact("rom.zip", SHA, (f"{server}/plain/rom.zip",), len(PAYLOAD)), tmp_path)
    assert sum(hashed) == len(PAYLOAD)


def test_a_dropped_connection_costs_no_rehash(server: str, tmp_path: Path, hashed: list[int]) -> None:
    got = fetch(Artifact("rom.zip", SHA, (f"{server}/drop/rom.zip",), len(PAYLOAD)), tmp_path)
    assert got.read_bytes() == PAYLOAD
    assert sum(hashed) == len(PAYLOAD)


def test_no_progress_downloads_without_tqdm(server: str, tmp_path: Path, cli_env: dict[str, str]) -> None:
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['unlocker', 'download', {server + '/plain/rom.zip'!r}, '--sha256', {SHA!r},"
        f" '-o', {str(tmp_path)!r}, '--no-progress']\n"
        "try:\n    runpy.run_module('unlocker', run_name='__main__')\n"
        "except SystemExit as e:\n    assert not e.code, e.code\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=cli_env, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "rom.zip").read_bytes() == PAYLOAD
    assert "tqdm" not in run.stderr.split()


@pytest.mark.parametrize("cpus", [1, 2])
def test_hash_thread_only_with_a_second_cpu(
    tmp_path: Path, still_clock: None, monkeypatch: pytest.MonkeyPatch, cpus: int
) -> None:
    monkeypatch.setattr(hashing, "cpus_available", lambda: cpus)
    before = threading.active_count()
    hasher = PartHash(tmp_path / "x.part")
    out = Writes()
    with BackgroundHash(hasher) as feed:
        during = threading.active_count()
        copy_body(Pieces(PAYLOAD, [333_333]), out, feed, 0, None)  # type: ignore[arg-type]
    assert during - before == (1 if cpus > 1 else 0)
    assert bytes(out.data) == PAYLOAD and hasher._digest.hexdigest() == SHA


def test_buffers_start_on_a_page_boundary(tmp_path: Path) -> None:
    # The kernel's copies into a buffer 16 bytes past a cache line cost a third more (hashing.py).
    import ctypes
    import mmap

    with BackgroundHash(PartHash(tmp_path / "x.part")) as feed:
        buf = feed.take()
        address = ctypes.addressof(ctypes.c_char.from_buffer(buf))
        assert address % mmap.PAGESIZE == 0 and len(buf) == BUFFER
        del address
        feed.give_back(buf)

"""Download + sha256 check: `unlocker download URL --sha256 X` vs `curl -s -o FILE URL` alone (goal: <= 1.1x).

A loopback HTTP/1.1 server (its own process, a thread per connection, Range supported, the body
sent with sendfile so the server is not the limit) serves a file of random bytes from /dev/shm;
both clients write into /dev/shm, the copy removed (untimed) before every run.
Paired alternating rounds; ratio = our time / curl's time, per pair.

Usage: python benchmarks/download.py [--rounds N] [--size MIB]   (defaults: 10, 1024)
       python benchmarks/download.py --serve FILE   (the server alone; prints `listening PORT`)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (  # noqa: E402
    MiB,
    Sample,
    machine,
    paired,
    paired_table,
    rounds_arg,
    run,
    stop,
    unlocker_cmd,
    workdir,
)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    served: Path

    def _headers(self) -> tuple[int, int]:
        size = self.served.stat().st_size
        start, end = 0, size - 1
        wanted = self.headers.get("Range", "")
        if wanted.startswith("bytes=") and "," not in wanted:
            first, _, last = wanted[6:].partition("-")
            if first:
                start, end = int(first), min(int(last), size - 1) if last else size - 1
            else:
                start = max(0, size - int(last))
        if start > end:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return 0, 0
        if (start, end) != (0, size - 1):
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        else:
            self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        return start, end - start + 1

    def do_HEAD(self) -> None:
        self._headers()

    def do_GET(self) -> None:
        offset, count = self._headers()
        if count:
            self.wfile.flush()
            with open(self.served, "rb") as f:
                self.connection.sendfile(f, offset, count)

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(path: Path) -> None:
    _Handler.served = path
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    rounds_arg(parser, 10)
    parser.add_argument("--size", type=int, default=1024, help="MiB of the file (default 1024)")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    machine(f"download: unlocker download (sha256 checked) vs curl -s -o, {args.size} MiB, loopback HTTP")
    with workdir(3 * args.size * MiB) as work:
        source = work / "rom.zip"
        digest = hashlib.sha256()
        with open(source, "wb") as f:
            for _ in range(args.size):
                block = os.urandom(MiB)
                digest.update(block)
                f.write(block)
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(source)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert server.stdout is not None
            url = f"http://127.0.0.1:{server.stdout.readline().split()[1]}/rom.zip"
            ours_dir, theirs_file = work / "ours", work / "curl.zip"
            ours = unlocker_cmd(
                "download", url, "--sha256", digest.hexdigest(), "-o", str(ours_dir), "--no-progress"
            )
            theirs = ["curl", "-s", "-o", str(theirs_file), url]

            def ours_run() -> Sample:
                shutil.rmtree(ours_dir, ignore_errors=True)
                ours_dir.mkdir()
                sample = run(ours)
                if (ours_dir / "rom.zip").stat().st_size != args.size * MiB:
                    raise RuntimeError("unlocker download did not keep the whole file")
                return sample

            def theirs_run() -> Sample:
                theirs_file.unlink(missing_ok=True)
                sample = run(theirs)
                if theirs_file.stat().st_size != args.size * MiB:
                    raise RuntimeError("curl did not keep the whole file")
                return sample

            result = paired(f"{args.size} MiB download", ours_run, theirs_run, args.rounds)
            # The ceiling of the server and loopback, for information: curl keeping nothing.
            ceiling = min(run(["curl", "-s", "-o", "/dev/null", url]).seconds for _ in range(3))
        finally:
            stop(server)
    paired_table([(result, "<= 1.1")])
    print(
        f"server + loopback alone (curl -o /dev/null, best of 3): {args.size * MiB / ceiling / 1e6:.0f} MB/s"
    )


if __name__ == "__main__":
    main()

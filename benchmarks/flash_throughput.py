"""Flash throughput over loopback TCP to the virtual phone: `unlocker flash` vs Google's `fastboot flash`.

Usage: python benchmarks/flash_throughput.py [SIZE_MIB]   (default 1024; max-download-size 256 MiB)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import MiB, make_image, table, timed, unlocker_cmd  # noqa: E402
from unlocker.emulator.model import VirtualPhone  # noqa: E402
from unlocker.emulator.tcp_server import serve_tcp  # noqa: E402


def main() -> None:
    size = int(sys.argv[1]) * MiB if len(sys.argv) > 1 else 1024 * MiB
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        raw = work / "system.raw"
        make_image(raw, size)
        sparse = work / "system.simg"
        subprocess.run(["img2simg", str(raw), str(sparse)], check=True)
        phone = VirtualPhone(work / "phone", "xiaomi-legacy", unlocked=True, max_download_size=256 * MiB)
        server = serve_tcp(phone)
        rows = [("image", "unlocker MB/s", "fastboot MB/s", "ratio")]
        try:
            for label, image in (("1 GiB raw" if size == 1024 * MiB else "raw", raw), ("sparse", sparse)):
                ours = timed(
                    unlocker_cmd("flash", "system", str(image), "-s", server.name, "--yes", "--no-progress")
                )
                theirs = timed(["fastboot", "-s", server.name, "flash", "system", str(image)])
                rows.append(
                    (label, f"{size / ours / 1e6:.0f}", f"{size / theirs / 1e6:.0f}", f"{theirs / ours:.2f}")
                )
        finally:
            server.close()
    print(f"flash of a {size // MiB} MiB image, max-download-size 256 MiB, loopback TCP, same virtual phone")
    table(rows)


if __name__ == "__main__":
    main()

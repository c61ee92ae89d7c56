"""Peak RSS of `unlocker flash` for a large sparse image (goal: < 100 MiB, independent of size).

Usage: python benchmarks/flash_memory.py [SIZE_MIB ...]   (default: 512 4096)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import MiB, make_image, table, unlocker_cmd  # noqa: E402
from unlocker.emulator.model import VirtualPhone  # noqa: E402
from unlocker.emulator.tcp_server import serve_tcp  # noqa: E402


def peak_rss_mib(cmd: list[str]) -> float:
    """Peak RSS of exactly this child process (os.wait4 gives its own rusage; KiB on Linux)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    return usage.ru_maxrss / 1024


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [512, 4096]
    rows = [("sparse image", "unlocker peak RSS MiB", "fastboot peak RSS MiB")]
    for mib in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            raw = work / "system.raw"
            make_image(raw, mib * MiB)
            sparse = work / "system.simg"
            subprocess.run(["img2simg", str(raw), str(sparse)], check=True)
            raw.unlink()
            phone = VirtualPhone(work / "phone", "xiaomi-legacy", unlocked=True, max_download_size=256 * MiB)
            # The legacy profile's system partition is 3 GiB; make room for big test images.
            phone.profile.partitions["system"] = max(phone.profile.partitions["system"], mib * MiB)
            server = serve_tcp(phone)
            try:
                ours = peak_rss_mib(
                    unlocker_cmd("flash", "system", str(sparse), "-s", server.name, "--yes", "--no-progress")
                )
                theirs = peak_rss_mib(["fastboot", "-s", server.name, "flash", "system", str(sparse)])
            finally:
                server.close()
            rows.append((f"{mib} MiB", f"{ours:.0f}", f"{theirs:.0f}"))
    print(
        "peak RSS while flashing (each row in a fresh process; RUSAGE_CHILDREN is cumulative-max, so rows "
        "are upper bounds)"
    )
    table(rows)


if __name__ == "__main__":
    main()

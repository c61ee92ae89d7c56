"""Peak RSS of `unlocker flash` for large sparse images (goal: < 100 MiB, independent of size).

The virtual phone runs as its own process (`unlocker emulate`) so only the flashing client is
measured. Usage: python benchmarks/flash_memory.py [SIZE_MIB ...]   (default: 512 4096)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import MiB, make_image, start_emulator, table, unlocker_cmd  # noqa: E402


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
            raw = work / "super.raw"
            make_image(raw, mib * MiB)
            sparse = work / "super.simg"
            subprocess.run(["img2simg", str(raw), str(sparse)], check=True)
            raw.unlink()
            # `super` on the xiaomi-qcom profile is 9 GiB and flashed whole from the bootloader.
            emulator, name = start_emulator(work / "phone", "--max-download-size", str(256 * MiB))
            try:
                ours = peak_rss_mib(
                    unlocker_cmd("flash", "super", str(sparse), "-s", name, "--yes", "--no-progress")
                )
                theirs = peak_rss_mib(["fastboot", "-s", name, "flash", "super", str(sparse)])
            finally:
                emulator.terminate()
                emulator.wait()
            rows.append((f"{mib} MiB", f"{ours:.0f}", f"{theirs:.0f}"))
    print("peak RSS of the flashing process alone (os.wait4), max-download-size 256 MiB")
    table(rows)


if __name__ == "__main__":
    main()

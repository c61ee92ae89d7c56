"""Raw->sparse conversion and sparse expansion: `unlocker sparse` vs Google's img2simg/simg2img.

Usage: python benchmarks/sparse_convert.py [SIZE_MIB]   (default 1024)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import MiB, make_image, table, timed, unlocker_cmd  # noqa: E402


def main() -> None:
    size = int(sys.argv[1]) * MiB if len(sys.argv) > 1 else 1024 * MiB
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        raw = work / "in.raw"
        make_image(raw, size)
        ours_c = timed(unlocker_cmd("sparse", "convert", str(raw), str(work / "ours.simg")))
        theirs_c = timed(["img2simg", str(raw), str(work / "google.simg")])
        ours_e = timed(unlocker_cmd("sparse", "expand", str(work / "google.simg"), str(work / "ours.raw")))
        theirs_e = timed(["simg2img", str(work / "google.simg"), str(work / "google.raw")])
    print(f"{size // MiB} MiB image (1/3 random, 1/3 zeros, 1/3 repeated word)")
    table(
        [
            ("operation", "unlocker s", "google s", "ratio (ours/google)"),
            ("raw -> sparse", f"{ours_c:.2f}", f"{theirs_c:.2f}", f"{ours_c / theirs_c:.2f}"),
            ("sparse -> raw", f"{ours_e:.2f}", f"{theirs_e:.2f}", f"{ours_e / theirs_e:.2f}"),
        ]
    )


if __name__ == "__main__":
    main()

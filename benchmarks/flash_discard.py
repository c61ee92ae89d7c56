"""Whole-command `unlocker flash` against Google's `fastboot flash`, both into the discard device.

The device (benchmarks/discard_device.py, its own process) drops every byte, so the figures are
the clients'. Each round runs both commands, the order alternating (A,B,B,A,...); the ratio is
taken per round (ours / theirs) and reported as min and median, beside our CPU time (user+sys of
the child, which the machine's load disturbs less than wall time). Peak RSS is the child's own
(os.wait4). Issue 15 goals: median ratio <= 1.0 at 1 GiB raw and sparse, <= 1.3 at 256 MiB, the
262,144-chunk image within 1.0x, peak RSS < 40 MiB for 4 GiB sparse at a 16 MiB download limit
and for the 262,144-chunk image.

Usage: python benchmarks/flash_discard.py [--rounds N] [--work DIR] [--only NAME ...]
Images are written to DIR (default: a new directory in /dev/shm, removed at the end) and kept
when DIR is given, so repeated runs reuse them. About 3.5 GiB of images in all.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import MiB, table, unlocker_cmd  # noqa: E402

RAW, FILL, DONT_CARE = 0xCAC1, 0xCAC2, 0xCAC3
_HEADER = struct.Struct("<IHHHHIIII")
_CHUNK = struct.Struct("<HHII")


def sparse_header(blocks: int, chunks: int) -> bytes:
    return _HEADER.pack(0xED26FF3A, 1, 0, 28, 12, 4096, blocks, chunks, 0)


def random_raw(path: Path, size: int) -> None:
    with open(path, "wb") as f:
        for _ in range(size // MiB):
            f.write(os.urandom(MiB))


def many_chunks(path: Path, blocks: int = 262_144) -> None:
    """1 GiB in 262,144 one-block chunks, RAW and FILL alternating."""
    data = os.urandom(4096 * 1024)
    with open(path, "wb") as f:
        f.write(sparse_header(blocks, blocks))
        for i in range(blocks):
            if i % 2 == 0:
                j = (i // 2) % 1024
                f.write(_CHUNK.pack(RAW, 0, 1, 12 + 4096) + data[j * 4096 : (j + 1) * 4096])
            else:
                f.write(_CHUNK.pack(FILL, 0, 1, 16) + struct.pack("<I", i))


def big_sparse(path: Path, mib: int = 4096) -> None:
    """``mib`` MiB expanded in 1 MiB chunks: a third random RAW, a third DONT_CARE, a third FILL."""
    with open(path, "wb") as f:
        f.write(sparse_header(mib * 256, mib))
        for i in range(mib):
            part = i * 3 // mib
            if part == 0:
                f.write(_CHUNK.pack(RAW, 0, 256, 12 + MiB) + os.urandom(MiB))
            elif part == 1:
                f.write(_CHUNK.pack(DONT_CARE, 0, 256, 12))
            else:
                f.write(_CHUNK.pack(FILL, 0, 256, 16) + b"\x12\x34\x56\x78")


def images(work: Path) -> dict[str, Path]:
    made = {}
    for mib in (256, 1024):
        raw, sparse = work / f"raw{mib}.img", work / f"sparse{mib}.img"
        if not raw.exists():
            random_raw(raw, mib * MiB)
        if not sparse.exists():
            subprocess.run(["img2simg", str(raw), str(sparse)], check=True)
        made[f"{mib} MiB raw"], made[f"{mib} MiB sparse"] = raw, sparse
    made["262,144 chunks"] = work / "many.img"
    made["4 GiB sparse"] = work / "big4g.img"
    if not made["262,144 chunks"].exists():
        many_chunks(made["262,144 chunks"])
    if not made["4 GiB sparse"].exists():
        big_sparse(made["4 GiB sparse"])
    return made


def start_device(limit: int) -> tuple[subprocess.Popen[str], str]:
    script = Path(__file__).resolve().parent / "discard_device.py"
    proc = subprocess.Popen(
        [
            sys.executable,
            str(script),
            "--max-download-size",
            str(limit),
            "--var",
            "partition-size:system=0x200000000",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().split()[1]


def run(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user+sys) and peak RSS (MiB) of one child."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise subprocess.CalledProcessError(os.waitstatus_to_exitcode(status), cmd)
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def compare(image: Path, name: str, rounds: int) -> tuple[str, ...]:
    ours_cmd = unlocker_cmd("flash", "system", str(image), "-s", name, "--yes", "--no-progress")
    theirs_cmd = ["fastboot", "-s", name, "flash", "system", str(image)]
    ours: list[tuple[float, float, float]] = []
    theirs: list[tuple[float, float, float]] = []
    for i in range(rounds):
        order = (ours, theirs) if i % 2 == 0 else (theirs, ours)
        for into in order:
            into.append(run(ours_cmd if into is ours else theirs_cmd))
    ratios = [o[0] / t[0] for o, t in zip(ours, theirs, strict=True)]
    return (
        f"{min(o[0] for o in ours):.2f} / {statistics.median(o[0] for o in ours):.2f}",
        f"{min(t[0] for t in theirs):.2f} / {statistics.median(t[0] for t in theirs):.2f}",
        f"{min(ratios):.2f} / {statistics.median(ratios):.2f}",
        f"{statistics.median(o[1] for o in ours):.2f} / {statistics.median(t[1] for t in theirs):.2f}",
        f"{max(o[2] for o in ours):.0f} / {max(t[2] for t in theirs):.0f}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--only", nargs="*", help="case names to run (e.g. '1 GiB raw')")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    work.mkdir(parents=True, exist_ok=True)
    devices = {limit: start_device(limit) for limit in (256 * MiB, 16 * MiB)}
    try:
        made = images(work)
        cases = [
            ("256 MiB raw", 256 * MiB),
            ("256 MiB sparse", 256 * MiB),
            ("1024 MiB raw", 256 * MiB),
            ("1024 MiB sparse", 256 * MiB),
            ("262,144 chunks", 256 * MiB),
            ("4 GiB sparse", 16 * MiB),
        ]
        rows = [
            (
                "image (download limit)",
                "ours s min/med",
                "fastboot s min/med",
                "ratio min/med",
                "CPU s ours/theirs",
                "peak RSS MiB ours/theirs",
            )
        ]
        for case, limit in cases:
            if args.only and case not in args.only:
                continue
            result = compare(made[case], devices[limit][1], args.rounds)
            rows.append((f"{case} ({limit // MiB} MiB)", *result))
            print(*rows[-1], sep="  |  ", flush=True)
    finally:
        for proc, _name in devices.values():
            proc.terminate()
            proc.wait()
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\nflash into the discard device, loopback TCP, {args.rounds} paired alternating rounds")
    table(rows)


if __name__ == "__main__":
    main()

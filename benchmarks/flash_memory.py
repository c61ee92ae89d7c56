"""Peak RSS of `unlocker flash` vs `fastboot flash` into a discard-only device (goal: < 40 MiB, flat).

Sparse images of 256 MiB, 1 GiB and 4 GiB (the layout img2simg makes of a 1/3 random, 1/3 zero,
1/3 pattern image, written directly) and a 1 GiB image of 262,144 one-block chunks, at download
limits of 16 MiB and 256 MiB (the device's `partition-size:system` raised to hold 4 GiB). Each
figure is the maximum of N runs of exactly the flashing process (wait4's ru_maxrss).

Usage: python benchmarks/flash_memory.py [--runs N] [--sizes MIB ...] [--chunks N]
       (defaults: 3 runs, 256 1024 4096, 262144 chunks)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (  # noqa: E402
    MiB,
    machine,
    make_many_chunks,
    make_sparse_image,
    peak_rss_mib,
    rss_floor_note,
    start_discard,
    stop,
    table,
    unlocker_cmd,
    workdir,
)

LIMITS = (16, 256)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=3, help="runs per figure, the maximum printed (default 3)"
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024, 4096], help="sparse image MiB")
    parser.add_argument("--chunks", type=int, default=262144, help="chunks of the many-chunk image")
    args = parser.parse_args()
    machine("flash memory: peak RSS of unlocker flash vs fastboot flash, discard-only device, loopback TCP")
    print(rss_floor_note())
    partition = f"partition-size:system={max([*args.sizes, args.chunks * 4096 // MiB, 3072]) * MiB:#x}"
    devices = {limit: start_discard(limit * MiB, partition) for limit in LIMITS}
    header = (
        "image",
        *[f"{who} MiB @ {limit} MiB limit" for limit in LIMITS for who in ("unlocker", "fastboot")],
    )
    rows = [header]
    try:

        def measure(label: str, image: Path) -> None:
            cells = [label]
            for limit in LIMITS:
                name = devices[limit][1]
                ours = unlocker_cmd("flash", "system", str(image), "-s", name, "--yes", "--no-progress")
                theirs = ["fastboot", "-s", name, "flash", "system", str(image)]
                for cmd in (ours, theirs):
                    cells.append(f"{max(peak_rss_mib(cmd) for _ in range(args.runs)):.1f}")
            rows.append(tuple(cells))
            print(f"   {label}: done", file=sys.stderr, flush=True)

        for mib in args.sizes:
            with workdir(mib * MiB // 2) as work:
                image = work / "system.simg"
                make_sparse_image(image, mib * MiB)
                measure(f"{mib} MiB sparse", image)
        with workdir(args.chunks * 2100) as work:
            image = work / "chunks.simg"
            make_many_chunks(image, args.chunks)
            measure(f"{args.chunks * 4096 // MiB} MiB sparse, {args.chunks} chunks", image)
    finally:
        for proc, _ in devices.values():
            stop(proc)
    print(f"max of {args.runs} runs each; goal: unlocker < 40 MiB in every cell")
    table(rows)


if __name__ == "__main__":
    main()

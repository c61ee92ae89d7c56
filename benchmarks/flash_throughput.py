"""Flash time, whole command: `unlocker flash` vs Google's `fastboot flash` into a discard-only device.

The device (benchmarks/discard_device.py, its own process, max-download-size 256 MiB) answers like
an unlocked phone and drops every downloaded byte, so what is measured is the client: start-up,
preflight, reading and cutting the image, sending. Images are in /dev/shm when it has room.
Paired alternating rounds; ratio = our time / fastboot's time, per pair.

Usage: python benchmarks/flash_throughput.py [--rounds N] [--large MIB] [--small MIB] [--chunks N]
       (defaults: 10 rounds, 1024 MiB, 256 MiB, 262144 one-block chunks)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (  # noqa: E402
    MiB,
    Paired,
    machine,
    make_image,
    make_many_chunks,
    make_sparse,
    paired,
    paired_table,
    rounds_arg,
    run,
    start_discard,
    stop,
    unlocker_cmd,
    workdir,
)


def compare(label: str, image: Path, name: str, rounds: int) -> Paired:
    return paired(
        label,
        lambda: run(unlocker_cmd("flash", "system", str(image), "-s", name, "--yes", "--no-progress")),
        lambda: run(["fastboot", "-s", name, "flash", "system", str(image)]),
        rounds,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    rounds_arg(parser, 10)
    parser.add_argument("--large", type=int, default=1024, help="MiB of the large images (default 1024)")
    parser.add_argument("--small", type=int, default=256, help="MiB of the small images (default 256)")
    parser.add_argument("--chunks", type=int, default=262144, help="chunks of the many-chunk image")
    args = parser.parse_args()
    machine(
        "flash throughput: unlocker flash vs fastboot flash, whole command, discard-only device, "
        "max-download-size 256 MiB, loopback TCP"
    )
    # A 4096-byte block per chunk: the partition must hold chunks * 4096 bytes.
    need = max(args.large * MiB, args.chunks * 4096)
    device, name = start_discard(256 * MiB, f"partition-size:system={max(need, 3 << 30):#x}")
    rows: list[tuple[Paired, str]] = []
    try:
        for mib, goal in ((args.large, "<= 1.0"), (args.small, "<= 1.3")):
            with workdir(2 * mib * MiB) as work:
                raw, sparse = work / "system.raw", work / "system.simg"
                make_image(raw, mib * MiB)
                make_sparse(raw, sparse)
                rows.append((compare(f"{mib} MiB raw", raw, name, args.rounds), goal))
                rows.append((compare(f"{mib} MiB sparse (img2simg)", sparse, name, args.rounds), goal))
        with workdir(args.chunks * 2100) as work:
            image = work / "chunks.simg"
            make_many_chunks(image, args.chunks)
            label = f"{args.chunks * 4096 // MiB} MiB sparse, {args.chunks} chunks"
            rows.append((compare(label, image, name, args.rounds), "<= 1.0"))
    finally:
        stop(device)
    paired_table(rows)


if __name__ == "__main__":
    main()

"""The virtual phone's write speed: Google's `fastboot flash` into `unlocker emulate` vs into the discard device.

The same client (Google's fastboot), the same raw image (1/3 random, 1/3 zeros, 1/3 a repeated
word) and the same max-download-size (256 MiB); the virtual phone (profile xiaomi-legacy, its
own process) keeps its state on /dev/shm. Two cases: the partition already written (a re-flash;
a real phone's storage is always there) and the partition file removed (untimed) before every
run, so the file system allocates it anew. What differs is only what receives the data. Goal: within 1.5x of the discard-only device.
Paired alternating rounds; ratio = time into the virtual phone / time into the discard device.

Usage: python benchmarks/emulator_write.py [--rounds N] [--size MIB]   (defaults: 10, 1024)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (  # noqa: E402
    MiB,
    Sample,
    machine,
    make_image,
    paired,
    paired_table,
    rounds_arg,
    run,
    start_discard,
    start_emulator,
    stop,
    workdir,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    rounds_arg(parser, 10)
    parser.add_argument("--size", type=int, default=1024, help="MiB of the raw image (default 1024)")
    args = parser.parse_args()
    machine(
        f"virtual phone write: fastboot flash system ({args.size} MiB raw) into unlocker emulate "
        "vs into the discard-only device, max-download-size 256 MiB, loopback TCP"
    )
    # Image and the phone's partitions both in RAM: 2x the image.
    with workdir(2 * args.size * MiB) as work:
        image = work / "system.raw"
        make_image(image, args.size * MiB)
        state = work / "phone"
        emulator, phone = start_emulator(
            state, "--profile", "xiaomi-legacy", "--max-download-size", str(256 * MiB)
        )
        discard, sink = start_discard(256 * MiB)
        partition = state / "partitions" / "system.img"
        try:

            def into_phone(fresh: bool) -> Sample:
                if fresh:
                    partition.unlink(missing_ok=True)
                sample = run(["fastboot", "-s", phone, "flash", "system", str(image)])
                if partition.stat().st_size < args.size * MiB:
                    raise RuntimeError("the virtual phone did not write the whole image")
                return sample

            into_phone(fresh=True)  # untimed: the partition exists before the first re-flash
            results = [
                paired(
                    f"{args.size} MiB raw, fastboot flash, {label}",
                    lambda fresh=fresh: into_phone(fresh),
                    lambda: run(["fastboot", "-s", sink, "flash", "system", str(image)]),
                    args.rounds,
                )
                for label, fresh in (("partition written before", False), ("partition file new", True))
            ]
        finally:
            stop(emulator)
            stop(discard)
    print("ours: into unlocker emulate; anchor: into the discard-only device")
    paired_table([(result, "<= 1.5") for result in results])


if __name__ == "__main__":
    main()

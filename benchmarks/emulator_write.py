"""The virtual phone's write speed: Google's `fastboot flash` into `unlocker emulate` vs into the discard device.

The same client (Google's fastboot), the same raw image (1/3 random, 1/3 zeros, 1/3 a repeated
word) and the same max-download-size (256 MiB); the virtual phone (profile xiaomi-legacy, its
own process) keeps its state on /dev/shm. Two cases: the partition already written (a re-flash;
a real phone's storage is always there) and the partition file removed (untimed) before every
run, so the file system allocates it anew. What differs is only what receives the data. Goal: within
1.5x of the discard-only device, on the re-flash. Paired alternating rounds; ratio = time into the
virtual phone / time into the discard device.

A new file costs whoever writes it the file system's page allocation, which no client or phone can
skip. The last row shows that cost as a plain copy pays it: the anchor is the flash into the
discard device followed by GNU `cp --sparse=always` of the raw image into a new file beside the
partitions, which writes the same bytes and leaves the same zero third as a hole.

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
    # Image, the phone's partitions and the copy all in RAM.
    with workdir(3 * args.size * MiB) as work:
        image = work / "system.raw"
        make_image(image, args.size * MiB)
        copy = work / "copied.raw"
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

            def into_sink() -> Sample:
                return run(["fastboot", "-s", sink, "flash", "system", str(image)])

            def into_sink_then_copy() -> Sample:
                copy.unlink(missing_ok=True)
                flash = into_sink()
                write = run(["cp", "--sparse=always", str(image), str(copy)])
                return Sample(flash.seconds + write.seconds, flash.cpu + write.cpu)

            into_phone(fresh=True)  # untimed: the partition exists before the first re-flash
            label = f"{args.size} MiB raw, fastboot flash"
            results = [
                (
                    paired(
                        f"{label}, partition written before",
                        lambda: into_phone(False),
                        into_sink,
                        args.rounds,
                    ),
                    "<= 1.5",
                ),
                (
                    paired(f"{label}, partition file new", lambda: into_phone(True), into_sink, args.rounds),
                    "(information)",
                ),
                (
                    paired(
                        f"{label}, partition file new; anchor + cp --sparse=always into a new file",
                        lambda: into_phone(True),
                        into_sink_then_copy,
                        args.rounds,
                    ),
                    "(information)",
                ),
            ]
        finally:
            stop(emulator)
            stop(discard)
    print(
        "ours: into unlocker emulate; anchor: into the discard-only device (last row: then "
        "cp --sparse=always copies the raw image into a new file on the same file system)"
    )
    paired_table(results)


if __name__ == "__main__":
    main()

"""Raw->sparse conversion and sparse expansion: `unlocker sparse` vs Google's img2simg/simg2img.

Input and output files in /dev/shm when it has room (each output removed after its run, untimed).
Paired alternating rounds; ratio = our time / Google's time, per pair (goal: within 2x).

Usage: python benchmarks/sparse_convert.py [--rounds N] [--size MIB]   (defaults: 10, 1024)
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
    make_sparse,
    paired,
    paired_table,
    rounds_arg,
    run,
    unlocker_cmd,
    workdir,
)


def once(cmd: list[str], output: Path) -> Sample:
    sample = run(cmd)
    if not output.stat().st_size:
        raise RuntimeError(f"{cmd[0]} wrote nothing")
    output.unlink()
    return sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    rounds_arg(parser, 10)
    parser.add_argument("--size", type=int, default=1024, help="MiB of the image (default 1024)")
    args = parser.parse_args()
    machine(
        f"sparse conversion of {args.size} MiB (1/3 random, 1/3 zeros, 1/3 repeated word): unlocker vs Google"
    )
    with workdir(3 * args.size * MiB) as work:
        raw, sparse, out = work / "in.raw", work / "google.simg", work / "out"
        make_image(raw, args.size * MiB)
        make_sparse(raw, sparse)
        convert = paired(
            "raw -> sparse: unlocker sparse convert vs img2simg",
            lambda: once(unlocker_cmd("sparse", "convert", str(raw), str(out)), out),
            lambda: once(["img2simg", str(raw), str(out)], out),
            args.rounds,
        )
        expand = paired(
            "sparse -> raw: unlocker sparse expand vs simg2img",
            lambda: once(unlocker_cmd("sparse", "expand", str(sparse), str(out)), out),
            lambda: once(["simg2img", str(sparse), str(out)], out),
            args.rounds,
        )
    paired_table([(convert, "<= 2.0"), (expand, "<= 2.0")])


if __name__ == "__main__":
    main()

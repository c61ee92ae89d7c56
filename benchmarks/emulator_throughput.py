"""The virtual phone keeping up: Google's `fastboot flash` of one image into `unlocker emulate` vs
into the discard-only device (benchmarks/discard_device.py), both in their own processes.

Paired alternating runs (A,B,B,A,...), ratio emulate/discard per pair, min and median. The phone's
state lives in /dev/shm when there is one, so the disk's writeback does not set the pace. With
`--fresh` the partition file is removed before every run (a first flash); by default it stays (a
re-flash, as when a person flashes again). Usage:
python benchmarks/emulator_throughput.py [SIZE_MIB] [--rounds N] [--fresh] [--sparse]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import MiB, make_image, start_emulator, timed  # noqa: E402

_LIMIT = str(256 * MiB)


def _discard_device() -> tuple[subprocess.Popen[str], str]:
    script = Path(__file__).resolve().parent / "discard_device.py"
    proc = subprocess.Popen(
        [sys.executable, str(script), "--profile", "xiaomi-legacy", "--max-download-size", _LIMIT],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().split()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("size_mib", nargs="?", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--fresh", action="store_true", help="remove the partition file before each run")
    parser.add_argument("--sparse", action="store_true", help="flash an img2simg image instead of raw")
    args = parser.parse_args()
    shm = Path("/dev/shm")
    base = Path(tempfile.mkdtemp(dir=shm if shm.is_dir() else None))
    try:
        image = base / "system.raw"
        make_image(image, args.size_mib * MiB)
        if args.sparse:
            subprocess.run(["img2simg", str(image), str(base / "system.simg")], check=True)
            image.unlink()
            image = base / "system.simg"
        state = base / "phone"
        emulator, emulator_name = start_emulator(
            state, "--profile", "xiaomi-legacy", "--max-download-size", _LIMIT
        )
        discard, discard_name = _discard_device()
        partition = state / "partitions" / "system.img"
        names = {"emulate": emulator_name, "discard": discard_name}
        times: dict[str, list[float]] = {"emulate": [], "discard": []}
        try:
            for who in names:  # warm-up, not counted: page cache, first allocation of the files
                timed(["fastboot", "-s", names[who], "flash", "system", str(image)])
            for round_ in range(args.rounds):
                order = ("emulate", "discard") if round_ % 2 == 0 else ("discard", "emulate")
                for who in order:
                    if args.fresh:
                        partition.unlink(missing_ok=True)
                    times[who].append(timed(["fastboot", "-s", names[who], "flash", "system", str(image)]))
        finally:
            for proc in (emulator, discard):
                proc.terminate()
                proc.wait()
        ratios = [e / d for e, d in zip(times["emulate"], times["discard"], strict=True)]
        kind = "sparse" if args.sparse else "raw"
        print(
            f"{args.size_mib} MiB {kind}, {'fresh partition' if args.fresh else 're-flash'}, n={args.rounds}"
        )
        for who, values in times.items():
            print(f"  {who:8} min {min(values):.3f} s  median {statistics.median(values):.3f} s")
        print(
            f"  ratio emulate/discard (paired): min {min(ratios):.2f}  median {statistics.median(ratios):.2f}"
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

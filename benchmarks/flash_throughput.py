"""Flash throughput over loopback TCP to the virtual phone: `unlocker flash` vs Google's `fastboot flash`.

Both clients flash the same image into the same virtual phone (its own process), the partition
file removed before every run so neither inherits the other's allocated file; best of 5, with the
order alternating. Usage: python benchmarks/flash_throughput.py [SIZE_MIB]   (default 1024)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import MiB, make_image, start_emulator, table, timed, unlocker_cmd  # noqa: E402

ROUNDS = 5


def main() -> None:
    size = int(sys.argv[1]) * MiB if len(sys.argv) > 1 else 1024 * MiB
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        raw = work / "system.raw"
        make_image(raw, size)
        sparse = work / "system.simg"
        subprocess.run(["img2simg", str(raw), str(sparse)], check=True)
        # The phone's partitions live in RAM when possible: disk writeback otherwise swamps the comparison.
        shm = Path("/dev/shm")
        state = Path(tempfile.mkdtemp(dir=shm)) if shm.is_dir() else work / "phone"
        emulator, name = start_emulator(
            state, "--profile", "xiaomi-legacy", "--max-download-size", str(256 * MiB)
        )
        rows = [("image", "unlocker MB/s", "fastboot MB/s", "ratio (ours/theirs)")]
        try:
            partition = state / "partitions" / "system.img"
            clients = {
                "ours": lambda image: unlocker_cmd(
                    "flash", "system", str(image), "-s", name, "--yes", "--no-progress"
                ),
                "theirs": lambda image: ["fastboot", "-s", name, "flash", "system", str(image)],
            }
            for label, image in (("raw", raw), ("sparse (img2simg)", sparse)):
                best = {"ours": float("inf"), "theirs": float("inf")}
                for round_ in range(ROUNDS):
                    order = ("ours", "theirs") if round_ % 2 == 0 else ("theirs", "ours")
                    for who in order:
                        partition.unlink(missing_ok=True)
                        best[who] = min(best[who], timed(clients[who](image)))
                ours, theirs = size / best["ours"] / 1e6, size / best["theirs"] / 1e6
                rows.append(
                    (f"{size // MiB} MiB {label}", f"{ours:.0f}", f"{theirs:.0f}", f"{ours / theirs:.2f}")
                )
        finally:
            emulator.terminate()
            emulator.wait()
            shutil.rmtree(state, ignore_errors=True)
    print(
        f"flash, max-download-size 256 MiB, loopback TCP, same virtual phone, best of {ROUNDS} (whole command)"
    )
    table(rows)


if __name__ == "__main__":
    main()

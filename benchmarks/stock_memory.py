"""Stock firmware: peak RSS and speed of `unlocker payload extract` and `unlocker stock`.

1. A full payload.bin (inside an OTA zip, stored) holding one partition of SIZE MiB, written as
   2 MiB REPLACE_XZ (or REPLACE_BZ) operations. We time `unlocker payload extract` (streamed,
   every blob hash and the image hash checked) against `xz -dc` / `bzip2 -dc` of exactly the same
   compressed blobs (concatenated streams), and take the extracting process's peak RSS.
2. A Xiaomi fastboot ROM .tgz whose super.img is a sparse image of SIZE MiB, flashed with
   `unlocker stock --yes` into a virtual phone running in its own process; peak RSS of the client.

Goals (issue 12): peak RSS flat in package size and < 150 MiB; extraction within 1.5x of the
decompression alone. Needs the `protobuf` test extra (the manifest is encoded with it).

Usage: python benchmarks/stock_memory.py [--xz|--bz2] [PAYLOAD_MIB [ROM_MIB ...]]
       (default: --xz 4096 512 2048). BENCH_DIR: where packages are built (a few GiB);
       BENCH_OUT: where images are extracted (a tmpfs such as /dev/shm takes the disk out).
"""

from __future__ import annotations

import bz2
import hashlib
import lzma
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (  # noqa: E402
    MiB,
    machine,
    make_image,
    peak_rss_mib,
    rss_floor_note,
    start_emulator,
    table,
    unlocker_cmd,
)

OP = 2 * MiB


def timed_rss(cmd: list[str]) -> tuple[float, float]:
    start = time.perf_counter()
    rss = peak_rss_mib(cmd)
    return time.perf_counter() - start, rss


def _chunks(mib: int) -> list[bytes]:
    """The image as 2 MiB operations, like benchmarks._common.make_image: 1/3 random, 1/3 zeros,
    1/3 a repeated word. Random chunks cycle through 16 distinct ones so that building a 4 GiB
    payload compresses 40 MiB, not 4 GiB (what is measured, decompressing, is unchanged)."""
    count = mib * MiB // OP
    randoms = [os.urandom(OP) for _ in range(16)]
    zeros, pattern = bytes(OP), b"\x12\x34\x56\x78" * (OP // 4)
    return [
        randoms[i % 16] if i * 3 // count == 0 else zeros if i * 3 // count == 1 else pattern
        for i in range(count)
    ]


def build_payload(work: Path, mib: int, kind: str) -> tuple[Path, Path]:
    """(ota.zip, blobs file): one partition of ``mib`` MiB written as 2 MiB operations."""
    from tests.stock.update_metadata import OPERATION_TYPES, DeltaArchiveManifest

    compressed: dict[int, bytes] = {}

    def compress(data: bytes) -> bytes:
        if id(data) not in compressed:
            compressed[id(data)] = (
                lzma.compress(data, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32)
                if kind == "xz"
                else bz2.compress(data, 9)
            )
        return compressed[id(data)]

    blobs = work / ("blobs.xz" if kind == "xz" else "blobs.bz2")
    manifest = DeltaArchiveManifest()
    manifest.block_size = 4096
    part = manifest.partitions.add(partition_name="system_big")
    whole = hashlib.sha256()
    offset = 0
    with open(blobs, "wb") as out:
        for number, data in enumerate(_chunks(mib)):
            whole.update(data)
            blob = compress(data)
            op = part.operations.add(
                type=OPERATION_TYPES["REPLACE_XZ" if kind == "xz" else "REPLACE_BZ"],
                data_offset=offset,
                data_length=len(blob),
                data_sha256_hash=hashlib.sha256(blob).digest(),
            )
            op.dst_extents.add(start_block=number * OP // 4096, num_blocks=OP // 4096)
            out.write(blob)
            offset += len(blob)
    part.new_partition_info.size = mib * MiB
    part.new_partition_info.hash = whole.digest()
    header = manifest.SerializeToString()
    ota = work / "ota.zip"
    with zipfile.ZipFile(ota, "w", zipfile.ZIP_STORED, allowZip64=True) as z:
        with z.open("META-INF/com/android/metadata", "w") as f:
            f.write(b"ota-type=AB\npre-device=alioth\n")
        with z.open(zipfile.ZipInfo("payload.bin"), "w", force_zip64=True) as f, open(blobs, "rb") as src:
            f.write(b"CrAU" + struct.pack(">QQI", 2, len(header), 0) + header)
            shutil.copyfileobj(src, f, 8 * MiB)
    return ota, blobs


def payload_row(mib: int, kind: str) -> tuple[str, ...]:
    """Decompression alone (to /dev/null), the same decompression written to a file in the output
    folder, and our extraction into that folder (BENCH_OUT, e.g. a tmpfs; default: the work dir)."""
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        work = Path(tmp)
        ota, blobs = build_payload(work, mib, kind)
        tool = ["xz", "-dc", str(blobs)] if kind == "xz" else ["bzip2", "-dc", str(blobs)]
        with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_OUT", tmp)) as out_dir:
            out = Path(out_dir)
            start = time.perf_counter()
            with open(os.devnull, "wb") as null:
                subprocess.run(tool, check=True, stdout=null)
            alone = time.perf_counter() - start
            start = time.perf_counter()
            with open(out / "reference.raw", "wb") as sink:
                subprocess.run(tool, check=True, stdout=sink)
            to_file = time.perf_counter() - start
            (out / "reference.raw").unlink()
            seconds, rss = timed_rss(
                unlocker_cmd("payload", "extract", str(ota), "system_big", "-o", str(out), "--no-progress")
            )
        return (
            f"{mib} MiB ({kind})",
            f"{seconds:.1f}",
            f"{alone:.1f}",
            f"{to_file:.1f}",
            f"{seconds / alone:.2f}",
            f"{seconds / to_file:.2f}",
            f"{rss:.0f}",
        )


def rom_row(mib: int) -> tuple[str, ...]:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        work = Path(tmp)
        raw = work / "super.raw"
        make_image(raw, mib * MiB)
        sparse = work / "super.img"
        subprocess.run(["img2simg", str(raw), str(sparse)], check=True)
        raw.unlink()
        root = "alioth_global_images_V14.0.3.0.TKHMIXM_20230620.0000.00_13.0_global"
        script = (
            'fastboot $* getvar product 2>&1 | grep -E  "^product: *alioth"\n'
            "CURRENT_ANTI_VER=1\n"
            'ver=`fastboot $* getvar anti 2>&1 | grep -oP "anti: \\K[0-9]+"`\n'
            'if [ -z "$ver" ]; then ver=0; fi\n'
            "if [ $ver -gt $CURRENT_ANTI_VER ]; then echo too new; exit 1; fi\n"
            "fastboot $* flash super `dirname $0`/images/super.img\n"
            "fastboot $* reboot\n"
        )
        (work / "flash_all.sh").write_text(script)
        rom = work / "rom.tgz"
        with tarfile.open(rom, "w:gz", compresslevel=1) as tar:
            tar.add(work / "flash_all.sh", f"{root}/flash_all.sh")
            tar.add(sparse, f"{root}/images/super.img")
        sparse.unlink()
        proc, name = start_emulator(work / "phone")
        try:
            env = {**os.environ, "UNLOCKER_CACHE_DIR": str(work / "cache")}
            start = time.perf_counter()
            rss = peak_rss_mib(unlocker_cmd("stock", str(rom), "-s", name, "--yes", "--no-progress"), env=env)
            seconds = time.perf_counter() - start
        finally:
            proc.terminate()
            proc.wait()
        return (f"{mib} MiB super (tgz {rom.stat().st_size // MiB} MiB)", f"{seconds:.1f}", f"{rss:.0f}")


def main() -> None:
    args = sys.argv[1:]
    kind = "bz2" if "--bz2" in args else "xz"
    sizes = [int(a) for a in args if not a.startswith("--")] or [4096, 512, 2048]
    machine(f"stock firmware: unlocker payload extract vs {kind} decompression; unlocker stock peak RSS")
    print(rss_floor_note())
    print("payload extract (one partition, 2 MiB operations):")
    table(
        [
            (
                "partition",
                "unlocker s",
                "decompress to /dev/null s",
                "decompress to a file s",
                "ratio (null)",
                "ratio (file)",
                "peak RSS MiB",
            ),
            payload_row(sizes[0], kind),
        ]
    )
    print("\nunlocker stock of a fastboot ROM into the virtual phone:")
    table([("package", "seconds", "peak RSS MiB"), *[rom_row(mib) for mib in sizes[1:]]])


if __name__ == "__main__":
    main()

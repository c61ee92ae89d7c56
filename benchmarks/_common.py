"""Shared helpers for the benchmark scripts (not tests: they print figures, they do not assert)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

MiB = 1024 * 1024


def make_image(path: Path, size: int) -> None:
    """A realistic mix, in whole 1 MiB blocks: 1/3 random (incompressible), 1/3 zeros, 1/3 one repeated word.

    Sizes are kept a multiple of 4096: Google's fastboot mis-splits raw images that are not.
    """
    blocks = max(3, size // MiB)
    with open(path, "wb") as f:
        for i in range(blocks):
            part = i * 3 // blocks
            f.write(
                os.urandom(MiB)
                if part == 0
                else bytes(MiB)
                if part == 1
                else b"\x12\x34\x56\x78" * (MiB // 4)
            )


def timed(cmd: list[str], **kw: object) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)  # type: ignore[arg-type]
    return time.perf_counter() - start


def unlocker_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "unlocker", *args]


def table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)))


def start_emulator(state_dir: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    """`unlocker emulate` in its own process (so only the client is measured); returns it and its -s name."""
    proc = subprocess.Popen(
        unlocker_cmd("emulate", "--port", "0", "--state-dir", str(state_dir), "--unlocked", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().split()[1]

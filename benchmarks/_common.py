"""Shared helpers for the benchmark scripts (not tests: they print figures, they do not assert)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

MiB = 1024 * 1024


def make_image(path: Path, size: int) -> None:
    """A realistic mix: random data (incompressible), zero runs and a repeated word (FILL)."""
    third = size // 3
    with open(path, "wb") as f:
        written = 0
        while written < third:
            f.write(os.urandom(MiB))
            written += MiB
        f.write(bytes(third))
        f.write(b"\x12\x34\x56\x78" * ((size - written - third) // 4))


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

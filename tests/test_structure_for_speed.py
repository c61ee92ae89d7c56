"""Structural properties that keep unlocker fast and flat in memory (issue 15).

Timings belong in benchmarks/; these tests check the shapes that make the timings possible:
what is imported at start-up, how many sparse pieces live at once, that cutting is linear.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import time
from pathlib import Path

import pytest

from unlocker.sparse.extents import Extent, ImageLayout
from unlocker.sparse.format import FILL, RAW
from unlocker.sparse.resparse import iter_pieces
from unlocker.sparse.writer import SparseStream

MiB = 1024 * 1024


def _modules_after(*args: str) -> set[str]:
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['unlocker', *{list(args)!r}]\n"
        "try:\n    runpy.run_module('unlocker', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(run.stderr.split())


@pytest.mark.parametrize("args", [("--version",), ("--help",)])
def test_start_up_imports_no_heavy_dependencies(args: tuple[str, ...]) -> None:
    loaded = {m.split(".")[0] for m in _modules_after(*args)}
    assert not loaded & {"tqdm", "requests", "yaml", "cryptography", "usb", "libusb_package"}


def _layout(extents: int) -> ImageLayout:
    # Alternating RAW and FILL runs of one block: the worst case for the number of chunks.
    items = [Extent(RAW if i % 2 else FILL, i, 1, i * 4096, b"\1\2\3\4") for i in range(extents)]
    return ImageLayout(4096, extents, items)


def _cut_seconds(extents: int) -> float:
    layout = _layout(extents)
    start = time.process_time()
    for _piece in iter_pieces(layout, 64 * 1024):
        pass
    return time.process_time() - start


def test_cutting_is_linear_in_extents() -> None:
    small, large = _cut_seconds(50_000), _cut_seconds(500_000)
    # Ten times the extents may cost about ten times the CPU (a quadratic cut costs a hundred).
    assert large < 25 * max(small, 0.005), (small, large)
    assert large < 3.0


def test_one_piece_at_a_time_during_a_flash(phone_factory, run_cli, tmp_path: Path, monkeypatch) -> None:
    """Sparse pieces are made as they are sent, so memory does not grow with their number."""
    from unlocker.device.connect import connect_fastboot
    from unlocker.device.facts import read_facts
    from unlocker.flashing import engine
    from unlocker.flashing.image import inspect_image
    from unlocker.flashing.plan import plan_flash

    p = phone_factory("xiaomi-legacy", unlocked=True, max_download_size=MiB)
    image = tmp_path / "system.img"
    image.write_bytes(bytes(range(256)) * (6 * MiB // 256))
    live: list[int] = []
    original = engine._send

    def counting_send(*args: object, **kwargs: object) -> None:
        gc.collect()
        live.append(sum(1 for o in gc.get_objects() if isinstance(o, SparseStream)))
        original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_send", counting_send)
    with connect_fastboot(p.name) as client:
        plan = plan_flash(read_facts(client, partitions=["system"]), "system", inspect_image(image))
        result = engine.execute(client, plan, confirm=lambda _q: None, reconnect=lambda: client)
    assert result.pieces >= 6 and len(live) == result.pieces
    assert max(live) <= 2, live
    assert p.partition("system") == image.read_bytes()

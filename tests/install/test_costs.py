"""What an install costs besides its data, counted (never timed): each file hashed once per command,
the getvars each step sends, no index read with a kit.

In process against the virtual phone, like test_resume; the kit is made from the loopback build server.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.install.conftest import Published
from tests.install.scripted import ScriptedUI, install, request_for
from unlocker.emulator import parse_fault
from unlocker.errors import UnlockerError
from unlocker.install import checksums, journey
from unlocker.install.journal import all_journals
from unlocker.install.plan import PlannedStep

KIT_FILES = {"boot.img", "dtbo.img", "vendor_boot.img"}  # and the ROM zip


class CountingUI(ScriptedUI):
    """Notes how many commands the phone had received when each step was announced."""

    marks: list[tuple[int, int]]

    def announce(self, step: PlannedStep, total: int) -> None:
        self.marks = [*getattr(self, "marks", []), (step.number, len(self.running.phone.commands_received))]
        super().announce(step, total)

    def getvars_per_step(self) -> dict[Any, int]:
        commands = list(self.running.phone.commands_received)
        bounds = [*self.marks, ("end", len(commands))]
        counts: dict[Any, int] = {}
        start, label = 0, "identify"
        for number, index in bounds:
            counts[label] = sum(c.startswith("getvar:") for c in commands[start:index])
            start, label = index, number
        return counts


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """File name -> how many times the install hashed it."""
    counts: Counter[str] = Counter()
    real = checksums.sha256_file

    def counting(path: Path) -> str:
        counts[Path(path).name] += 1
        return real(path)

    monkeypatch.setattr(checksums, "sha256_file", counting)
    return counts


@pytest.fixture
def kit(in_process: Path, alioth_build: Published, tmp_path: Path) -> Path:
    directory = tmp_path / "kit"
    journey.make_kit("alioth", "lineageos", None, directory, lambda: None)
    return directory


@pytest.fixture
def no_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """A kit carries the index entries it needs: reading the index would be a wasted second."""
    import unlocker.index

    def refuse() -> None:
        raise AssertionError("the index was read")

    monkeypatch.setattr(unlocker.index, "load_index", refuse)


def _zip_name(kit: Path) -> str:
    return next(p.name for p in kit.iterdir() if p.suffix == ".zip")


def test_kit_install_hashes_each_file_once_and_reads_no_index(
    phone_factory, kit: Path, no_index: None, hashed: Counter[str]
) -> None:
    running = phone_factory(unlocked=True)
    install(request_for(running, rom=None, kit=kit), ScriptedUI(running))
    assert all_journals()[0].finished
    assert hashed == Counter(KIT_FILES | {_zip_name(kit)})


def test_resume_from_a_kit_hashes_each_file_once(
    phone_factory, kit: Path, no_index: None, hashed: Counter[str]
) -> None:
    running = phone_factory(unlocked=True, faults=[parse_fault("fail:reboot-recovery=reboot refused")])
    ui = ScriptedUI(running)
    with pytest.raises(UnlockerError):
        install(request_for(running, rom=None, kit=kit), ui)
    hashed.clear()
    journey.resume(request_for(running, rom=None, kit=kit), ui)
    assert all_journals()[0].finished
    # the kit's files are taken again (the kit may have moved) and verified once, not twice
    assert hashed == Counter(KIT_FILES | {_zip_name(kit)})


def test_getvars_per_step(phone_factory, kit: Path) -> None:
    """The phone's facts are read once per fastboot session: a step on the same session asks only
    what it adds (a partition's facts) or one getvar to see the session is still there."""
    running = phone_factory(unlocked=True)
    ui = CountingUI(running)
    install(request_for(running, rom=None, kit=kit), ui)
    counts = ui.getvars_per_step()
    full = counts["identify"]  # the whole facts record and the serial number
    assert 8 <= full <= 12
    assert counts[4] == 1  # reboot to the bootloader: it is there already, on the open session
    assert counts[5] == 1  # wait for it: the same
    for flash in (6, 7, 8):  # boot, dtbo, vendor_boot on an A/B phone: has-slot, size and logical x2
        assert counts[flash] == 1 + 2 + 2, (flash, counts)
    assert counts[9] == 1  # reboot to recovery: the session still answers
    assert sum(counts.values()) == full + 1 + 1 + 3 * 5 + 1


def test_sha256_files_matches_hashlib_and_reports_a_bad_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(checksums, "READ_AHEAD_FROM", 3 * checksums.CHUNK)  # also the read-ahead way
    sizes = [0, 1, checksums.CHUNK, 3 * checksums.CHUNK + 7, 5 * checksums.CHUNK]
    files = []
    for i, size in enumerate(sizes):
        path = tmp_path / f"f{i}"
        path.write_bytes(bytes([i]) * size)
        files.append(path)
    digests = checksums.sha256_files([*files, files[0]])  # a file named twice is hashed once
    assert digests == {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files}

    unreadable = tmp_path / "dir.img"
    unreadable.mkdir()  # a directory: open works, reading fails
    with pytest.raises(IsADirectoryError):
        checksums.sha256_files([*files, unreadable])

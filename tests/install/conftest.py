"""Fixtures for the guided install: a loopback LineageOS build server with generated builds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.install.fake_builds import BuildServer, make_image, make_rom_zip

KiB = 1024


@dataclass
class Published:
    server: BuildServer
    codename: str
    version: str
    images: dict[str, Path]  # artefact -> file (boot, dtbo, vendor_boot / recovery)
    rom_zip: Path

    @property
    def env(self) -> dict[str, str]:
        return {"UNLOCKER_LINEAGE_API_URL": self.server.api}


def publish(
    server: BuildServer, directory: Path, codename: str, images: dict[str, int], version: str = "23.2"
) -> Published:
    directory.mkdir(parents=True, exist_ok=True)
    date = "2026-11-20"
    rom_zip = make_rom_zip(
        directory / f"lineage-{version}-{date.replace('-', '')}-nightly-{codename}-signed.zip", codename
    )
    made = {
        name: make_image(directory / f"{name}.img", size, seed)
        for seed, (name, size) in enumerate(images.items())
    }
    server.add_build(codename, version, date, [rom_zip, *made.values()])
    return Published(server, codename, version, made, rom_zip)


@pytest.fixture
def build_server(tmp_path: Path) -> Iterator[BuildServer]:
    server = BuildServer(tmp_path / "www")
    yield server
    server.close()


@pytest.fixture
def alioth_build(build_server: BuildServer, tmp_path: Path) -> Published:
    """LineageOS for alioth as download.lineageos.org lists it: the zip, boot, dtbo, vendor_boot
    (vendor_boot.img is the recovery on this phone)."""
    return publish(
        build_server,
        tmp_path / "www" / "alioth",
        "alioth",
        {"boot": 192 * KiB + 512, "dtbo": 64 * KiB, "vendor_boot": 128 * KiB},
    )

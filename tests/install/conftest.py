"""Fixtures for the guided install: a loopback LineageOS build server with generated builds."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.install.fake_builds import BuildServer, make_image, make_rom_zip
from unlocker.index import Index, load_index

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


@pytest.fixture(scope="session")
def shipped_index() -> Index:
    return load_index()


@pytest.fixture(scope="session")
def adb_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One adb key pair for the run (generating RSA-2048 costs a little each time)."""
    from unlocker.adb.auth import generate_key

    path = tmp_path_factory.mktemp("adbkey") / "adbkey"
    generate_key(path)
    return path


@pytest.fixture
def in_process(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    alioth_build: Published,
    shipped_index: Index,
    adb_key: Path,
) -> Path:
    """Private user dirs and HOME for an install run in this process; the index is read once per run."""
    import unlocker.index

    monkeypatch.setattr(unlocker.index, "load_index", lambda: shipped_index)
    for kind in ("STATE", "CACHE", "CONFIG"):  # the same dirs as cli_env's: CLI runs see them too
        (tmp_path / f"user_{kind.lower()}").mkdir(exist_ok=True)
        monkeypatch.setenv(f"UNLOCKER_{kind}_DIR", str(tmp_path / f"user_{kind.lower()}"))
    shutil.copy(adb_key, tmp_path / "user_config" / "adbkey")
    (tmp_path / "user_config" / "adbkey").chmod(0o600)
    (tmp_path / "home").mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("UNLOCKER_LINEAGE_API_URL", alioth_build.server.api)
    monkeypatch.setenv("UNLOCKER_RESPONSE_TIMEOUT", "1")
    return tmp_path / "user_state"

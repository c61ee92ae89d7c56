"""The Nokia 8 (NB1), the one phone whose install runs `fastboot wipe-super`: retrofitted dynamic
partitions, so the empty metadata goes to system_a and vendor_a before the recovery is written.
End to end through the CLI on the virtual Nokia 8, and in process with a fault at that step."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.flashing.lp_builder import NB1, build_super_empty
from tests.install.conftest import KiB, Published, publish
from tests.install.fake_builds import BuildServer
from tests.install.scripted import ScriptedUI, install, request_for
from unlocker.emulator import parse_fault
from unlocker.emulator.recovery import RecoveryOptions
from unlocker.errors import UnlockerError
from unlocker.install import journey
from unlocker.install.journal import all_journals

STEPS = 12
WIPE_STEP = 4
REGION = 12288 + 4 * 65536  # reserved zeros, two geometries, 2 slots x (primary + backup)


def _publish(server: BuildServer, tmp_path: Path, super_empty_data: bytes) -> tuple[Published, Path]:
    """One NB1 build: the zip, boot.img (the recovery) and super_empty.img, each with its sha256."""
    directory = tmp_path / "www" / "NB1"
    directory.mkdir(parents=True)
    super_empty = directory / "super_empty.img"
    super_empty.write_bytes(super_empty_data)
    published = publish(server, directory, "NB1", {"boot": 160 * KiB})
    extra = server.add_build("NB1", "23.2", "2026-11-20", [super_empty])
    server.builds["NB1"].pop(0)
    server.builds["NB1"][0]["files"] += extra
    return published, super_empty


@pytest.fixture
def nb1_build(build_server: BuildServer, tmp_path: Path) -> tuple[Published, Path]:
    return _publish(build_server, tmp_path, build_super_empty(NB1))


def _assert_installed(running, build: Published, super_empty: Path) -> None:
    empty = super_empty.read_bytes()
    with open(running.phone.partition_path("system_a"), "rb") as f:
        head = f.read(REGION)
    assert head[:4096] == bytes(4096) and head[4096:8192] == head[8192:12288] == empty[:4096]
    assert head[12288 : 12288 + len(empty) - 4096] == empty[4096:]
    assert running.phone.partition_path("system_a").stat().st_size == 3 * 1024**3
    assert running.phone.partition_path("vendor_a").stat().st_size == 1024**3
    assert running.partition("boot_a") == build.images["boot"].read_bytes()  # the recovery
    assert (running.state_dir / "sideloaded.zip").read_bytes() == build.rom_zip.read_bytes()
    sent = [c for c in running.phone.commands_received if "lock" in c.replace("unlocked", "")]
    assert sent == []  # never `flashing lock` / `oem lock`


def test_install_on_a_retrofit_phone(phone_factory, run_cli, nb1_build, cli_env, adb_key, tmp_path) -> None:
    build, super_empty = nb1_build
    running = phone_factory(
        "nokia-retrofit", unlocked=True, recovery=RecoveryOptions(auto_apply_from_adb=True)
    )
    shutil.copy(adb_key, Path(cli_env["UNLOCKER_CONFIG_DIR"]) / "adbkey")
    (Path(cli_env["UNLOCKER_CONFIG_DIR"]) / "adbkey").chmod(0o600)
    (tmp_path / "home").mkdir()
    env = {**build.env, "HOME": str(tmp_path / "home"), "UNLOCKER_INSTALL_TIMEOUT": "20"}

    dry = run_cli("install", "lineageos", "-s", running.name, "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert (
        f"Step {WIPE_STEP}/{STEPS}: Wipe the super partition with super_empty.img (fastboot wipe-super)"
        in dry.stdout
    )
    assert "every logical partition inside super" in dry.stdout
    assert not running.phone.partition_path("system_a").exists()

    r = run_cli("install", "lineageos", "-s", running.name, "--yes", "--no-progress", env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"Step {WIPE_STEP}/{STEPS}: Wipe the super partition with super_empty.img" in r.stdout
    _assert_installed(running, build, super_empty)
    commands = list(running.phone.commands_received)
    order = [
        c
        for c in commands
        if c in ("oem allow-flash-super", "flash:system_a", "flash:vendor_a", "flash:boot_a")
    ]
    assert order == ["oem allow-flash-super", "flash:system_a", "flash:vendor_a", "flash:boot_a"]


@pytest.mark.parametrize(
    "fault",
    ["fail:flash:vendor_a=Flashing failed", "disconnect@1000", "stall:download#1"],
    ids=["vendor FAIL", "cable pulled", "stall"],
)
def test_fault_at_wipe_super_then_resume(fault: str, phone_factory, in_process, nb1_build) -> None:
    build, super_empty = nb1_build
    running = phone_factory("nokia-retrofit", unlocked=True, faults=[parse_fault(fault)])
    ui = ScriptedUI(running)
    with pytest.raises(UnlockerError):
        install(request_for(running), ui)
    stopped = all_journals()[0]
    assert stopped.state == "stopped" and stopped.first_unfinished() == WIPE_STEP

    journey.resume(request_for(running, rom=None), ui)
    _assert_installed(running, build, super_empty)
    assert sorted(ui.finished_steps) == list(range(1, STEPS + 1))
    done = all_journals()[0]
    assert done.finished and done.detail(WIPE_STEP)["written"] == ["system_a", "vendor_a"]
    flashes = [c for c in running.phone.commands_received if c.startswith("flash:")]
    assert flashes[-3:] == ["flash:system_a", "flash:vendor_a", "flash:boot_a"]  # redone whole, then on


def test_damaged_super_empty_is_refused_before_any_write(
    phone_factory, in_process, build_server: BuildServer, tmp_path: Path
) -> None:
    """A build whose super_empty.img is damaged at the source (its sha256 matches the damage)."""
    data = bytearray(build_super_empty(NB1))
    data[4096 + 300] ^= 1
    _publish(build_server, tmp_path, bytes(data))
    running = phone_factory("nokia-retrofit", unlocked=True)
    with pytest.raises(UnlockerError) as caught:
        install(request_for(running), ScriptedUI(running))
    assert "super_empty.img: the tables checksum does not match" in str(caught.value)
    assert all_journals()[0].first_unfinished() == WIPE_STEP
    assert not [c for c in running.phone.commands_received if c.startswith(("oem ", "download:", "flash:"))]


def test_resume_after_a_slot_change_wipes_the_new_slot(phone_factory, in_process, nb1_build) -> None:
    """Retrofit metadata lives in system_X/vendor_X of the active slot: when the phone now starts
    from the other slot, the finished wipe-super is redone there, like the finished flashes."""
    build, super_empty = nb1_build
    running = phone_factory("nokia-retrofit", unlocked=True, faults=[parse_fault("fail:reboot-recovery=no")])
    ui = ScriptedUI(running)
    with pytest.raises(UnlockerError):
        install(request_for(running), ui)
    assert all_journals()[0].first_unfinished() == WIPE_STEP + 2  # wiped, recovery written

    running.phone.set_state("current_slot", "b")
    journey.resume(request_for(running, rom=None), ui)
    assert any("super_empty.img is written again" in note for note in ui.notes)
    with open(running.phone.partition_path("system_b"), "rb") as f:
        assert f.read(8192)[4096:] == super_empty.read_bytes()[:4096]
    flashes = [c for c in running.phone.commands_received if c.startswith("flash:")]
    assert flashes == [
        "flash:system_a", "flash:vendor_a", "flash:boot_a",
        "flash:system_b", "flash:vendor_b", "flash:boot_b",
    ]  # fmt: skip

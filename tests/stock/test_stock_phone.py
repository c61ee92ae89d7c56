"""Stock firmware on the virtual phone: what lands, what is refused, and what never reaches it."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import RunningPhone
from tests.stock.builders import (
    ROM_FLASHES,
    STORAGE_FLASHES,
    PayloadSpec,
    RomSpec,
    build_ota,
    build_payload,
    build_rom,
    rom_images,
    sample,
)
from unlocker.device.connect import connect_fastboot
from unlocker.errors import PackageError, PreflightError, RollbackRefused, UsageError
from unlocker.sparse.extents import layout_of_raw
from unlocker.sparse.resparse import resparse
from unlocker.stock import apply_stock, plan_stock
from unlocker.stock.checks import same_phone

MiB = 1024 * 1024
WRITES = ("download", "flash", "erase", "set_active", "reboot", "oem", "flashing", "snapshot-update")
LOCKS = ("oem lock", "flashing lock", "oem lock_critical", "flashing lock_critical")


def writes(phone: RunningPhone) -> list[str]:
    return [c for c in phone.phone.commands_received if c.split(":")[0].split(" ")[0] in WRITES]


def no_lock_sent(phone: RunningPhone) -> bool:
    return not any(c.startswith(LOCKS) for c in phone.phone.commands_received)


def targets(partition: str) -> list[str]:
    base = partition[:-3] if partition.endswith("_ab") else partition
    return [f"{base}_a", f"{base}_b"] if partition.endswith("_ab") else [base]


def holds(phone: RunningPhone, name: str, image: bytes) -> bool:
    data = phone.partition(name)
    return data[: len(image)] == image and not data[len(image) :].strip(b"\0")


def run(phone: RunningPhone, package: Path, tmp_path: Path, **options: object):  # noqa: ANN201
    reboot = options.pop("reboot", True)
    questions: list[str] = []
    with connect_fastboot(phone.name) as client:
        plan = plan_stock(client, package, **options)  # type: ignore[arg-type]
        result = apply_stock(
            client, plan, confirm=questions.append, cache=tmp_path / "cache", reboot=bool(reboot)
        )
    return plan, result, questions


def refused(
    phone: RunningPhone, package: Path, error: type[Exception], match: str, **options: object
) -> None:
    with connect_fastboot(phone.name) as client, pytest.raises(error, match=match):
        plan_stock(client, package, **options)  # type: ignore[arg-type]
    assert writes(phone) == [] and no_lock_sent(phone)


# --- Xiaomi fastboot ROMs --------------------------------------------------------------------


def test_a_matching_package_lands_byte_identical(
    phone_factory: Callable[..., RunningPhone], tmp_path: Path
) -> None:
    phone = phone_factory(unlocked=True)
    phone.phone.set_state("current_slot", "b")
    images = rom_images()
    plan, result, questions = run(phone, build_rom(tmp_path, images=images), tmp_path)
    assert plan.wipes_data and "ERASES ALL DATA" in questions[0]
    for partition, file in ROM_FLASHES + STORAGE_FLASHES:
        for name in targets(partition):
            assert holds(phone, name, images[file]), name
    sent = writes(phone)
    assert sent[:2] == ["erase:boot_a", "erase:boot_b"] and sent[-2:] == ["set_active:a", "reboot"]
    assert "flash:crclist" not in sent  # the phone does not ask for CRC lists
    assert no_lock_sent(phone) and result.rebooted and phone.phone.current_slot == "a"
    assert not any((tmp_path / "cache").rglob("*.img"))  # the unpacked images are gone


def test_keep_data_follows_except_storage(phone_factory: Callable[..., RunningPhone], tmp_path: Path) -> None:
    phone = phone_factory(unlocked=True)
    plan, _result, questions = run(phone, build_rom(tmp_path), tmp_path, keep_data=True, reboot=False)
    assert plan.script == "flash_all_except_storage.sh" and not plan.wipes_data and "keeping" in questions[0]
    sent = writes(phone)
    assert not any(c.endswith(("userdata", "metadata")) for c in sent)
    assert "reboot" not in sent  # reboot=False: the caller has more to do


def test_a_package_older_than_the_phones_anti_rollback_is_refused(
    phone_factory: Callable[..., RunningPhone], tmp_path: Path
) -> None:
    phone = phone_factory(unlocked=True, variables={"anti": "3"})
    refused(
        phone, build_rom(tmp_path, RomSpec(anti=2)), RollbackRefused, "anti-rollback index 3.*index 2.*brick"
    )


def test_a_package_that_does_not_state_its_index_counts_as_zero(
    phone_factory: Callable[..., RunningPhone], tmp_path: Path
) -> None:
    phone = phone_factory(unlocked=True)  # alioth: anti 1
    refused(phone, build_rom(tmp_path, RomSpec(anti=None)), RollbackRefused, "does not state its index")


def test_an_index_written_in_the_script_is_honoured(
    phone_factory: Callable[..., RunningPhone], tmp_path: Path
) -> None:
    phone = phone_factory(unlocked=True, variables={"anti": "2"})
    refused(phone, build_rom(tmp_path, RomSpec(anti=1, anti_in_script=True)), RollbackRefused, "index 2")
    with connect_fastboot(phone.name) as client:
        plan = plan_stock(client, build_rom(tmp_path, RomSpec(anti=2, anti_in_script=True, root="newer")))
    assert plan.package_anti == 2 and plan.phone_anti == 2


@pytest.mark.parametrize("codename", ["venus", "alio", "alioth2"])
def test_another_phones_package_is_refused(
    phone_factory: Callable[..., RunningPhone], tmp_path: Path, codename: str
) -> None:
    phone = phone_factory(unlocked=True)
    refused(
        phone,
        build_rom(tmp_path, RomSpec(codename=codename)),
        PreflightError,
        f"is for '{codename}'.*'alioth'",
    )


def test_index_aliases_count_as_the_same_phone() -> None:
    assert same_phone("porg", "p3450") and same_phone("alioth", " alioth ")
    assert not same_phone("alioth", "alio") and not same_phone("porg", "p2371")


@pytest.mark.parametrize(
    ("line", "error", "match"),
    [
        ("fastboot $* oem lock", PreflightError, "would relock the bootloader"),
        ("fastboot $* flashing lock", PreflightError, "would relock the bootloader"),
        ("rm -rf $HOME", PackageError, "is not understood"),
        ("fastboot $* flash abl_ab /etc/passwd", PackageError, "is not understood"),
    ],
)
def test_lock_lines_and_unknown_lines_stop_the_plan(
    phone_factory: Callable[..., RunningPhone], tmp_path: Path, line: str, error: type[Exception], match: str
) -> None:
    phone = phone_factory(unlocked=True)
    refused(phone, build_rom(tmp_path, RomSpec(extra_lines=[line])), error, match)


def test_the_lock_variant_is_never_chosen(phone_factory: Callable[..., RunningPhone], tmp_path: Path) -> None:
    from unlocker.stock.xiaomi_rom import read_rom

    rom = read_rom(build_rom(tmp_path))
    assert rom.script("flash_all_lock.sh").relocks and rom.script("flash_all_lock.sh").relocking_name
    assert rom.choose_script(keep_data=False).name == "flash_all.sh"
    assert rom.choose_script(keep_data=True).name == "flash_all_except_storage.sh"


def test_a_locked_phone_is_refused(phone_factory: Callable[..., RunningPhone], tmp_path: Path) -> None:
    refused(phone_factory(), build_rom(tmp_path), PreflightError, "bootloader is locked")


def test_crc_lists_are_sent_when_the_phone_checks_them(
    phone_factory: Callable[..., RunningPhone], tmp_path: Path
) -> None:
    images = rom_images()
    raw = images["super.img"]
    pieces = len(resparse(layout_of_raw(io.BytesIO(raw), len(raw)), MiB))
    assert pieces > 1
    phone = phone_factory(unlocked=True, variables={"crc": "1"}, max_download_size=MiB)
    run(phone, build_rom(tmp_path, RomSpec(super_pieces=pieces), images=images), tmp_path)
    sent = writes(phone)
    assert sent.index("flash:crclist") < sent.index("flash:sparsecrclist") < sent.index("erase:boot_a")
    assert sent.count("flash:super") == pieces and holds(phone, "super", raw)


def test_a_crc_list_that_expects_other_pieces_is_refused_before_writing(
    phone_factory: Callable[..., RunningPhone], tmp_path: Path
) -> None:
    phone = phone_factory(unlocked=True, variables={"crc": "1"}, max_download_size=MiB)
    with connect_fastboot(phone.name) as client:
        plan = plan_stock(client, build_rom(tmp_path, RomSpec(super_pieces=1)))
        with pytest.raises(PreflightError, match="expects 1 pieces"):
            apply_stock(client, plan, confirm=lambda q: None, cache=tmp_path / "cache")
    assert writes(phone) == []


def test_declining_the_question_changes_nothing(
    phone_factory: Callable[..., RunningPhone], tmp_path: Path
) -> None:
    from unlocker.errors import Aborted

    phone = phone_factory(unlocked=True)

    def no(question: str) -> None:
        raise Aborted("no")

    with connect_fastboot(phone.name) as client:
        plan = plan_stock(client, build_rom(tmp_path))
        with pytest.raises(Aborted):
            apply_stock(client, plan, confirm=no, cache=tmp_path / "cache")
    assert writes(phone) == [] and not (tmp_path / "cache").exists()


# --- OTA payloads, firmware only -------------------------------------------------------------

FIRMWARE = {"abl": sample(16384, 11), "xbl": sample(12288, 12), "modem": sample(40960, 13)}
OTHERS = {"boot": sample(8192, 14), "vbmeta": sample(4096, 15), "system": sample(32768, 16)}


def _ota(tmp_path: Path, device: str = "alioth", **spec: object) -> Path:
    payload = build_payload(
        PayloadSpec({**FIRMWARE, **OTHERS}, logical={"qti_dynamic_partitions": ["system"]}, **spec)
    )  # type: ignore[arg-type]
    return build_ota(tmp_path / "ota.zip", payload, device=device)


def test_firmware_only_writes_both_slots_and_nothing_else(
    phone_factory: Callable[..., RunningPhone], tmp_path: Path
) -> None:
    phone = phone_factory(unlocked=True, variables={"anti": "0"})
    plan, result, _questions = run(phone, _ota(tmp_path), tmp_path, firmware_only=True)
    assert [a.partition for a in plan.actions] == ["abl", "xbl", "modem"]
    for name, image in FIRMWARE.items():
        assert holds(phone, f"{name}_a", image) and holds(phone, f"{name}_b", image), name
    assert not any(c.endswith(("boot_a", "boot_b", "vbmeta_a", "system_a")) for c in writes(phone))
    assert not result.rebooted and no_lock_sent(phone)


def test_firmware_only_is_refused_on_a_phone_with_anti_rollback(
    phone_factory: Callable[..., RunningPhone], tmp_path: Path
) -> None:
    refused(
        phone_factory(unlocked=True),
        _ota(tmp_path),
        RollbackRefused,
        "does not state its index",
        firmware_only=True,
    )


def test_firmware_only_for_another_phone_is_refused(
    phone_factory: Callable[..., RunningPhone], tmp_path: Path
) -> None:
    phone = phone_factory(unlocked=True, variables={"anti": "0"})
    refused(phone, _ota(tmp_path, device="venus"), PreflightError, "is for 'venus'", firmware_only=True)


def test_a_damaged_payload_flashes_nothing(
    phone_factory: Callable[..., RunningPhone], tmp_path: Path
) -> None:
    phone = phone_factory(unlocked=True, variables={"anti": "0"})
    with connect_fastboot(phone.name) as client:
        plan = plan_stock(client, _ota(tmp_path, corrupt_blob="modem"), firmware_only=True)
        with pytest.raises(PackageError, match="modem: the data of operation 1 does not match its hash"):
            apply_stock(client, plan, confirm=lambda q: None, cache=tmp_path / "cache")
    assert writes(phone) == []  # abl and xbl were fine, but nothing is flashed before everything is checked


def test_incremental_payloads_and_wrong_options_are_refused(
    phone_factory: Callable[..., RunningPhone], tmp_path: Path
) -> None:
    phone = phone_factory(unlocked=True, variables={"anti": "0"})
    refused(phone, _ota(tmp_path, incremental=True), PackageError, "incremental", firmware_only=True)
    refused(phone, _ota(tmp_path), UsageError, "add --firmware-only|only its firmware")
    refused(phone, build_rom(tmp_path), UsageError, "--firmware-only is for OTA zips", firmware_only=True)

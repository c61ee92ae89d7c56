"""What real bootloaders answer (recorded `getvar all` posts, replayed over fastboot TCP), read
through the CLI in-process: unit suffixes, Motorola's securestate, platform names as product."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from tests.device.replay_phone import ReplayPhone
from unlocker.cli.main import main
from unlocker.device.facts import parse_lock_state
from unlocker.fastboot.variables import parse_millivolts


@pytest.fixture
def replay() -> Iterator[Callable[[str], ReplayPhone]]:
    phones: list[ReplayPhone] = []

    def make(fixture: str) -> ReplayPhone:
        phone = ReplayPhone(fixture)
        phones.append(phone)
        return phone

    yield make
    for phone in phones:
        phone.close()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def status(capsys: pytest.CaptureFixture[str], phone: ReplayPhone) -> dict:
    code, out, err = run(capsys, "status", "-s", phone.name, "--json")
    assert code == 0, err
    return json.loads(out)


def test_battery_voltage_with_a_unit(replay, capsys) -> None:
    report = status(capsys, replay("motorola_mediatek_penangf_locked.txt"))
    assert report["battery"] == {"voltage_mv": 4006, "soc_ok": True}
    assert report["product"] == "penangf" and report["unlocked"] is False
    assert "unlocker unlock" in report["next_step"]


def test_motorola_flashing_unlocked(replay, capsys) -> None:
    phone = replay("motorola_ibiza_flashing_unlocked.txt")
    report = status(capsys, phone)
    assert "getvar:securestate" in phone.commands  # `unlocked` is not published there
    assert report["unlocked"] is True and report["battery"]["voltage_mv"] == 4187
    assert "unlocker roms ibiza" in report["next_step"]


def test_motorola_oem_locked(replay, capsys) -> None:
    report = status(capsys, replay("motorola_devon_oem_locked.txt"))
    assert report["unlocked"] is False and report["battery"]["voltage_mv"] == 4150
    assert "Bootloader is locked" in report["next_step"]


def test_platform_name_is_not_taken_for_a_codename(replay, capsys) -> None:
    phone = replay("mediatek_k6895v1_64_unlocked.txt")
    report = status(capsys, phone)
    assert report["product"] == "k6895v1_64" and report["unlocked"] is True  # reported as is
    step = report["next_step"]
    assert "unlocker roms k6895v1_64" not in step
    assert "uncertain" in step and "MT6895" in step
    assert "unlocker reboot fastboot" in step and "unlocker status" in step  # what to run instead
    code, out, _err = run(capsys, "status", "-s", phone.name)
    assert code == 0 and "k6895v1_64 (a platform name, not the codename)" in out


def test_roms_for_a_phone_that_reports_a_platform(replay, capsys) -> None:
    code, _out, err = run(capsys, "roms", "-s", replay("mediatek_k6895v1_64_unlocked.txt").name)
    lines = err.strip().splitlines()
    assert code == 1 and "Traceback" not in err
    assert any(line.startswith("unlocker: error: 'k6895v1_64' is a platform name") for line in lines)
    assert "unlocker reboot fastboot" in lines[-1]


def test_getvar_all_reads_the_recorded_quirks(replay, capsys) -> None:
    code, out, err = run(
        capsys, "getvar", "all", "-s", replay("motorola_mediatek_penangf_locked.txt").name, "--json"
    )
    assert code == 0, err
    values = json.loads(out)
    assert values["battery-voltage"] == "4006mV" and values["product"] == "penangf"
    assert values["logical-block-size"] == "0x200" and values["variant"] == ""
    assert values["partition-size:boot_a"] == "2000000"


@pytest.mark.parametrize(
    "value,unlocked",
    [
        ("flashing_unlocked", True),
        ("flashing_locked", False),
        ("oem_locked", False),
        ("locked", False),
        ("unlocked", True),
        (" Flashing_Unlocked ", True),
        ("yes", True),
        ("no", False),
        ("engineering", None),
        ("", None),
        (None, None),
    ],
)
def test_lock_state_words(value: str | None, unlocked: bool | None) -> None:
    assert parse_lock_state(value) is unlocked


@pytest.mark.parametrize(
    "value,millivolts",
    [
        ("4006mV", 4006),
        ("4006 mV", 4006),
        ("4006MV", 4006),
        ("4.006V", 4006),
        ("4V", 4000),
        ("3950", 3950),
        ("0xfa0", 4000),
        ("4006mA", None),
        ("4006 kV", None),
        ("volts", None),
        ("", None),
        (None, None),
    ],
)
def test_millivolts(value: str | None, millivolts: int | None) -> None:
    assert parse_millivolts(value) == millivolts

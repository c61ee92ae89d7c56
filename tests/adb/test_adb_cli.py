"""`unlocker sideload`, `unlocker adb ...` and `status` in recovery, end to end.

A few run as a person runs them (``run_cli``: a real process); the rest call the same entry
point in-process (``cli``), which is much faster and sees the same exit codes and output.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.adb.zips import make_rom_zip
from tests.contracts import STATUS_KEYS
from unlocker.cli.main import main
from unlocker.emulator.faults import parse_fault
from unlocker.emulator.recovery import RecoveryOptions


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.delenv("ANDROID_SERIAL", raising=False)

    def run(*args: str, env: dict[str, str] | None = None) -> Ran:
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as e:
            code = int(e.code or 0)
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run


def one_line_error(r, *needles: str) -> str:  # noqa: ANN001
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr
    lines = [line for line in r.stderr.splitlines() if line.startswith("unlocker: error:")]
    assert len(lines) == 1, r.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def test_sideload_json(sideload_phone, run_cli, tmp_path: Path) -> None:
    rom = make_rom_zip(tmp_path / "rom.zip", payload=2 * 1024 * 1024)
    r = run_cli("sideload", str(rom), "-s", sideload_phone.name, "--yes", "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["outcome"] == "done" and report["size"] == rom.stat().st_size
    assert report["distinct_blocks"] == report["blocks"] < report["requests"]
    assert sideload_phone.phone.recovery.sideloaded_path.read_bytes() == rom.read_bytes()


def test_sideload_human_output_never_claims_the_install(sideload_phone, cli, tmp_path: Path) -> None:
    r = cli("sideload", str(make_rom_zip(tmp_path / "rom.zip")), "-s", sideload_phone.name, "--yes")
    assert r.returncode == 0, r.stderr
    assert "reported the sideload done" in r.stdout
    assert "Check the phone's screen" in r.stderr and "unlocker adb reboot" in r.stderr


def test_sideload_needs_a_yes_without_a_terminal_and_dry_run_sends_nothing(
    sideload_phone, cli, tmp_path: Path
) -> None:
    rom = make_rom_zip(tmp_path / "rom.zip")
    r = cli("sideload", str(rom), "-s", sideload_phone.name)
    one_line_error(r, "no answer possible without a terminal")
    r = cli("sideload", str(rom), "-s", sideload_phone.name, "--dry-run")
    assert r.returncode == 0 and "send rom.zip" in r.stdout and "nothing was sent" in r.stdout
    assert not any(c.startswith("sideload") for c in sideload_phone.phone.commands_received)
    assert sideload_phone.phone.mode == "sideload"


@pytest.mark.parametrize("kind", ["not a zip", "other phone"])
def test_wrong_file_is_refused_before_any_byte(sideload_phone, cli, tmp_path: Path, kind: str) -> None:
    if kind == "not a zip":
        path = tmp_path / "rom.zip"
        path.write_bytes(b"<html>404 Not Found</html>")
        needle = "not a zip file"
    else:
        path = make_rom_zip(tmp_path / "rom.zip", device="lavender")
        needle = "is for lavender"
    r = cli("sideload", str(path), "-s", sideload_phone.name, "--yes")
    one_line_error(r, needle)
    assert not any(c.startswith("sideload") for c in sideload_phone.phone.commands_received)


def test_sideload_when_the_recovery_is_not_waiting(recovery_factory, cli, tmp_path: Path) -> None:
    running = recovery_factory(mode="recovery")
    r = cli("sideload", str(make_rom_zip(tmp_path / "rom.zip")), "-s", running.name, "--yes")
    one_line_error(r, "not waiting for a package")
    assert "Apply from ADB" in r.stderr


def test_disconnect_mid_sideload(recovery_factory, run_cli, tmp_path: Path) -> None:
    running = recovery_factory(faults=[parse_fault("disconnect@300000")])
    r = run_cli(
        "sideload", str(make_rom_zip(tmp_path / "rom.zip", payload=1 << 20)), "-s", running.name, "--yes"
    )
    one_line_error(r, "dropped during the sideload")
    assert "done" not in r.stdout


def test_stalled_recovery(recovery_factory, cli, tmp_path: Path) -> None:
    running = recovery_factory(faults=[parse_fault("stall@200000")])
    rom = make_rom_zip(tmp_path / "rom.zip", payload=1 << 20)
    r = cli("sideload", str(rom), "-s", running.name, "--yes", env={"UNLOCKER_SIDELOAD_TIMEOUT": "1"})
    one_line_error(r, "asked for nothing for 1 s")
    assert r.stdout == ""


def test_recovery_rejects_the_package(sideload_phone, cli, tmp_path: Path) -> None:
    rom = make_rom_zip(tmp_path / "rom.zip", update_binary=False)
    r = cli("sideload", str(rom), "-s", sideload_phone.name, "--yes")
    one_line_error(r, "could not install rom.zip")
    assert r.stdout == ""


def test_status_in_recovery_and_sideload(recovery_factory, cli, tmp_path: Path) -> None:
    running = recovery_factory(mode="recovery", unlocked=True)
    r = cli("status", "-s", running.name, "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert set(report) == STATUS_KEYS
    assert (report["mode"], report["product"], report["unlocked"]) == ("recovery", "alioth", True)
    assert report["serial"] == running.phone.serial and report["current_slot"] == "a"
    assert "Apply from ADB" in report["next_step"] and "unlocker sideload" in report["next_step"]
    running.phone.recovery.control_path.touch()  # the owner chooses "Apply from ADB"
    r = cli("status", "-s", running.name)
    assert r.returncode == 0, r.stderr
    assert "sideload" in r.stdout and "waiting for a package" in r.stdout
    rom = make_rom_zip(tmp_path / "rom.zip")
    assert cli("sideload", str(rom), "-s", running.name, "--yes").returncode == 0
    report = json.loads(cli("status", "-s", running.name, "--json").stdout)
    assert report["mode"] == "recovery"
    assert "installed Xiaomi/alioth/alioth:14" in report["next_step"]  # what the recovery installed


def test_adb_devices_getprop_and_reboots(recovery_factory, cli) -> None:
    running = recovery_factory(mode="recovery", options=RecoveryOptions(auth=False))
    r = cli("adb", "devices", "-s", running.name, "--json")
    (row,) = json.loads(r.stdout)
    assert (row["mode"], row["product"], row["model"]) == ("recovery", "alioth", "M2012K11AG")
    assert cli("adb", "getprop", "ro.product.device", "-s", running.name).stdout == "alioth\n"
    r = cli("adb", "reboot", "sideload", "-s", running.name)
    assert r.returncode == 0 and running.phone.mode == "sideload"
    assert "unlocker sideload" in r.stderr
    # No shell in sideload mode: the banner still answers for the product properties.
    assert cli("adb", "getprop", "ro.product.model", "-s", running.name).stdout == "M2012K11AG\n"
    one_line_error(cli("adb", "getprop", "ro.serialno", "-s", running.name), "refused 'shell:getprop")
    assert cli("adb", "reboot", "bootloader", "-s", running.name).returncode == 0
    assert running.phone.mode == "bootloader"
    one_line_error(cli("adb", "getprop", "x", "-s", running.name), "no adb there")


def test_fastboot_reboot_recovery_then_adb_by_the_same_name(phone_factory, cli) -> None:
    """The journey's turn: from the bootloader into recovery, named the same way all along."""
    running = phone_factory(unlocked=True, recovery=RecoveryOptions(auth=False))
    assert cli("reboot", "recovery", "-s", running.name).returncode == 0
    report = json.loads(cli("status", "-s", running.name, "--json").stdout)
    assert report["mode"] == "recovery"


@pytest.mark.parametrize(
    ("mode", "unlocked", "last", "needle"),
    [
        ("sideload", None, None, "unlocker sideload ROM.zip"),
        ("recovery", True, None, "Apply from ADB"),
        ("recovery", True, {"ok": "1", "post_build": "X/y/z:14"}, "installed X/y/z:14"),
        (
            "recovery",
            True,
            {"ok": "0", "error": "Package is for product z"},
            "failed (Package is for product z)",
        ),
        ("device", False, None, "unlocker adb reboot bootloader`, then `unlocker unlock"),
        ("device", None, None, "then `unlocker status`"),
    ],
)
def test_next_step_over_adb(mode: str, unlocked: bool | None, last: dict | None, needle: str) -> None:
    from unlocker.device.facts import PhoneFacts
    from unlocker.device.state import status_report

    facts = PhoneFacts(name="p", mode=mode, product="alioth", unlocked=unlocked, last_install=last)
    report = status_report(facts)
    assert set(report) == STATUS_KEYS and report["mode"] == mode
    assert needle in report["next_step"]

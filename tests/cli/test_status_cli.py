"""`unlocker status`, `getvar`, `emulate` end to end, as a user runs them, including failures."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from tests.contracts import STATUS_KEYS
from unlocker.emulator.model import parse_fault


def test_status_json_locked_xiaomi(phone, run_cli) -> None:
    r = run_cli("status", "-s", phone.name, "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert set(report) == STATUS_KEYS
    assert report["mode"] == "bootloader"
    assert report["product"] == "alioth"
    assert report["unlocked"] is False
    assert report["critical_unlocked"] is False
    assert report["anti_rollback"] == 1
    assert report["slot_count"] == 2 and report["current_slot"] == "a"
    assert report["max_download_size"] == 805306368
    assert report["serial"] == phone.phone.serial
    assert "unlocker unlock" in report["next_step"]


def test_status_unknowns_are_null(phone_factory, run_cli) -> None:
    p = phone_factory("xiaomi-mtk")
    report = json.loads(run_cli("status", "-s", p.name, "--json").stdout)
    assert report["anti_rollback"] is None  # not published: never guessed
    assert report["slot_count"] is None and report["current_slot"] is None
    assert report["battery"] == {"voltage_mv": 3950, "soc_ok": None}


def test_status_fastbootd_and_human_table(phone_factory, run_cli) -> None:
    p = phone_factory("fastbootd", unlocked=True)
    r = run_cli("status", "-s", p.name)
    assert r.returncode == 0
    assert "fastbootd" in r.stdout
    assert "Next step:" in r.stdout
    report = json.loads(run_cli("status", "-s", p.name, "--json").stdout)
    assert report["mode"] == "fastbootd" and report["unlocked"] is True


def test_android_serial_is_honoured(phone, run_cli) -> None:
    r = run_cli("getvar", "product", env={"ANDROID_SERIAL": phone.name})
    assert r.returncode == 0
    assert r.stdout.strip() == "product: alioth"


def test_getvar_all_json(phone, run_cli) -> None:
    r = run_cli("getvar", "all", "-s", phone.name, "--json")
    values = json.loads(r.stdout)
    assert values["product"] == "alioth"
    assert values["partition-size:boot_a"] == "0x8000000"


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def assert_one_line_error(r: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert r.returncode not in (0, None)
    assert "Traceback" not in r.stderr
    first = r.stderr.strip().splitlines()[0]
    assert first.startswith("unlocker: error:")
    for needle in needles:
        assert needle in first, first


def test_unreachable_device(run_cli) -> None:
    port = _closed_port()
    r = run_cli("status", "-s", f"tcp:127.0.0.1:{port}")
    assert_one_line_error(r, f"tcp:127.0.0.1:{port}", "cannot connect")
    assert r.returncode == 1


def test_device_closes_mid_response(phone_factory, run_cli) -> None:
    p = phone_factory(faults=[parse_fault("disconnect:getvar:product")])
    r = run_cli("status", "-s", p.name)
    assert_one_line_error(r, p.name, "closed the connection")


def test_reply_that_is_not_fastboot(phone_factory, run_cli) -> None:
    p = phone_factory(faults=[parse_fault("garbage:getvar:product")])
    r = run_cli("getvar", "product", "-s", p.name)
    assert_one_line_error(r, p.name, "not a fastboot status")


def test_thirty_seconds_of_silence(phone_factory, run_cli) -> None:
    """The real default: 30 s without a word ends the wait with a clear message."""
    p = phone_factory(faults=[parse_fault("stall:getvar:product")])
    start = time.monotonic()
    r = run_cli("getvar", "product", "-s", p.name)
    elapsed = time.monotonic() - start
    assert_one_line_error(r, p.name, "no answer", "30 s")
    assert 29 < elapsed < 60


def test_usage_error_exit_code(run_cli) -> None:
    r = run_cli("status", "-s", "tcp:")
    assert r.returncode == 2
    assert "unlocker: error:" in r.stderr


def test_help_documents_exit_codes(run_cli) -> None:
    r = run_cli("--help")
    assert r.returncode == 0
    assert "Exit codes" in r.stdout and "waiting period" in r.stdout


def test_emulate_command_serves_google_fastboot(tmp_path, cli_env) -> None:
    """`unlocker emulate --port 0` in the background, then both clients talk to it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "unlocker", "emulate", "--port", "0", "--state-dir", str(tmp_path / "vp")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env,
    )
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("listening tcp:127.0.0.1:")
        name = line.split()[1]
        r = subprocess.run(
            [sys.executable, "-m", "unlocker", "status", "-s", name, "--json"],
            capture_output=True,
            text=True,
            env=cli_env,
            timeout=60,
        )
        assert json.loads(r.stdout)["unlocked"] is False
        if os.path.exists("/usr/bin/fastboot"):
            g = subprocess.run(
                ["fastboot", "-s", name, "getvar", "product"], capture_output=True, text=True, timeout=60
            )
            assert "product: alioth" in g.stderr
        assert (tmp_path / "vp" / "state.json").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_emulate_port_in_use(phone, run_cli) -> None:
    r = run_cli("emulate", "--port", str(phone.port))
    assert r.returncode == 2
    assert "cannot listen" in r.stderr


@pytest.mark.parametrize("profile", ["xiaomi-qcom", "xiaomi-legacy", "xiaomi-mtk", "generic", "fastbootd"])
def test_every_profile_reports_status(phone_factory, run_cli, profile: str) -> None:
    p = phone_factory(profile)
    r = run_cli("status", "-s", p.name, "--json")
    assert r.returncode == 0, r.stderr
    assert set(json.loads(r.stdout)) == STATUS_KEYS


def test_oem_unlocking_switched_off(phone_factory, run_cli) -> None:
    p = phone_factory("generic", unlock_ability=0)
    report = json.loads(run_cli("status", "-s", p.name, "--json").stdout)
    assert report["unlock_ability"] is False
    assert "OEM unlocking" in report["next_step"]


def test_xiaomi_refuses_plain_flashing_unlock(phone_factory) -> None:
    from unlocker.device.connect import connect_fastboot as open_client
    from unlocker.errors import FastbootFailure

    p = phone_factory("xiaomi-mtk")
    with open_client(p.name) as c:
        with pytest.raises(FastbootFailure):
            c.flashing("unlock")
        assert c.getvar("unlocked") == "no"

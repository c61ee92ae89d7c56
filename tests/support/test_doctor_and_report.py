"""doctor finds setup problems; the support report never leaks serials, tokens or account ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from unlocker.support import doctor
from unlocker.support.redact import REDACTED, installation_key, redact, tag


def test_report_redacts_phone_identity(phone, run_cli, cli_env) -> None:
    with phone.phone.lock:
        token = phone.phone.token
    serial = phone.phone.serial
    r = run_cli("report", "-s", phone.name)
    assert r.returncode == 0, r.stderr
    assert token not in r.stdout and token not in r.stderr
    assert serial not in r.stdout
    data = json.loads(r.stdout)
    key = installation_key(Path(cli_env["UNLOCKER_CONFIG_DIR"]))
    assert data["phone"]["state"]["product"] == "alioth"
    assert data["phone"]["state"]["serial"] == tag(serial, key)
    assert data["phone"]["variables"]["token"] == REDACTED
    assert data["phone"]["variables"]["serialno"] == tag(serial, key)
    assert data["phone"]["transport"] == "tcp"


def test_report_without_reachable_phone(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    r = run_cli("report", "-s", "tcp:127.0.0.1:1", "-o", str(out))
    assert r.returncode == 0
    data = json.loads(out.read_text())
    assert data["phone"]["reachable"] is False
    assert "cannot connect" in data["phone"]["error"]


def test_redact_nested_and_free_text() -> None:
    secret = "A" * 64
    key = b"k" * 32
    data = {
        "passToken": "p-secret-value",
        "userId": 1234567,
        "list": [{"cookie": "c"}],
        "note": f"token was {secret}; user 1234567 wrote from a@b.example",
        "serial": None,
    }
    out = redact(data, key)
    assert out["passToken"] == REDACTED and out["list"][0]["cookie"] == REDACTED
    assert out["userId"] == tag("1234567", key)
    assert secret not in out["note"] and "1234567" not in out["note"] and "a@b.example" not in out["note"]
    assert out["serial"] is None


def test_udev_check_finds_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor.platform, "system", lambda: "Linux")
    monkeypatch.setattr(doctor.os, "geteuid", lambda: 1000)
    assert doctor.check_udev_rules((tmp_path,)).status == doctor.FAIL
    (tmp_path / "51-unlocker.rules").write_text('SUBSYSTEM=="usb", ATTR{idVendor}=="2717", TAG+="uaccess"\n')
    assert doctor.check_udev_rules((tmp_path,)).status == doctor.OK


def test_secret_file_permissions_checked(cli_env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UNLOCKER_CONFIG_DIR", cli_env["UNLOCKER_CONFIG_DIR"])
    session = Path(cli_env["UNLOCKER_CONFIG_DIR"]) / "session.json"
    session.write_text("{}")
    session.chmod(0o644)
    assert doctor.check_secret_files().status == doctor.FAIL
    session.chmod(0o600)
    assert doctor.check_secret_files().status == doctor.OK


def test_doctor_json(run_cli) -> None:
    r = run_cli("doctor", "--json")
    checks = json.loads(r.stdout)
    assert {c["name"] for c in checks} >= {"python", "libusb", "udev rules", "user directories"}
    assert r.returncode == (1 if any(c["status"] == "fail" for c in checks) else 0)

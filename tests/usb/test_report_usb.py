"""`unlocker report` for a phone on USB (issue 9, item 4): the raw serial used to appear in
``transport`` and in the ``usb phones`` check; it must appear nowhere."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.umockdev


def test_report_of_a_usb_phone_has_no_raw_serial(umockdev_phone_factory, run_cli) -> None:
    serial = "UMK7Q2ZX9P"
    phone = umockdev_phone_factory("--serial", serial)
    r = run_cli("report", env=phone.env)
    assert r.returncode == 0, r.stderr
    assert serial not in r.stdout
    data = json.loads(r.stdout)
    assert data["phone"]["reachable"] is True, data["phone"]
    assert data["phone"]["transport"] == "usb"
    usb = next(c for c in data["checks"] if c["name"] == "usb phones")
    assert "1 in fastboot mode" in usb["detail"] and "<id:" in usb["detail"]

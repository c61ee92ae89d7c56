"""The public API a script uses: connect, read the phone's state, flash an image, unlock."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import unlocker
from unlocker.errors import Aborted, PreflightError


def test_import_is_light() -> None:
    code = "import sys, unlocker; print(sorted(m for m in sys.modules if m.startswith(('unlocker', 'click', 'requests', 'usb', 'yaml'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['unlocker']"


def test_emulator_exports_what_it_says() -> None:
    from unlocker.emulator import PROFILES, EmulatorServer, VirtualPhone

    assert VirtualPhone and EmulatorServer and "xiaomi-qcom" in PROFILES


def test_connect_status_flash_unlock(phone_factory, tmp_path: Path) -> None:
    p = phone_factory("generic")
    image = tmp_path / "boot.img"
    data = os.urandom(64 * 1024)
    image.write_bytes(data)
    with unlocker.connect(p.name) as phone:
        report = unlocker.status(phone)
        assert report["unlocked"] is False and report["product"] == "sargo"
        with pytest.raises(PreflightError, match="locked"):
            unlocker.plan_flash(phone, "boot", image)
        outcome = unlocker.unlock_bootloader(phone, confirm=lambda _q: None)
        assert outcome.unlocked
        assert unlocker.read_facts(phone).unlocked is True
        plan = unlocker.plan_flash(phone, "boot", image)
        assert plan.targets == [f"boot_{report['current_slot'] or 'a'}"]
        result = unlocker.flash(phone, "boot", image, confirm=lambda _q: None, plan=plan)
    assert result.written == plan.targets
    assert p.partition(plan.targets[0])[: len(data)] == data


def test_confirm_can_stop_an_unlock(phone_factory) -> None:
    p = phone_factory("generic")

    def refuse(question: str) -> None:
        raise Aborted("no")

    with unlocker.connect(p.name) as phone, pytest.raises(Aborted):
        unlocker.unlock_bootloader(phone, confirm=refuse)
    assert not p.phone.unlocked

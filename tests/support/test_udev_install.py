"""`unlocker udev install` into a temporary root, without rights, and the rules' vendor coverage."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
import yaml

from unlocker.cli import main as cli_main
from unlocker.support import udev

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "udev" / "51-unlocker.rules"
VENDORS = REPO / "udev" / "usb_vendors.yaml"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        cli_main.main(list(args))
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def test_install_into_a_root_directory(tmp_path: Path, capsys) -> None:
    code, _out, err = run(capsys, "udev", "install", "--root", str(tmp_path))
    assert code == 0, err
    installed = tmp_path / "etc" / "udev" / "rules.d" / "51-unlocker.rules"
    assert installed.read_bytes() == RULES.read_bytes()
    assert stat.S_IMODE(installed.stat().st_mode) == 0o644
    assert "udev of the running system was not touched" in err
    # installing again replaces the file in place
    installed.write_text("old")
    assert run(capsys, "udev", "install", "--root", str(tmp_path))[0] == 0
    assert installed.read_bytes() == RULES.read_bytes()


def test_without_rights_prints_the_exact_commands_and_exits_1(monkeypatch, capsys) -> None:
    monkeypatch.setattr(udev, "is_admin", lambda: False)
    monkeypatch.setattr("platform.system", lambda: "Linux")
    code, out, err = run(capsys, "udev", "install")
    assert code == 1
    assert "administrator rights" in err and "plug it in again" in err
    lines = [line.strip() for line in out.splitlines()]
    assert lines == [
        f"sudo install -D -m 0644 {RULES} /etc/udev/rules.d/51-unlocker.rules",
        "sudo udevadm control --reload-rules",
        "sudo udevadm trigger",
    ]


def test_dry_run_touches_nothing(tmp_path: Path, capsys) -> None:
    code, out, _err = run(capsys, "udev", "install", "--root", str(tmp_path), "--dry-run")
    assert code == 0 and "install -D -m 0644" in out
    assert not (tmp_path / "etc").exists()


def test_live_install_reloads_and_triggers_udev(tmp_path: Path, monkeypatch) -> None:
    """On the running system the rules are followed by udevadm (recorded here, not run)."""
    ran = []
    monkeypatch.setattr(udev.subprocess, "run", lambda command, **kwargs: ran.append(command))
    plan = udev.Plan(tmp_path, tuple(udev.rules_sources()), tmp_path / "rules.d", live=True)
    udev.install(plan)
    assert ran == [udev.RELOAD, udev.TRIGGER]
    assert (tmp_path / "rules.d" / "51-unlocker.rules").is_file()


def test_a_failed_reload_says_what_to_do(tmp_path: Path, monkeypatch) -> None:
    def fail(command, **kwargs):
        raise FileNotFoundError("udevadm")

    monkeypatch.setattr(udev.subprocess, "run", fail)
    plan = udev.Plan(tmp_path, tuple(udev.rules_sources()), tmp_path / "rules.d", live=True)
    with pytest.raises(udev.UnlockerError, match="could not be reloaded") as caught:
        udev.install(plan)
    assert "udevadm control --reload-rules" in (caught.value.hint or "")


# --- coverage of the firmware index --------------------------------------------------------------


def _granted_ids() -> set[str]:
    return set(re.findall(r'ATTR\{idVendor\}=="([0-9a-f]{4})", ENV\{UNLOCKER_PHONE\}="1"', RULES.read_text()))


def test_rules_cover_every_usb_vendor_id_of_the_index() -> None:
    from unlocker.index import load_index

    data = yaml.safe_load(VENDORS.read_text())
    vendors, socs = data["vendors"], data["socs"]
    granted = _granted_ids()
    index = load_index()
    missing = []
    for device in index.devices.values():
        assert device.vendor in vendors, f"{device.vendor} ({device.codename}) is not in {VENDORS.name}"
        assert device.soc_vendor in socs, f"{device.soc_vendor} ({device.codename}) is not in {VENDORS.name}"
        needed = {*vendors[device.vendor], *socs[device.soc_vendor], "18d1"}
        missing += [f"{usb_id} ({device.vendor})" for usb_id in sorted(needed - granted)]
    assert not missing, "rules lack: " + ", ".join(sorted(set(missing)))


def test_vendor_ids_are_well_formed_and_nothing_stale() -> None:
    data = yaml.safe_load(VENDORS.read_text())
    listed = {i for ids in [*data["vendors"].values(), *data["socs"].values()] for i in ids}
    assert all(re.fullmatch(r"[0-9a-f]{4}", i) for i in listed)
    assert _granted_ids() == listed, "the rules grant ids usb_vendors.yaml does not explain (or the reverse)"

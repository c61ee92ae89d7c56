"""The shipped udev rules: well-formed, matching fastboot by interface class, found by `unlocker doctor`."""

from __future__ import annotations

import re
from pathlib import Path

from unlocker.support.doctor import OK, check_udev_rules

RULES = Path(__file__).resolve().parents[2] / "udev" / "51-unlocker.rules"
# KEY or KEY{attr}, an operator, a double-quoted value (udev(7) rule syntax).
_ASSIGNMENT = re.compile(r'[A-Z_]+(\{[A-Za-z0-9_ =-]+\})?(==|!=|\+=|-=|:=|=)"[^"]*"')


def rule_lines() -> list[str]:
    return [line for line in RULES.read_text().splitlines() if line.strip() and not line.startswith("#")]


def test_every_rule_line_is_valid_udev_syntax() -> None:
    for line in rule_lines():
        for part in (p.strip() for p in line.split(",")):
            assert _ASSIGNMENT.fullmatch(part), f"bad udev key in: {line}"


def test_gotos_have_their_label() -> None:
    text = RULES.read_text()
    for label in set(re.findall(r'GOTO="([^"]+)"', text)):
        assert f'LABEL="{label}"' in text


def test_matches_fastboot_and_adb_interfaces_of_any_vendor_and_xiaomi_google() -> None:
    text = "\n".join(rule_lines())
    assert 'ENV{ID_USB_INTERFACES}=="*:ff4203:*"' in text
    assert 'ENV{ID_USB_INTERFACES}=="*:ff4201:*"' in text
    assert 'ATTR{idVendor}=="2717"' in text and 'ATTR{idVendor}=="18d1"' in text
    grant = [line for line in rule_lines() if 'TAG+="uaccess"' in line]
    assert grant and 'MODE="0660"' in grant[0] and 'GROUP="plugdev"' in grant[0]
    # uaccess must be tagged before systemd's 73-seat-late.rules applies it.
    assert RULES.name < "73"


def test_doctor_recognises_the_installed_rules(tmp_path: Path, monkeypatch) -> None:
    import platform

    monkeypatch.setattr(platform, "system", lambda: "Linux")
    (tmp_path / RULES.name).write_text(RULES.read_text())
    assert check_udev_rules((tmp_path,)).status == OK


def test_readme_names_the_install_commands() -> None:
    readme = (RULES.parent / "README.md").read_text()
    for command in ("sudo cp udev/51-unlocker.rules /etc/udev/rules.d/", "udevadm control --reload-rules"):
        assert command in readme

"""`unlocker doctor`: find what in this computer's setup stops unlocker from reaching a phone.

Each check is a small function returning a Check; none of them changes anything.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from unlocker import __version__, paths

OK, WARN, FAIL = "ok", "warn", "fail"

UDEV_DIRS = (Path("/etc/udev/rules.d"), Path("/usr/lib/udev/rules.d"), Path("/lib/udev/rules.d"))


@dataclass
class Check:
    name: str
    status: str  # ok, warn or fail
    detail: str
    fix: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return asdict(self)


def check_python() -> Check:
    version = platform.python_version()
    status = OK if sys.version_info >= (3, 10) else FAIL
    return Check(
        "python",
        status,
        f"Python {version}, unlocker {__version__}, {platform.system()} {platform.machine()}",
        None if status == OK else "Install Python 3.10 or newer.",
    )


def check_libusb() -> Check:
    """pyusb needs a libusb backend; libusb-package ships one, a system libusb also works."""
    try:
        import usb.backend.libusb1 as libusb1
    except ImportError:
        return Check(
            "libusb",
            FAIL,
            "pyusb is not installed",
            "Reinstall unlocker: pip install --force-reinstall unlocker",
        )
    try:
        import libusb_package

        backend = libusb_package.get_libusb1_backend()
        if backend is not None:
            return Check("libusb", OK, "libusb from the libusb-package wheel")
    except ImportError:
        pass
    if libusb1.get_backend() is not None:
        return Check("libusb", OK, "system libusb-1.0")
    fixes = {
        "Linux": "Install libusb: sudo apt install libusb-1.0-0 (Debian/Ubuntu) or your distribution's package.",
        "Darwin": "Install libusb: brew install libusb",
        "Windows": "Reinstall unlocker so the libusb-package wheel brings libusb-1.0.dll.",
    }
    return Check(
        "libusb",
        FAIL,
        "no libusb backend found: USB phones cannot be reached",
        fixes.get(platform.system(), "Install libusb-1.0."),
    )


def check_udev_rules(dirs: tuple[Path, ...] = UDEV_DIRS) -> Check:
    """On Linux, an ordinary user needs a rule granting access to fastboot interfaces."""
    if platform.system() != "Linux":
        return Check("udev rules", OK, "not needed on this system")
    for directory in dirs:
        if not directory.is_dir():
            continue
        for rule in sorted(directory.glob("*.rules")):
            try:
                text = rule.read_text(errors="replace").lower()
            except OSError:
                continue
            if "ff/42/03" in text or "18d1" in text or "2717" in text:
                return Check("udev rules", OK, f"found {rule}")
    if os.geteuid() == 0:
        return Check(
            "udev rules",
            WARN,
            "no rules for Android phones found (you run as root, so USB works anyway)",
            "Install udev/51-unlocker.rules for normal users (see udev/README.md).",
        )
    return Check(
        "udev rules",
        FAIL,
        "no udev rules for Android phones: USB access will be denied",
        "sudo cp udev/51-unlocker.rules /etc/udev/rules.d/ && sudo udevadm control --reload-rules "
        "&& sudo udevadm trigger, then replug the phone.",
    )


def check_usb_phones() -> Check:
    try:
        from unlocker.transport.usb import list_usb_devices

        phones = list_usb_devices()
    except Exception as e:  # doctor reports every failure as a finding, never crashes
        return Check("usb phones", WARN, f"could not scan USB: {e}", "See the libusb and udev checks above.")
    if not phones:
        return Check(
            "usb phones",
            WARN,
            "no phone in fastboot mode on USB",
            "Power off the phone, hold Volume Down + Power until the fastboot screen, connect it directly "
            "(no hub), preferably to a USB 2 port.",
        )
    listed = ", ".join(f"{p.serial or '?'} ({p.usb_id})" for p in phones)
    return Check("usb phones", OK, f"{len(phones)} in fastboot mode: {listed}")


def check_user_dirs() -> Check:
    problems = []
    for label, getter in (
        ("config", paths.config_dir),
        ("cache", paths.cache_dir),
        ("state", paths.state_dir),
    ):
        try:
            directory = getter()
            probe = directory / ".write-test"
            probe.write_text("x")
            probe.unlink()
        except OSError as e:
            problems.append(f"{label}: {e}")
    if problems:
        return Check(
            "user directories", FAIL, "; ".join(problems), "Make these directories writable for your user."
        )
    return Check("user directories", OK, f"config {paths.config_dir()}, cache {paths.cache_dir()}")


def check_secret_files() -> Check:
    """Stored sessions must stay private (mode 0600)."""
    if os.name != "posix":
        return Check("session files", OK, "permissions are managed by Windows")
    loose = []
    for path in paths.config_dir().rglob("*"):
        if path.is_file() and path.stat().st_mode & 0o077:
            loose.append(path.name)
    if loose:
        return Check(
            "session files",
            FAIL,
            f"readable by others: {', '.join(loose)}",
            f"chmod 600 {paths.config_dir()}/*  (or run `unlocker logout` and log in again)",
        )
    return Check("session files", OK, "private")


def check_reference_tools() -> Check:
    """Google's tools are optional; a running adb server can grab a phone in sideload mode."""
    found = [tool for tool in ("fastboot", "adb") if shutil.which(tool)]
    if not found:
        return Check("platform-tools", OK, "not installed (not needed)")
    return Check(
        "platform-tools",
        OK,
        f"also installed: {', '.join(found)}; if a phone seems busy, run `adb kill-server`",
    )


CHECKS: tuple[Callable[[], Check], ...] = (
    check_python,
    check_libusb,
    check_udev_rules,
    check_user_dirs,
    check_secret_files,
    check_reference_tools,
    check_usb_phones,
)


def run_checks() -> list[Check]:
    return [check() for check in CHECKS]

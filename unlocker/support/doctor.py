"""`unlocker doctor`: find what in this computer's setup stops unlocker from reaching a phone.

Each check is a small function returning a Check; none of them changes anything. A check's
``name`` is a stable identifier (the JSON output and scripts use it); ``detail`` and ``fix`` are
sentences for a person, translated. Commands the person may type are placeholders, so they stay
identical in every language.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from unlocker import __version__, commands, paths
from unlocker.i18n import N_, _, ngettext

OK, WARN, FAIL = "ok", "warn", "fail"

UDEV_DIRS = (Path("/etc/udev/rules.d"), Path("/usr/lib/udev/rules.d"), Path("/lib/udev/rules.d"))

# Shell command lines a fix tells the person to type (not unlocker commands: those come from
# unlocker.commands). They are placeholders in the messages, never part of the translated text.
PIP_REINSTALL = "pip install --force-reinstall unlocker"
APT_LIBUSB = "sudo apt install libusb-1.0-0"
BREW_LIBUSB = "brew install libusb"
ADB_KILL_SERVER = "`adb kill-server`"

# How the checks are called where a person reads them; the keys (``Check.name``) stay as they are.
TITLES: dict[str, str] = {
    "udev rules": N_("udev rules"),
    "user directories": N_("user directories"),
    "session files": N_("session files"),
    "usb phones": N_("usb phones"),
}


@dataclass
class Check:
    name: str
    status: str  # ok, warn or fail
    detail: str
    fix: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return asdict(self)

    @property
    def title(self) -> str:
        """The check's name as shown to a person, translated where it is a word."""
        title = TITLES.get(self.name)
        return _(title) if title else self.name


def check_python() -> Check:
    version = platform.python_version()
    status = OK if sys.version_info >= (3, 10) else FAIL
    return Check(
        "python",
        status,
        detail=_("Python {python}, unlocker {version}, {system} {machine}").format(
            python=version, version=__version__, system=platform.system(), machine=platform.machine()
        ),
        fix=None if status == OK else _("Install Python 3.10 or newer."),
    )


def check_libusb() -> Check:
    """pyusb needs a libusb backend; libusb-package ships one, a system libusb also works."""
    try:
        import usb.backend.libusb1 as libusb1
    except ImportError:
        return Check(
            "libusb",
            FAIL,
            detail=_("pyusb is not installed"),
            fix=_("Reinstall unlocker: {command}").format(command=PIP_REINSTALL),
        )
    try:
        import libusb_package

        backend = libusb_package.get_libusb1_backend()
        if backend is not None:
            return Check("libusb", OK, detail=_("libusb from the libusb-package wheel"))
    except ImportError:
        pass
    if libusb1.get_backend() is not None:
        return Check("libusb", OK, detail=_("system libusb-1.0"))
    fixes = {
        "Linux": _("Install libusb: {command} (Debian/Ubuntu) or your distribution's package.").format(
            command=APT_LIBUSB
        ),
        "Darwin": _("Install libusb: {command}").format(command=BREW_LIBUSB),
        "Windows": _("Reinstall unlocker so the libusb-package wheel brings libusb-1.0.dll."),
    }
    return Check(
        "libusb",
        FAIL,
        detail=_("no libusb backend found: USB phones cannot be reached"),
        fix=fixes.get(platform.system(), _("Install libusb-1.0.")),
    )


def check_udev_rules(dirs: tuple[Path, ...] = UDEV_DIRS) -> Check:
    """On Linux, an ordinary user needs a rule granting access to fastboot interfaces."""
    if platform.system() != "Linux":
        return Check("udev rules", OK, detail=_("not needed on this system"))
    for directory in dirs:
        if not directory.is_dir():
            continue
        for rule in sorted(directory.glob("*.rules")):
            try:
                text = rule.read_text(errors="replace").lower()
            except OSError:
                continue
            if "ff/42/03" in text or "18d1" in text or "2717" in text:
                return Check("udev rules", OK, detail=_("found {path}").format(path=rule))
    if os.geteuid() == 0:
        return Check(
            "udev rules",
            WARN,
            detail=_("no rules for Android phones found (you run as root, so USB works anyway)"),
            fix=_("Install the rules for normal users: {command}").format(
                command=commands.show(commands.UDEV_INSTALL)
            ),
        )
    return Check(
        "udev rules",
        FAIL,
        detail=_("no udev rules for Android phones: USB access will be denied"),
        fix=_("{command}, then replug the phone.").format(command=commands.show(commands.UDEV_INSTALL)),
    )


def check_usb_phones() -> Check:
    try:
        from unlocker.fastboot.protocol import FASTBOOT_USB
        from unlocker.transport.usb import list_usb_devices

        phones = list_usb_devices(FASTBOOT_USB)
    except Exception as e:  # doctor reports every failure as a finding, never crashes
        return Check(
            "usb phones",
            WARN,
            detail=_("could not scan USB: {error}").format(error=e),
            fix=_("See the libusb and udev checks above."),
        )
    if not phones:
        return Check(
            "usb phones",
            WARN,
            detail=_("no phone in fastboot mode on USB"),
            fix=_(
                "Power off the phone, hold Volume Down + Power until the fastboot screen, connect it directly "
                "(no hub), preferably to a USB 2 port."
            ),
        )
    listed = ", ".join(f"{p.serial or '?'} ({p.usb_id})" for p in phones)
    return Check(
        "usb phones",
        OK,
        # English says "1 in fastboot mode" and "2 in fastboot mode"; other languages need their plural.
        detail=ngettext(
            "{count} in fastboot mode: {phones}", "{count} in fastboot mode: {phones}", len(phones)
        ).format(count=len(phones), phones=listed),
    )


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
            # label: which directory (as in UNLOCKER_CONFIG_DIR...); the OS error text is the detail.
            problems.append(f"{label}: {e}")
    if problems:
        return Check(
            "user directories",
            FAIL,
            detail="; ".join(problems),
            fix=_("Make these directories writable for your user."),
        )
    return Check(
        "user directories",
        OK,
        detail=_("config {config}, cache {cache}").format(config=paths.config_dir(), cache=paths.cache_dir()),
    )


def check_secret_files() -> Check:
    """Stored sessions must stay private (mode 0600)."""
    if os.name != "posix":
        return Check("session files", OK, detail=_("permissions are managed by Windows"))
    loose = []
    for path in paths.config_dir().rglob("*"):
        if path.is_file() and path.stat().st_mode & 0o077:
            loose.append(path.name)
    if loose:
        return Check(
            "session files",
            FAIL,
            detail=_("readable by others: {files}").format(files=", ".join(loose)),
            fix=_("{command}  (or run {logout} and log in again)").format(
                command=f"chmod 600 {paths.config_dir()}/*", logout=commands.show(commands.LOGOUT)
            ),
        )
    return Check("session files", OK, detail=_("private"))


def check_reference_tools() -> Check:
    """Google's tools are optional; a running adb server can grab a phone in sideload mode."""
    found = [tool for tool in ("fastboot", "adb") if shutil.which(tool)]
    if not found:
        return Check("platform-tools", OK, detail=_("not installed (not needed)"))
    return Check(
        "platform-tools",
        OK,
        detail=_("also installed: {tools}; if a phone seems busy, run {command}").format(
            tools=", ".join(found), command=ADB_KILL_SERVER
        ),
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

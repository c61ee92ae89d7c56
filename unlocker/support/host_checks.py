"""More of `unlocker doctor`: what around this computer keeps a phone out of reach.

- Windows: a phone whose fastboot interface has no WinUSB driver (libusb answers "not
  supported"), with the fix;
- WSL and virtual machines: USB passthrough, which must follow the phone through every mode;
- a running adb server that holds the phone (only one program may use it at a time).

Each check returns None when it does not apply here, so doctor lists only what matters.
"""

from __future__ import annotations

import os
import platform
import socket
from collections.abc import Callable, Sequence
from pathlib import Path

from unlocker import commands, knowledge
from unlocker.i18n import N_, _
from unlocker.support.doctor import FAIL, OK, TITLES, WARN, Check

ADB_PORT = 5037
ADB_KILL_SERVER = "adb kill-server"
WSL_ATTACH = "usbipd attach --wsl --auto-attach --busid BUSID"

TITLES.update(
    {
        "windows driver": N_("windows driver"),
        "virtual machine": N_("virtual machine"),
        "adb server": N_("adb server"),
    }
)

# Words in /sys/class/dmi/id/* that name a hypervisor (what systemd-detect-virt looks for too).
_HYPERVISORS = (
    ("virtualbox", "VirtualBox"),
    ("vmware", "VMware"),
    ("qemu", "QEMU/KVM"),
    ("kvm", "QEMU/KVM"),
    ("parallels", "Parallels"),
    ("bochs", "Bochs"),
    ("xen", "Xen"),
    ("virtual machine", "Hyper-V"),
)


def _usb_fastboot_devices() -> list[object]:
    from unlocker.fastboot.protocol import FASTBOOT_USB
    from unlocker.transport.usb import list_usb_devices

    return list(list_usb_devices(FASTBOOT_USB))


def check_windows_driver(
    system: str | None = None, devices: Callable[[], Sequence[object]] = _usb_fastboot_devices
) -> Check | None:
    """On Windows, libusb reaches a phone only through WinUSB; without it, opening says 'not supported'."""
    if (system or platform.system()) != "Windows":
        return None
    try:
        found = list(devices())
    except Exception as e:  # doctor reports every failure as a finding, never crashes
        return Check("windows driver", WARN, detail=_("could not scan USB: {error}").format(error=e))
    explain = commands.show(commands.EXPLAIN, "winusb-not-supported")
    missing = []
    for device in found:
        problem = getattr(device, "problem", None) or ""
        entry = knowledge.best(problem) if problem else None
        if entry is not None and entry.id == "winusb-not-supported":
            missing.append(f"{getattr(device, 'path', '?')} ({getattr(device, 'usb_id', '?')})")
    if missing:
        return Check(
            "windows driver",
            FAIL,
            detail=_("no WinUSB driver for the phone at {phones}").format(phones=", ".join(missing)),
            fix=_(
                "Install the Google USB Driver, or use Zadig to install WinUSB for the phone's fastboot "
                "interface while it is in fastboot mode; then replug it. More: {command}"
            ).format(command=explain),
        )
    if not found:
        return Check(
            "windows driver",
            OK,
            detail=_("no phone in fastboot mode to check; connect one to check its driver"),
        )
    return Check("windows driver", OK, detail=_("the phone in fastboot mode has a WinUSB driver"))


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace").strip().lower()
    except OSError:
        return ""


def detect_wsl(proc_version: Path = Path("/proc/version")) -> bool:
    text = _read(proc_version)
    return "microsoft" in text or "wsl" in text


def detect_hypervisor(dmi: Path = Path("/sys/class/dmi/id")) -> str | None:
    """The hypervisor this Linux runs under, from the firmware's DMI strings; None on real hardware."""
    text = " ".join(_read(dmi / name) for name in ("sys_vendor", "product_name", "board_vendor"))
    for word, name in _HYPERVISORS:
        if word in text:
            return name
    return None


def check_virtualization(
    proc_version: Path = Path("/proc/version"), dmi: Path = Path("/sys/class/dmi/id")
) -> Check | None:
    """WSL and virtual machines see a USB phone only when it is passed through, in every mode."""
    if platform.system() != "Linux" and proc_version == Path("/proc/version"):
        return None
    if detect_wsl(proc_version):
        return Check(
            "virtual machine",
            WARN,
            detail=_("running in WSL: USB phones are visible only when attached from Windows with usbipd"),
            fix=_(
                "In Windows (administrator): install usbipd-win, run {bind} once, then {attach}. The phone "
                "changes its USB identity when it reboots into another mode: --auto-attach follows it."
            ).format(bind="usbipd bind --busid BUSID", attach=WSL_ATTACH),
        )
    hypervisor = detect_hypervisor(dmi)
    if hypervisor is not None:
        return Check(
            "virtual machine",
            WARN,
            detail=_("running in a virtual machine ({hypervisor}): the phone must be passed through").format(
                hypervisor=hypervisor
            ),
            fix=_(
                "Add USB filters for the phone in every mode (Android, fastboot, recovery): it changes its USB "
                "identity at each reboot, and without a filter the virtual machine loses it. Prefer a USB 2 "
                "controller for the virtual machine, or run unlocker on the host."
            ),
        )
    return None


def _adb_port() -> int:
    value = os.environ.get("ANDROID_ADB_SERVER_PORT", "")
    return int(value) if value.isdigit() else ADB_PORT


def adb_devices(port: int | None = None, timeout: float = 2.0) -> list[tuple[str, str]] | None:
    """The phones a running adb server holds, as (serial, state); None when no server answers."""
    try:
        with socket.create_connection(("127.0.0.1", port or _adb_port()), timeout=timeout) as sock:
            sock.settimeout(timeout)
            request = b"host:devices"
            sock.sendall(b"%04x" % len(request) + request)
            status = _recv_exactly(sock, 4)
            if status != b"OKAY":
                return []
            length = int(_recv_exactly(sock, 4), 16)
            listing = _recv_exactly(sock, length).decode("utf-8", "replace")
    except (OSError, ValueError):
        return None
    found = []
    for line in listing.splitlines():
        serial, _sep, state = line.partition("\t")
        if serial:
            found.append((serial, state.strip()))
    return found


def _recv_exactly(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise OSError("adb server closed the connection")
        data += chunk
    return data


def check_adb_server(port: int | None = None) -> Check | None:
    """A running adb server keeps the phones it holds (recovery, sideload, Android) from other programs."""
    held = adb_devices(port)
    if held is None:
        return None
    if not held:
        return Check(
            "adb server",
            OK,
            detail=_("running on port {port}, holding no phone").format(port=port or _adb_port()),
        )
    listed = ", ".join(f"{serial} ({state})" for serial, state in held)
    return Check(
        "adb server",
        WARN,
        detail=_("an adb server holds: {phones}").format(phones=listed),
        fix=_("If unlocker cannot reach that phone, stop the adb server with {command} and retry.").format(
            command=ADB_KILL_SERVER
        ),
    )

"""Fastboot over USB via pyusb and libusb.

Facts (AOSP fastboot.cpp ``match_fastboot_with_serial``, usb_linux.cpp): a phone in fastboot
mode exposes an interface of class 0xFF, subclass 0x42, protocol 0x03 with one bulk IN and one
bulk OUT endpoint. Vendor IDs are never checked (Xiaomi shows up as 18d1:d00d or 2717:d00d,
other makers with their own). ``-s`` names a phone by its serial number or by its port,
``usb:BUS-PORT[.PORT...]`` as Linux sysfs names it (``usb:1-1``). One bulk OUT transfer carries
one command; one bulk IN transfer carries one response.
"""

from __future__ import annotations

import array
import errno
import os
import platform
from dataclasses import dataclass

import usb.backend.libusb1
import usb.core
import usb.util

from unlocker.errors import (
    DeviceDisconnected,
    DeviceNotFound,
    DevicePermissionError,
    TransportError,
    TransportTimeout,
    UsageError,
    UsbBackendMissing,
)
from unlocker.transport.base import Transport

FASTBOOT_CLASS, FASTBOOT_SUBCLASS, FASTBOOT_PROTOCOL = 0xFF, 0x42, 0x03
# Large OUT transfers keep the bus busy (AOSP: 256 KiB URBs on Linux, 1 MiB on Windows);
# libusb cuts them into 16 KiB URBs on Linux itself.
WRITE_CHUNK = 1024 * 1024
# Per transfer. AOSP Windows uses 5 s for 1 MiB; slow hubs and USB 1.1 links need more.
WRITE_TIMEOUT = 10.0
NO_PERMISSION = "no permission"

_UDEV_HINT = (
    "Install the udev rules: sudo cp udev/51-unlocker.rules /etc/udev/rules.d/ && "
    "sudo udevadm control --reload-rules && sudo udevadm trigger, then replug the phone "
    "(see udev/README.md). `unlocker doctor` checks the setup."
)
_PERMISSION_HINTS = {
    "Linux": _UDEV_HINT,
    "Windows": "Install a WinUSB driver for the phone's fastboot interface (Google USB Driver), "
    "then replug it. `unlocker doctor` checks the setup.",
}
_CABLE_HINT = (
    "The phone left the USB bus (rebooted, unplugged, or a flaky cable/port). Wait for the fastboot "
    "screen, prefer a USB 2 port without a hub, and run the command again."
)


@dataclass(frozen=True)
class UsbDeviceInfo:
    """One fastboot interface seen on USB. ``serial`` is None when the device cannot be opened."""

    serial: str | None
    bus: int
    address: int
    port_numbers: tuple[int, ...] | None
    vendor_id: int
    product_id: int
    product: str | None = None
    problem: str | None = None  # why serial/product are unknown, e.g. "no permission"

    @property
    def usb_id(self) -> str:
        return f"{self.vendor_id:04x}:{self.product_id:04x}"

    @property
    def path(self) -> str:
        """``usb:BUS-PORT[.PORT]`` (Linux sysfs style, like AOSP's ``-s usb:1-1``)."""
        if self.port_numbers:
            return f"usb:{self.bus}-" + ".".join(str(p) for p in self.port_numbers)
        return f"usb:{self.bus}-addr{self.address}"

    @property
    def name(self) -> str:
        return self.serial or self.path

    def describe(self) -> str:
        what = self.serial or f"serial unknown: {self.problem or 'unreadable'}"
        return f"{what} at {self.path} ({self.usb_id})"


@dataclass
class _Candidate:
    device: usb.core.Device
    info: UsbDeviceInfo
    configuration: int
    interface: int
    ep_in: int
    ep_out: int
    in_packet_size: int


def default_backend() -> usb.backend.IBackend:
    """libusb from the libusb-package wheel, else the system's libusb-1.0.

    ``UNLOCKER_LIBUSB=system`` skips the wheel's copy (e.g. to use a distribution build with
    udev support); ``UNLOCKER_LIBUSB=/path/to/libusb-1.0.so`` loads that file.
    """
    choice = os.environ.get("UNLOCKER_LIBUSB", "").strip()
    if choice in ("", "bundled"):
        backend = _bundled_backend() or usb.backend.libusb1.get_backend()
    elif choice == "system":
        backend = usb.backend.libusb1.get_backend()
    else:
        backend = usb.backend.libusb1.get_backend(find_library=lambda _name: choice)
    if backend is None:
        raise UsbBackendMissing(
            "no libusb backend: USB phones cannot be reached"
            + (f" (UNLOCKER_LIBUSB={choice})" if choice else ""),
            hint="Reinstall unlocker (the libusb-package wheel brings libusb) or install libusb-1.0 "
            "(Debian/Ubuntu: sudo apt install libusb-1.0-0; macOS: brew install libusb). "
            "`unlocker doctor` checks the setup.",
        )
    return backend


def _bundled_backend() -> usb.backend.IBackend | None:
    try:
        import libusb_package

        return libusb_package.get_libusb1_backend()
    except (ImportError, OSError):
        return None


def list_usb_devices(backend: usb.backend.IBackend | None = None) -> list[UsbDeviceInfo]:
    """Every fastboot interface on USB, sorted by port; unreadable ones carry ``problem``."""
    return [c.info for c in _scan(backend or default_backend())]


def find_usb_transport(serial: str | None, *, backend: usb.backend.IBackend | None = None) -> UsbTransport:
    """The phone named by ``serial`` (a serial number or ``usb:BUS-PORT``), or the only one.

    Raises DeviceNotFound (nothing matches: retried by ``open_transport(wait=)``),
    DevicePermissionError, UsbBackendMissing, or UsageError when no name was given and
    several phones are connected. Returns an unopened transport.
    """
    candidates = _scan(backend or default_backend())
    if serial and serial.startswith("usb:"):
        matches = [c for c in candidates if c.info.path == serial]
    elif serial:
        matches = [c for c in candidates if c.info.serial == serial]
    else:
        matches = candidates
    unreadable = [c for c in candidates if c.info.problem == NO_PERMISSION]
    if not matches:
        if serial and unreadable:
            # The phone asked for may be one we are not allowed to open.
            raise _permission_error(unreadable[0].info)
        raise _not_found(serial, candidates)
    if len(matches) > 1:
        listing = "; ".join(c.info.describe() for c in matches)
        example = matches[0].info.serial or matches[0].info.path
        what = f"serial {serial}" if serial else "fastboot mode"
        raise UsageError(
            f"{len(matches)} phones in {what} on USB: {listing}",
            hint=f"Say which one with -s SERIAL or -s usb:BUS-PORT, e.g. -s {example}.",
        )
    chosen = matches[0]
    if chosen.info.problem == NO_PERMISSION:
        raise _permission_error(chosen.info)
    return UsbTransport(
        chosen.device,
        chosen.info,
        configuration=chosen.configuration,
        interface=chosen.interface,
        ep_in=chosen.ep_in,
        ep_out=chosen.ep_out,
        in_packet_size=chosen.in_packet_size,
    )


def _not_found(serial: str | None, candidates: list[_Candidate]) -> DeviceNotFound:
    if serial:
        present = "; ".join(c.info.describe() for c in candidates)
        tail = f" (connected: {present})" if present else ""
        return DeviceNotFound(
            f"no phone '{serial}' in fastboot mode on USB{tail}",
            hint="Check the serial number (`unlocker devices` lists them) and that the phone shows "
            "the fastboot screen.",
        )
    return DeviceNotFound(
        "no phone in fastboot mode on USB",
        hint="Power off the phone, hold Volume Down + Power until the fastboot screen, and connect it "
        "directly (no hub). For the virtual phone use -s tcp:127.0.0.1:5554. `unlocker doctor` checks "
        "the setup.",
    )


def _permission_error(info: UsbDeviceInfo) -> DevicePermissionError:
    return DevicePermissionError(
        f"no permission to open the phone at {info.path} ({info.usb_id})",
        hint=_PERMISSION_HINTS.get(platform.system(), "Run `unlocker doctor` to check the USB setup."),
    )


# --- enumeration ------------------------------------------------------------------------------


def _scan(backend: usb.backend.IBackend) -> list[_Candidate]:
    try:
        devices = list(usb.core.find(find_all=True, backend=backend))
    except usb.core.USBError as e:
        raise TransportError(f"cannot list USB devices ({e.strerror or e})") from None
    found = []
    for device in devices:
        candidate = _fastboot_candidate(device)
        if candidate is not None:
            found.append(candidate)
    found.sort(key=lambda c: (c.info.bus, c.info.port_numbers or (), c.info.address))
    return found


def _fastboot_candidate(device: usb.core.Device) -> _Candidate | None:
    """The fastboot interface of ``device`` with its strings, or None (not fastboot, or gone)."""
    try:
        for config in device:
            for interface in config:
                if (
                    interface.bInterfaceClass,
                    interface.bInterfaceSubClass,
                    interface.bInterfaceProtocol,
                ) != (FASTBOOT_CLASS, FASTBOOT_SUBCLASS, FASTBOOT_PROTOCOL):
                    continue
                endpoints = _bulk_endpoints(interface)
                if endpoints is None:
                    continue
                ep_in, ep_out = endpoints
                strings = _read_strings(device)
                if strings is None:
                    return None
                serial, product, problem = strings
                info = UsbDeviceInfo(
                    serial=serial,
                    bus=device.bus,
                    address=device.address,
                    port_numbers=tuple(device.port_numbers) if device.port_numbers else None,
                    vendor_id=device.idVendor,
                    product_id=device.idProduct,
                    product=product,
                    problem=problem,
                )
                return _Candidate(
                    device,
                    info,
                    configuration=config.bConfigurationValue,
                    interface=interface.bInterfaceNumber,
                    ep_in=ep_in.bEndpointAddress,
                    ep_out=ep_out.bEndpointAddress,
                    in_packet_size=ep_in.wMaxPacketSize or 512,
                )
    except (usb.core.USBError, NotImplementedError, ValueError):
        return None  # descriptors unreadable: not a device we can talk to
    return None


def _bulk_endpoints(interface: usb.core.Interface) -> tuple[usb.core.Endpoint, usb.core.Endpoint] | None:
    ep_in = ep_out = None
    for endpoint in interface:
        if usb.util.endpoint_type(endpoint.bmAttributes) != usb.util.ENDPOINT_TYPE_BULK:
            continue
        if usb.util.endpoint_direction(endpoint.bEndpointAddress) == usb.util.ENDPOINT_IN:
            ep_in = ep_in or endpoint
        else:
            ep_out = ep_out or endpoint
    return (ep_in, ep_out) if ep_in is not None and ep_out is not None else None


def _read_strings(device: usb.core.Device) -> tuple[str | None, str | None, str | None] | None:
    """(serial, product, problem); None when the device vanished while we looked."""
    try:
        langids = usb.util.get_langids(device)
        langid = langids[0] if langids else 0x0409
        serial = usb.util.get_string(device, device.iSerialNumber, langid) if device.iSerialNumber else None
        product = usb.util.get_string(device, device.iProduct, langid) if device.iProduct else None
        return serial, product, None
    except usb.core.USBError as e:
        if e.errno == errno.EACCES:
            return None, None, NO_PERMISSION
        if _gone(e):
            return None
        return None, None, f"unreadable ({e.strerror or e})"
    except (ValueError, NotImplementedError) as e:
        return None, None, f"unreadable ({e})"
    finally:
        usb.util.dispose_resources(device)


def _gone(error: usb.core.USBError) -> bool:
    """libusb's way of saying the device left the bus."""
    return error.errno in (errno.ENODEV, errno.ESHUTDOWN) or error.backend_error_code == -4


# --- the transport ----------------------------------------------------------------------------


class UsbTransport(Transport):
    """One claimed fastboot interface. Build it with ``find_usb_transport``."""

    max_write_size = WRITE_CHUNK

    def __init__(
        self,
        device: usb.core.Device,
        info: UsbDeviceInfo,
        *,
        configuration: int,
        interface: int,
        ep_in: int,
        ep_out: int,
        in_packet_size: int = 512,
    ) -> None:
        self.device = device
        self.info = info
        self.name = info.name
        self.configuration = configuration
        self.interface = interface
        self.ep_in = ep_in
        self.ep_out = ep_out
        self.in_packet_size = in_packet_size
        self._pending = b""
        self._open = False

    def open(self) -> None:
        try:
            self._detach_kernel_driver()
            self._ensure_configuration()
            usb.util.claim_interface(self.device, self.interface)
        except usb.core.USBError as e:
            usb.util.dispose_resources(self.device)
            raise self._open_error(e) from None
        self._open = True

    def _detach_kernel_driver(self) -> None:
        # Only Linux has kernel drivers to detach; elsewhere libusb says "not supported".
        try:
            active = self.device.is_kernel_driver_active(self.interface)
        except NotImplementedError:
            return
        except usb.core.USBError as e:
            if e.errno == errno.EACCES or _gone(e):
                raise
            return
        if active:
            self.device.detach_kernel_driver(self.interface)

    def _ensure_configuration(self) -> None:
        try:
            current = self.device.get_active_configuration().bConfigurationValue
        except usb.core.USBError as e:
            if e.errno is not None:
                raise
            current = None  # pyusb: "Configuration not set"
        if current != self.configuration:
            self.device.set_configuration(self.configuration)

    def _open_error(self, e: usb.core.USBError) -> TransportError:
        if e.errno == errno.EACCES:
            return _permission_error(self.info)
        if _gone(e):
            # It went away before we got hold of it (rebooting): waiting callers look again.
            return DeviceNotFound(f"{self.name}: the phone left USB while opening it", hint=_CABLE_HINT)
        if e.errno == errno.EBUSY:
            return TransportError(
                f"{self.name}: the phone's fastboot interface is in use by another program",
                hint="Close other fastboot tools (fastboot, Mi Flash, Mi Unlock, another unlocker) and retry.",
            )
        return TransportError(
            f"{self.name}: cannot open the USB device ({e.strerror or e})", hint=_CABLE_HINT
        )

    def write(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data).cast("B")
        self._require()
        timeout_ms = int(WRITE_TIMEOUT * 1000)
        offset = 0
        while offset < len(view):
            # pyusb wants an array; frombytes is one memcpy (array('B', view) would go byte by byte).
            chunk = array.array("B")
            chunk.frombytes(view[offset : offset + WRITE_CHUNK])
            try:
                sent = self.device.write(self.ep_out, chunk, timeout_ms)
            except usb.core.USBError as e:
                raise self._io_error(e, "sending", WRITE_TIMEOUT) from None
            if sent <= 0:
                raise DeviceDisconnected(f"{self.name}: the phone accepted no data", hint=_CABLE_HINT)
            offset += sent

    def read(self, size: int, timeout: float) -> bytes:
        if not self._pending:
            self._pending = self._read_transfer(size, timeout)
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def _read_transfer(self, size: int, timeout: float) -> bytes:
        self._require()
        # Ask for whole packets: a buffer smaller than the packet the phone sends overflows.
        packet = self.in_packet_size
        buffer = array.array("B", bytes(max(packet, -(-size // packet) * packet)))
        timeout_ms = max(1, int(timeout * 1000))
        while True:
            try:
                count = self.device.read(self.ep_in, buffer, timeout_ms)
            except usb.core.USBError as e:
                raise self._io_error(e, "waiting for an answer", timeout) from None
            if count:  # zero-length packets end a transfer; they carry no message
                return buffer[:count].tobytes()

    def _io_error(self, e: usb.core.USBError, doing: str, timeout: float) -> TransportError:
        if isinstance(e, usb.core.USBTimeoutError) or e.errno == errno.ETIMEDOUT:
            return TransportTimeout(
                f"{self.name}: USB timeout after {timeout:g} s while {doing}",
                hint="Check that the phone still shows the fastboot screen and the cable is firm, then retry.",
            )
        if _gone(e) or e.errno in (errno.EPIPE, errno.EIO, errno.EPROTO):
            return DeviceDisconnected(
                f"{self.name}: the phone went away while {doing} ({e.strerror or e})", hint=_CABLE_HINT
            )
        return TransportError(f"{self.name}: USB error while {doing} ({e.strerror or e})", hint=_CABLE_HINT)

    def _require(self) -> None:
        if not self._open:
            raise DeviceDisconnected(f"{self.name}: not connected")

    def close(self) -> None:
        if not self._open:
            return
        self._open = False
        self._pending = b""
        try:
            usb.util.release_interface(self.device, self.interface)
        except usb.core.USBError:
            pass  # already gone: the OS released it with the device
        finally:
            usb.util.dispose_resources(self.device)

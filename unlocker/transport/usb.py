"""Phones on USB via pyusb and libusb, for any protocol that lives on a bulk interface.

Facts (AOSP fastboot.cpp ``match_fastboot_with_serial``, adb's usb_linux.cpp): a protocol is
an interface of a given class/subclass/protocol (fastboot ff/42/03, adb ff/42/01, passed in by
the protocol layer as a :class:`UsbInterface`) with one bulk IN and one bulk OUT endpoint. Vendor
IDs are never checked (Xiaomi shows up as 18d1:d00d or 2717:d00d, other makers with their own).
``-s`` names a phone by its serial number or by its port, ``usb:BUS-PORT[.PORT...]`` as Linux
sysfs names it (``usb:1-1``). One bulk OUT transfer carries one command; one bulk IN transfer
carries one response.
"""

from __future__ import annotations

import array
import errno
import platform
from dataclasses import dataclass

import usb.backend.libusb1
import usb.core
import usb.util

from unlocker import commands, settings
from unlocker.errors import (
    DeviceDisconnected,
    DeviceNotFound,
    DevicePermissionError,
    TransportError,
    TransportTimeout,
    UsageError,
    UsbBackendMissing,
)
from unlocker.i18n import N_, _
from unlocker.transport.base import Transport, UsbInterface

# Large OUT transfers keep the bus busy (AOSP: 256 KiB URBs on Linux, 1 MiB on Windows);
# libusb cuts them into 16 KiB URBs on Linux itself.
WRITE_CHUNK = 1024 * 1024
# Per transfer. AOSP Windows uses 5 s for 1 MiB; slow hubs and USB 1.1 links need more.
WRITE_TIMEOUT = 10.0
NO_PERMISSION = "no permission"

_UDEV_HINT = N_(
    "Install the udev rules: {command}, then replug the phone (see udev/README.md). "
    "{doctor} checks the setup."
)
_UDEV_COMMAND = (
    "sudo cp udev/51-unlocker.rules /etc/udev/rules.d/ && "
    "sudo udevadm control --reload-rules && sudo udevadm trigger"
)
_WINDOWS_HINT = N_(
    "Install a WinUSB driver for the phone's USB interface (Google USB Driver), then replug it. "
    "{doctor} checks the setup."
)
_OTHER_HINT = N_("Run {doctor} to check the USB setup.")
_CABLE_HINT = N_(
    "The phone left the USB bus (rebooted, unplugged, or a flaky cable/port). Wait for the phone's "
    "screen to settle, prefer a USB 2 port without a hub, and run the command again."
)


def _permission_hint() -> str:
    system = platform.system()
    doctor = commands.show(commands.DOCTOR)
    if system == "Linux":
        return _(_UDEV_HINT).format(command=_UDEV_COMMAND, doctor=doctor)
    if system == "Windows":
        return _(_WINDOWS_HINT).format(doctor=doctor)
    return _(_OTHER_HINT).format(doctor=doctor)


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
        what = self.serial or _("serial unknown: {problem}").format(problem=self.problem or _("unreadable"))
        return _("{what} at {path} ({usb_id})").format(what=what, path=self.path, usb_id=self.usb_id)


@dataclass
class _Candidate:
    device: usb.core.Device
    info: UsbDeviceInfo
    configuration: int
    interface: int
    ep_in: int
    ep_out: int
    in_packet_size: int
    out_packet_size: int


def default_backend() -> usb.backend.IBackend:
    """libusb from the libusb-package wheel, else the system's libusb-1.0.

    ``UNLOCKER_LIBUSB=system`` skips the wheel's copy (e.g. to use a distribution build with
    udev support); ``UNLOCKER_LIBUSB=/path/to/libusb-1.0.so`` loads that file.
    """
    choice = settings.get("UNLOCKER_LIBUSB") or ""
    if choice in ("", "bundled"):
        backend = _bundled_backend() or usb.backend.libusb1.get_backend()
    elif choice == "system":
        backend = usb.backend.libusb1.get_backend()
    else:
        backend = usb.backend.libusb1.get_backend(find_library=lambda _name: choice)
    if backend is None:
        if choice:
            message = _("no libusb backend (UNLOCKER_LIBUSB={choice}): USB phones cannot be reached")
        else:
            message = _("no libusb backend: USB phones cannot be reached")
        raise UsbBackendMissing(
            message.format(choice=choice),
            hint=_(
                "Reinstall unlocker (the libusb-package wheel brings libusb) or install libusb-1.0 "
                "(Debian/Ubuntu: sudo apt install libusb-1.0-0; macOS: brew install libusb). "
                "{doctor} checks the setup."
            ).format(doctor=commands.show(commands.DOCTOR)),
        )
    return backend


def _bundled_backend() -> usb.backend.IBackend | None:
    try:
        import libusb_package

        return libusb_package.get_libusb1_backend()
    except (ImportError, OSError):
        return None


def list_usb_devices(
    interface: UsbInterface, backend: usb.backend.IBackend | None = None
) -> list[UsbDeviceInfo]:
    """Every USB device offering ``interface``, sorted by port; unreadable ones carry ``problem``."""
    return [c.info for c in _scan(backend or default_backend(), interface)]


def find_usb_transport(
    serial: str | None, *, interface: UsbInterface, backend: usb.backend.IBackend | None = None
) -> UsbTransport:
    """The phone offering ``interface`` named by ``serial`` (a serial number or ``usb:BUS-PORT``),
    or the only one.

    Raises DeviceNotFound (nothing matches: retried by ``open_transport(wait=)``),
    DevicePermissionError, UsbBackendMissing, or UsageError when no name was given and
    several phones are connected. Returns an unopened transport.
    """
    candidates = _scan(backend or default_backend(), interface)
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
        raise _not_found(serial, candidates, interface)
    if len(matches) > 1:
        listing = "; ".join(c.info.describe() for c in matches)
        example = matches[0].info.serial or matches[0].info.path
        if serial:
            message = _("{count} phones with serial {serial} on USB: {listing}")
        else:
            message = _("{count} phones in {mode} on USB: {listing}")
        raise UsageError(
            message.format(count=len(matches), serial=serial, mode=_(interface.mode), listing=listing),
            hint=_("Say which one with -s SERIAL or -s usb:BUS-PORT, e.g. {option}").format(
                option=f"-s {example}"
            ),
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
        out_packet_size=chosen.out_packet_size,
    )


def _not_found(serial: str | None, candidates: list[_Candidate], interface: UsbInterface) -> DeviceNotFound:
    mode = _(interface.mode)
    if serial:
        present = "; ".join(c.info.describe() for c in candidates)
        if present:
            message = _("no phone '{serial}' in {mode} on USB (connected: {present})")
        else:
            message = _("no phone '{serial}' in {mode} on USB")
        return DeviceNotFound(
            message.format(serial=serial, mode=mode, present=present),
            hint=_("Check the serial number ({devices} lists them) and that the phone is in {mode}.").format(
                devices=commands.show(commands.DEVICES), mode=mode
            ),
        )
    return DeviceNotFound(
        _("no phone in {mode} on USB").format(mode=mode),
        hint=_(
            "{how_to_enter} Connect it directly (no hub). For the virtual phone use -s tcp:127.0.0.1:5554. "
            "{doctor} checks the setup."
        ).format(how_to_enter=_(interface.how_to_enter), doctor=commands.show(commands.DOCTOR)),
    )


def _permission_error(info: UsbDeviceInfo) -> DevicePermissionError:
    return DevicePermissionError(
        _("no permission to open the phone at {path} ({usb_id})").format(path=info.path, usb_id=info.usb_id),
        hint=_permission_hint(),
    )


# --- enumeration ------------------------------------------------------------------------------


def _scan(backend: usb.backend.IBackend, interface: UsbInterface) -> list[_Candidate]:
    try:
        devices = list(usb.core.find(find_all=True, backend=backend))
    except usb.core.USBError as e:
        raise TransportError(_("cannot list USB devices ({reason})").format(reason=e.strerror or e)) from e
    found = []
    for device in devices:
        candidate = _candidate(device, interface)
        if candidate is not None:
            found.append(candidate)
    found.sort(key=lambda c: (c.info.bus, c.info.port_numbers or (), c.info.address))
    return found


def _candidate(device: usb.core.Device, wanted: UsbInterface) -> _Candidate | None:
    """The ``wanted`` interface of ``device`` with its strings, or None (not offered, or gone)."""
    try:
        for config in device:
            for interface in config:
                if (
                    interface.bInterfaceClass,
                    interface.bInterfaceSubClass,
                    interface.bInterfaceProtocol,
                ) != wanted.triple:
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
                    out_packet_size=ep_out.wMaxPacketSize or 512,
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
        return None, None, _("unreadable ({reason})").format(reason=e.strerror or e)
    except (ValueError, NotImplementedError) as e:
        return None, None, _("unreadable ({reason})").format(reason=e)
    finally:
        usb.util.dispose_resources(device)


def _gone(error: usb.core.USBError) -> bool:
    """libusb's way of saying the device left the bus."""
    return error.errno in (errno.ENODEV, errno.ESHUTDOWN) or error.backend_error_code == -4


# --- the transport ----------------------------------------------------------------------------


class UsbTransport(Transport):
    """One claimed bulk interface. Build it with ``find_usb_transport``."""

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
        out_packet_size: int = 512,
    ) -> None:
        self.device = device
        self.info = info
        self.name = info.name
        self.configuration = configuration
        self.interface = interface
        self.ep_in = ep_in
        self.ep_out = ep_out
        self.in_packet_size = in_packet_size
        self.out_packet_size = out_packet_size
        self._pending = b""
        self._open = False

    def open(self) -> None:
        try:
            self._detach_kernel_driver()
            self._ensure_configuration()
            usb.util.claim_interface(self.device, self.interface)
        except usb.core.USBError as e:
            usb.util.dispose_resources(self.device)
            raise self._open_error(e) from e
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
            return DeviceNotFound(
                _("{phone}: the phone left USB while opening it").format(phone=self.name), hint=_(_CABLE_HINT)
            )
        if e.errno == errno.EBUSY:
            return TransportError(
                _("{phone}: the phone's USB interface is in use by another program").format(phone=self.name),
                hint=_(
                    "Close other fastboot tools and adb (fastboot, adb, Mi Flash, Mi Unlock, another unlocker) and retry."
                ),
            )
        return TransportError(
            _("{phone}: cannot open the USB device ({reason})").format(
                phone=self.name, reason=e.strerror or e
            ),
            hint=_(_CABLE_HINT),
        )

    def write(self, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data).cast("B")
        self._require()
        timeout_ms = int(WRITE_TIMEOUT * 1000)
        if not len(view):
            self._write_zero_length_packet(timeout_ms)
            return
        offset = 0
        while offset < len(view):
            # pyusb wants an array; frombytes is one memcpy (array('B', view) would go byte by byte).
            chunk = array.array("B")
            chunk.frombytes(view[offset : offset + WRITE_CHUNK])
            try:
                sent = self.device.write(self.ep_out, chunk, timeout_ms)
            except usb.core.USBError as e:
                raise self._io_error(e, _("sending"), WRITE_TIMEOUT) from e
            if sent <= 0:
                raise DeviceDisconnected(
                    _("{phone}: the phone accepted no data").format(phone=self.name), hint=_(_CABLE_HINT)
                )
            offset += sent

    def _write_zero_length_packet(self, timeout_ms: int) -> None:
        # Ends a transfer whose length is a multiple of the packet size: adb devices read fixed
        # 16 KiB transfers and would otherwise wait, or run into the next message.
        try:
            self.device.write(self.ep_out, array.array("B"), timeout_ms)
        except usb.core.USBError as e:
            raise self._io_error(e, _("sending"), WRITE_TIMEOUT) from e

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
                raise self._io_error(e, _("waiting for an answer"), timeout) from e
            if count:  # zero-length packets end a transfer; they carry no message
                return buffer[:count].tobytes()

    def _io_error(self, e: usb.core.USBError, doing: str, timeout: float) -> TransportError:
        if isinstance(e, usb.core.USBTimeoutError) or e.errno == errno.ETIMEDOUT:
            return TransportTimeout(
                _("{phone}: USB timeout after {seconds} s while {doing}").format(
                    phone=self.name, seconds=f"{timeout:g}", doing=doing
                ),
                hint=_(
                    "Check that the phone's screen still shows the same mode and the cable is firm, then retry."
                ),
            )
        reason = e.strerror or e
        if _gone(e) or e.errno in (errno.EPIPE, errno.EIO, errno.EPROTO):
            return DeviceDisconnected(
                _("{phone}: the phone went away while {doing} ({reason})").format(
                    phone=self.name, doing=doing, reason=reason
                ),
                hint=_(_CABLE_HINT),
            )
        return TransportError(
            _("{phone}: USB error while {doing} ({reason})").format(
                phone=self.name, doing=doing, reason=reason
            ),
            hint=_(_CABLE_HINT),
        )

    def _require(self) -> None:
        if not self._open:
            raise DeviceDisconnected(_("{phone}: not connected").format(phone=self.name))

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

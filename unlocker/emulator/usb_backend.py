"""A pyusb backend (``usb.backend.IBackend``) whose devices are virtual phones.

    backend = FakeUsbBackend([UsbPhone(VirtualPhone(tmp, "xiaomi-qcom"))])
    transport = find_usb_transport(None, interface=FASTBOOT_USB, backend=backend)

Everything above the backend is real: pyusb parses the descriptors from the same raw bytes a
phone returns, unlocker's UsbTransport finds the interface by class/subclass/protocol, claims
it and moves bulk transfers; only libusb and the kernel are replaced. Errors are raised the way
pyusb's libusb1 backend raises them (``USBError(strerror, libusb_code, errno)``), so the
transport's error mapping is exercised too. Each bulk OUT transfer is one message to the phone,
unless ``urb_size`` is set: then transfers reach the phone in pieces of that size, as libusb
cuts them into 16 KiB URBs on Linux (the phone must reassemble them by byte count).
"""

from __future__ import annotations

import array
import errno
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace

import usb.backend
import usb.core

from unlocker.emulator.usb_device import EP_IN, EP_OUT, NoDevice, UsbPhone

# libusb error codes and messages, as pyusb's libusb1 backend reports them.
_LIBUSB = {
    errno.EIO: (-1, "Input/output error"),
    errno.EACCES: (-3, "Access denied (insufficient permissions)"),
    errno.ENODEV: (-4, "No such device (it may have been disconnected)"),
    errno.EBUSY: (-6, "Resource busy"),
    errno.ETIMEDOUT: (-7, "Operation timed out"),
    errno.EOVERFLOW: (-8, "Overflow"),
    errno.EPIPE: (-9, "Pipe error"),
}

# (struct format, field names) of each standard descriptor (USB 2.0 spec, chapter 9.6).
_DEVICE = ("<BBHBBBBHHHBBBB", "bLength bDescriptorType bcdUSB bDeviceClass bDeviceSubClass "
           "bDeviceProtocol bMaxPacketSize0 idVendor idProduct bcdDevice iManufacturer iProduct "
           "iSerialNumber bNumConfigurations")  # fmt: skip
_CONFIG = ("<BBHBBBBB", "bLength bDescriptorType wTotalLength bNumInterfaces bConfigurationValue "
           "iConfiguration bmAttributes bMaxPower")  # fmt: skip
_INTERFACE = ("<9B", "bLength bDescriptorType bInterfaceNumber bAlternateSetting bNumEndpoints "
              "bInterfaceClass bInterfaceSubClass bInterfaceProtocol iInterface")  # fmt: skip
_ENDPOINT = ("<BBBBHB", "bLength bDescriptorType bEndpointAddress bmAttributes wMaxPacketSize bInterval")


def _fields(layout: tuple[str, str], raw: bytes, offset: int) -> dict[str, int]:
    fmt, names = layout
    return dict(zip(names.split(), struct.unpack_from(fmt, raw, offset), strict=True))


def usb_error(code: int) -> usb.core.USBError:
    """The exception pyusb's libusb1 backend raises for errno ``code``."""
    libusb_code, message = _LIBUSB.get(code, (-99, "Unknown error"))
    cls = usb.core.USBTimeoutError if code == errno.ETIMEDOUT else usb.core.USBError
    return cls(message, libusb_code, code)


@dataclass
class ParsedDescriptors:
    """Raw descriptor bytes turned into the attribute objects pyusb reads.

    ``configs[c]`` is ``(config, interfaces)``; ``interfaces[i][alt]`` is ``(interface, endpoints)``.
    """

    device: dict[str, int]
    configs: list[tuple[SimpleNamespace, list[list[tuple[SimpleNamespace, list[SimpleNamespace]]]]]]


def parse_descriptors(raw: bytes) -> ParsedDescriptors:
    """Parse a device descriptor followed by configuration descriptors (the sysfs layout)."""
    if len(raw) < 18 or raw[1] != 1:
        raise ValueError("descriptors must start with an 18-byte device descriptor")
    device = _fields(_DEVICE, raw, 0)
    configs: list = []
    offset = raw[0]
    while offset + 2 <= len(raw):
        length, kind = raw[offset], raw[offset + 1]
        if length < 2 or offset + length > len(raw):
            raise ValueError(f"bad descriptor length {length} at offset {offset}")
        if (kind == 4 and not configs) or (kind == 5 and not (configs and configs[-1][1])):
            raise ValueError(f"descriptor type {kind} at offset {offset} is outside its parent")
        if kind == 2:
            config = SimpleNamespace(**_fields(_CONFIG, raw, offset), extra_descriptors=[])
            configs.append((config, []))
        elif kind == 4:
            interface = SimpleNamespace(**_fields(_INTERFACE, raw, offset), extra_descriptors=[])
            interfaces = configs[-1][1]
            if interface.bAlternateSetting == 0:
                interfaces.append([])
            interfaces[-1].append((interface, []))
        elif kind == 5:
            endpoint = SimpleNamespace(
                **_fields(_ENDPOINT, raw, offset), bRefresh=0, bSynchAddress=0, extra_descriptors=[]
            )
            configs[-1][1][-1][-1][1].append(endpoint)
        offset += length
    return ParsedDescriptors(device, configs)


@dataclass(frozen=True)
class _Enumerated:
    """One sighting of a phone during enumeration (libusb's ``libusb_device``)."""

    phone: UsbPhone
    generation: int
    address: int


@dataclass
class _Handle:
    """An open device (libusb's ``libusb_device_handle``)."""

    phone: UsbPhone
    generation: int
    configuration: int = 1
    closed: bool = False


class FakeUsbBackend(usb.backend.IBackend):
    """A USB bus holding virtual phones. Pass it as ``backend=`` to unlocker's USB functions."""

    def __init__(self, phones: Iterable[UsbPhone] = (), *, urb_size: int | None = None) -> None:
        super().__init__()
        self.phones = list(phones)
        self.urb_size = urb_size
        self._parsed_cache: dict[int, tuple[bytes, ParsedDescriptors]] = {}
        self._errors: dict[tuple[int, str], int] = {}
        self._kernel_driver: set[int] = set()
        self.claimed: dict[int, set[int]] = {}  # id(phone) -> claimed interface numbers
        self.opened = 0
        self.out_transfers: list[int] = []  # sizes of bulk OUT transfers, in order

    def add(self, phone: UsbPhone) -> UsbPhone:
        self.phones.append(phone)
        return phone

    def _parsed(self, phone: UsbPhone) -> ParsedDescriptors:
        """The phone's descriptors as pyusb reads them; they change when it re-enumerates in another mode."""
        cached = self._parsed_cache.get(id(phone))
        if cached is None or cached[0] != phone.descriptors:
            cached = (phone.descriptors, parse_descriptors(phone.descriptors))
            self._parsed_cache[id(phone)] = cached
        return cached[1]

    def inject_error(self, phone: UsbPhone, operation: str, code: int | None) -> None:
        """Make ``operation`` ('open', 'claim', 'write', 'read', 'control') fail with errno ``code``."""
        if code is None:
            self._errors.pop((id(phone), operation), None)
        else:
            self._errors[(id(phone), operation)] = code

    def bind_kernel_driver(self, phone: UsbPhone) -> None:
        """Pretend a kernel driver holds the interface (must be detached before claiming)."""
        self._kernel_driver.add(id(phone))

    def kernel_driver_bound(self, phone: UsbPhone) -> bool:
        return id(phone) in self._kernel_driver

    def _maybe_fail(self, phone: UsbPhone, operation: str) -> None:
        code = self._errors.get((id(phone), operation))
        if code is not None:
            raise usb_error(code)

    def _live(self, handle: _Handle, *, draining: bool = False) -> UsbPhone:
        """The handle's phone; ENODEV once it left the bus (``draining``: unless answers are queued)."""
        phone = handle.phone
        gone = not phone.attached and not (draining and phone.queued(handle.generation))
        if handle.closed or handle.generation != phone.generation or gone:
            raise usb_error(errno.ENODEV)
        return phone

    # --- enumeration and descriptors ----------------------------------------------------------

    def enumerate_devices(self) -> Iterable[_Enumerated]:
        for phone in self.phones:
            phone.poll()
            if phone.attached:
                yield _Enumerated(phone, phone.generation, phone.address)

    def get_device_descriptor(self, dev: _Enumerated) -> SimpleNamespace:
        phone = dev.phone
        return SimpleNamespace(
            **self._parsed(phone).device,
            bus=phone.bus,
            address=dev.address,
            port_number=phone.port_numbers[-1],
            port_numbers=phone.port_numbers,
            speed=3 if phone.max_packet == 512 else 4,
        )

    def get_configuration_descriptor(self, dev: _Enumerated, config: int) -> SimpleNamespace:
        return self._parsed(dev.phone).configs[config][0]

    def get_interface_descriptor(self, dev: _Enumerated, intf: int, alt: int, config: int) -> SimpleNamespace:
        return self._parsed(dev.phone).configs[config][1][intf][alt][0]

    def get_endpoint_descriptor(
        self, dev: _Enumerated, ep: int, intf: int, alt: int, config: int
    ) -> SimpleNamespace:
        return self._parsed(dev.phone).configs[config][1][intf][alt][1][ep]

    # --- handles ------------------------------------------------------------------------------

    def open_device(self, dev: _Enumerated) -> _Handle:
        phone = dev.phone
        if dev.generation != phone.generation or not phone.attached:
            raise usb_error(errno.ENODEV)
        self._maybe_fail(phone, "open")
        self.opened += 1
        return _Handle(phone, dev.generation)

    def close_device(self, handle: _Handle) -> None:
        handle.closed = True

    def get_configuration(self, handle: _Handle) -> int:
        self._live(handle)
        return handle.configuration

    def set_configuration(self, handle: _Handle, value: int) -> None:
        self._live(handle)
        handle.configuration = value

    def set_interface_altsetting(self, handle: _Handle, intf: int, altsetting: int) -> None:
        self._live(handle)

    def claim_interface(self, handle: _Handle, intf: int) -> None:
        phone = self._live(handle)
        self._maybe_fail(phone, "claim")
        if id(phone) in self._kernel_driver:
            raise usb_error(errno.EBUSY)  # what the kernel answers while its driver holds it
        self.claimed.setdefault(id(phone), set()).add(intf)

    def release_interface(self, handle: _Handle, intf: int) -> None:
        self._live(handle)
        self.claimed.get(id(handle.phone), set()).discard(intf)

    def clear_halt(self, handle: _Handle, ep: int) -> None:
        self._live(handle)

    def reset_device(self, handle: _Handle) -> None:
        self._live(handle)

    def is_kernel_driver_active(self, handle: _Handle, intf: int) -> bool:
        return id(self._live(handle)) in self._kernel_driver

    def detach_kernel_driver(self, handle: _Handle, intf: int) -> None:
        self._kernel_driver.discard(id(self._live(handle)))

    def attach_kernel_driver(self, handle: _Handle, intf: int) -> None:
        self._kernel_driver.add(id(self._live(handle)))

    # --- transfers ----------------------------------------------------------------------------

    def bulk_write(self, handle: _Handle, ep: int, intf: int, data: array.array, timeout: int) -> int:
        phone = self._live(handle)
        self._maybe_fail(phone, "write")
        if ep != EP_OUT:
            raise usb_error(errno.EPIPE)
        self.out_transfers.append(len(data))
        raw = data.tobytes()
        step = self.urb_size or len(raw) or 1
        try:
            for offset in range(0, max(len(raw), 1), step):
                phone.write(handle.generation, raw[offset : offset + step])
        except NoDevice as e:
            raise usb_error(errno.ENODEV) from e
        return len(data)

    def bulk_read(self, handle: _Handle, ep: int, intf: int, buff: array.array, timeout: int) -> int:
        phone = self._live(handle, draining=True)
        self._maybe_fail(phone, "read")
        if ep != EP_IN:
            raise usb_error(errno.EPIPE)
        # libusb treats timeout 0 as "wait forever"; a test would rather hang for a minute than ever.
        seconds = timeout / 1000 if timeout else 60.0
        try:
            data = phone.read(handle.generation, len(buff), seconds)
        except NoDevice as e:
            raise usb_error(errno.ENODEV) from e
        if data is None:
            raise usb_error(errno.ETIMEDOUT)
        buff[: len(data)] = array.array("B", data)
        return len(data)

    def ctrl_transfer(
        self,
        handle: _Handle,
        bmRequestType: int,  # noqa: N803 - pyusb's parameter names
        bRequest: int,  # noqa: N803
        wValue: int,  # noqa: N803
        wIndex: int,  # noqa: N803
        data: array.array,
        timeout: int,
    ) -> int:
        phone = self._live(handle)
        self._maybe_fail(phone, "control")
        # GET_DESCRIPTOR(STRING) is all a fastboot host asks; anything else stalls like a real phone.
        if bmRequestType == 0x80 and bRequest == 6 and wValue >> 8 == 3:
            descriptor = phone.string_descriptor(wValue & 0xFF)
            if descriptor is not None:
                descriptor = descriptor[: len(data)]
                data[: len(descriptor)] = array.array("B", descriptor)
                return len(descriptor)
        raise usb_error(errno.EPIPE)

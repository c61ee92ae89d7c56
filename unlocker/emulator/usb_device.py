"""The virtual phone's USB side: descriptors, string descriptors, plug state and the bulk pipes.

Shared by the fake pyusb backend (``usb_backend``) and the umockdev helper in tests/usb/, so
both carry bytes to the same ``Session`` as the TCP server does. Pure Python with no pyusb
import: the umockdev helper runs it under Debian's own interpreter.

USB facts (AOSP fastboot/README.md, fastboot.cpp ``match_fastboot_with_serial``): a phone in
fastboot mode shows one interface of class 0xFF, subclass 0x42, protocol 0x03 with a bulk IN
and a bulk OUT endpoint; Xiaomi bootloaders enumerate as 18d1:d00d ("Google"/"Android") or
2717:d00d. A rebooting phone drops off the bus and comes back at a new address. In recovery
and sideload mode it shows adb's interface instead (ff/42/01, AOSP adb.h) and speaks adb
(``adb_device``); starting sideload mode re-enumerates it too (recovery restarts its USB gadget).
"""

from __future__ import annotations

import collections
import struct
import threading
import time
from typing import TYPE_CHECKING

from unlocker.emulator.adb_device import AdbDeviceSession
from unlocker.emulator.faults import Disconnect
from unlocker.emulator.recovery import ADB_MODES
from unlocker.emulator.session import Session

if TYPE_CHECKING:
    from unlocker.emulator.phone import VirtualPhone

GOOGLE_VID = 0x18D1
XIAOMI_VID = 0x2717
FASTBOOT_PID = 0xD00D
ADB_PID = 0xD001  # Google's id for a phone in recovery/sideload
FASTBOOT_INTERFACE = (0xFF, 0x42, 0x03)  # class, subclass, protocol
ADB_INTERFACE = (0xFF, 0x42, 0x01)
# How often a waiting read looks whether the phone changed mode meanwhile.
_TICK = 0.05
EP_IN = 0x81
EP_OUT = 0x01
LANGID_EN_US = 0x0409
STRING_MANUFACTURER, STRING_PRODUCT, STRING_SERIAL = 1, 2, 3


def fastboot_descriptors(
    vendor_id: int,
    product_id: int,
    *,
    max_packet: int = 512,
    interface_class: tuple[int, int, int] = FASTBOOT_INTERFACE,
) -> bytes:
    """Device, configuration, interface and endpoint descriptors of a phone in fastboot mode.

    Exactly the bytes a real device returns for GET_DESCRIPTOR (device) followed by the full
    configuration descriptor, the layout Linux exposes in sysfs ``descriptors``.
    ``interface_class`` other than ff/42/03 makes a device that is *not* fastboot (adb is ff/42/01).
    """
    bcd_usb = 0x0300 if max_packet >= 1024 else 0x0200
    device = struct.pack(
        "<BBHBBBBHHHBBBB",
        18, 1, bcd_usb, 0, 0, 0, 64, vendor_id, product_id, 0x0100,
        STRING_MANUFACTURER, STRING_PRODUCT, STRING_SERIAL, 1,
    )  # fmt: skip
    interface = struct.pack("<9B", 9, 4, 0, 0, 2, *interface_class, 0)
    ep_in = struct.pack("<BBBBHB", 7, 5, EP_IN, 0x02, max_packet, 0)
    ep_out = struct.pack("<BBBBHB", 7, 5, EP_OUT, 0x02, max_packet, 0)
    body = interface + ep_in + ep_out
    config = struct.pack("<BBHBBBBB", 9, 2, 9 + len(body), 1, 1, 0, 0x80, 250)
    return device + config + body


class NoDevice(Exception):
    """The device is gone (unplugged, rebooting, or re-enumerated since it was opened): ENODEV."""


class UsbPhone:
    """A VirtualPhone plugged into a USB port.

    ``generation`` counts enumerations: a handle opened on generation N gets ``NoDevice`` once the
    phone has dropped off the bus, exactly as a libusb handle does after an unplug. Each
    enumeration has its own session (the phone's USB function restarts with the phone): fastboot
    in the bootloader and fastbootd, adb in recovery and sideload mode, with the matching
    interface and product id (``interface_class`` / ``product_id`` fix them instead).
    Thread-safe: the umockdev helper calls it from umockdev's worker thread.
    """

    def __init__(
        self,
        phone: VirtualPhone,
        *,
        vendor_id: int = GOOGLE_VID,
        product_id: int | None = None,
        bus: int = 1,
        port_numbers: tuple[int, ...] = (1,),
        address: int = 2,
        max_packet: int = 512,
        replug_delay: float = 0.1,
        manufacturer: str = "Google",
        product: str = "Android",
        interface_class: tuple[int, int, int] | None = None,
    ) -> None:
        self.phone = phone
        self.vendor_id = vendor_id
        self._fixed_product_id = product_id
        self._fixed_interface = interface_class
        self.bus = bus
        self.port_numbers = tuple(port_numbers)
        self.address = address
        self.max_packet = max_packet
        self.replug_delay = replug_delay
        self.manufacturer = manufacturer
        self.product = product
        self.generation = 1
        self.attached = True
        self.unplugs = 0
        self._reattach_at: float | None = None
        self._cond = threading.Condition()
        self._queue: collections.deque[bytes] = collections.deque()
        self._configure()

    def _configure(self) -> None:
        """Descriptors and session for the mode the phone is in now (at every enumeration)."""
        adb = self.phone.mode in ADB_MODES
        interface = self._fixed_interface or (ADB_INTERFACE if adb else FASTBOOT_INTERFACE)
        self.product_id = self._fixed_product_id or (ADB_PID if adb else FASTBOOT_PID)
        self.descriptors = fastboot_descriptors(
            self.vendor_id, self.product_id, max_packet=self.max_packet, interface_class=interface
        )
        self._epoch = self.phone.epoch
        self._session: Session | AdbDeviceSession = (
            AdbDeviceSession(self.phone) if adb else Session(self.phone)
        )

    # --- identity -----------------------------------------------------------------------------

    @property
    def serial(self) -> str:
        return self.phone.serial

    @property
    def strings(self) -> dict[int, str]:
        return {
            STRING_MANUFACTURER: self.manufacturer,
            STRING_PRODUCT: self.product,
            STRING_SERIAL: self.serial,
        }

    @property
    def port_path(self) -> str:
        """Linux sysfs name of the port, e.g. ``1-1`` or ``1-1.4`` (what ``-s usb:1-1`` names)."""
        return f"{self.bus}-" + ".".join(str(p) for p in self.port_numbers)

    def string_descriptor(self, index: int) -> bytes | None:
        """The raw STRING descriptor: LANGID list for index 0; None when there is no such string."""
        if index == 0:
            body = struct.pack("<H", LANGID_EN_US)
        elif index in self.strings:
            body = self.strings[index].encode("utf-16-le")
        else:
            return None
        return bytes([2 + len(body), 3]) + body

    # --- plug state ---------------------------------------------------------------------------

    def poll(self) -> bool:
        """Re-enumerate when a pending replug is due; True when the phone (re)appeared just now.

        A phone that changed mode on its own (the person chose "Apply from ADB", or minadbd
        finished) leaves the bus first, as its USB gadget restarts.
        """
        with self._cond:
            self._follow_mode()
            if self.attached or self._reattach_at is None or time.monotonic() < self._reattach_at:
                return False
            self._attach()
            return True

    def _follow_mode(self) -> None:
        self.phone.check_controls()
        session = self._session
        if self.attached and (
            self.phone.epoch != self._epoch or (isinstance(session, AdbDeviceSession) and session.expired())
        ):
            self._detach(self.replug_delay, keep_queue=True)

    def unplug(self, *, replug_after: float | None = None) -> None:
        """Pull the cable. ``replug_after`` seconds later it comes back (None: only via ``plug``)."""
        with self._cond:
            self._detach(replug_after, keep_queue=False)

    def plug(self) -> None:
        with self._cond:
            if not self.attached:
                self._attach()

    def _detach(self, replug_after: float | None, *, keep_queue: bool) -> None:
        if not self.attached:
            return
        self.attached = False
        self.unplugs += 1
        self._session.close()
        self._epoch = -1  # whatever the phone does now, this enumeration is over
        if not keep_queue:
            self._queue.clear()
        self._reattach_at = None if replug_after is None else time.monotonic() + replug_after
        self._cond.notify_all()

    def _attach(self) -> None:
        self.generation += 1
        # A re-enumerated device gets the next free address on its bus (1..127).
        self.address = self.address % 127 + 1
        self._queue = collections.deque()
        self._configure()
        self._reattach_at = None
        self.attached = True

    # --- bulk pipes ---------------------------------------------------------------------------

    def write(self, generation: int, data: bytes) -> None:
        """One bulk OUT transfer (or URB): a command, or a piece of download data."""
        with self._cond:
            self._check(generation)
            try:
                replies = self._session.feed(bytes(data))
            except Disconnect:
                # The cable drops: nothing more is delivered; the phone shows up again later.
                self._detach(self.replug_delay, keep_queue=False)
                return
            self._queue.extend(replies)
            if replies:
                self._cond.notify_all()
            session = self._session
            if session.drop if isinstance(session, AdbDeviceSession) else session.reboot_target:
                # The phone already answered OKAY; it leaves the bus now and re-enumerates after
                # booting. The old handle may still read the answer that is in flight.
                self._detach(self.replug_delay, keep_queue=True)

    def read(self, generation: int, size: int, timeout: float = 0.0) -> bytes | None:
        """Up to ``size`` bytes of the next IN message (the rest stays queued); None on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if generation != self.generation:
                    raise NoDevice()
                if self._queue:
                    message = self._queue.popleft()
                    if len(message) > size:
                        self._queue.appendleft(message[size:])
                    return message[:size]
                if not self.attached:
                    raise NoDevice()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(min(remaining, _TICK))
                self._follow_mode()

    def queued(self, generation: int) -> int:
        """Messages waiting on the IN endpoint for ``generation`` (0 once it is gone)."""
        with self._cond:
            return len(self._queue) if generation == self.generation else 0

    def _check(self, generation: int) -> None:
        if generation != self.generation or not self.attached:
            raise NoDevice()

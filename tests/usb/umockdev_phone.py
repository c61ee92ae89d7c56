"""A virtual phone on an emulated USB bus, for real libusb under umockdev (Linux, test support).

    PYTHONPATH=REPO umockdev-wrapper /usr/bin/python3 tests/usb/umockdev_phone.py --state-dir DIR

prints ``UMOCKDEV_DIR=<dir>`` and serves until SIGTERM. A process started with
``LD_PRELOAD=libumockdev-preload.so.0 UMOCKDEV_DIR=<dir>`` then sees the phone through libusb
and pyusb as if it were plugged in. Later stdout lines report ``UNPLUGGED`` and
``PLUGGED BUS ADDRESS`` when the phone reboots (it leaves the bus and re-enumerates).

The handler plays the kernel's usbdevfs: libusb's ioctls on /dev/bus/usb/BBB/DDD arrive here
and bulk data goes to the same ``UsbPhone``/``Session`` as the fake pyusb backend and TCP use.
Runs under Debian's /usr/bin/python3 (the only interpreter with ``gi``); needs umockdev >= 0.17.14
(``IoctlData.retrieve/update``). ``struct usbdevfs_urb`` offsets are those of 64-bit Linux.
"""

from __future__ import annotations

import argparse
import collections
import errno
import shutil
import signal
import struct
import sys
import threading
import time

import gi

gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402

from unlocker.emulator.faults import parse_fault  # noqa: E402
from unlocker.emulator.phone import VirtualPhone  # noqa: E402
from unlocker.emulator.recovery import RecoveryOptions  # noqa: E402
from unlocker.emulator.usb_device import NoDevice, UsbPhone  # noqa: E402


def _ioc(direction: int, number: int, size: int) -> int:
    return (direction << 30) | (size << 16) | (ord("U") << 8) | number


_NONE, _WRITE, _READ = 0, 1, 2
URB_SIZE = 56  # sizeof(struct usbdevfs_urb) on LP64
URB_STATUS, URB_BUFFER, URB_BUFFER_LENGTH, URB_ACTUAL_LENGTH = 4, 16, 24, 28
USBDEVFS_SETINTERFACE = _ioc(_READ, 4, 8)
USBDEVFS_SETCONFIGURATION = _ioc(_READ, 5, 4)
USBDEVFS_GETDRIVER = _ioc(_WRITE, 8, 260)
USBDEVFS_SUBMITURB = _ioc(_READ, 10, URB_SIZE)
USBDEVFS_DISCARDURB = _ioc(_NONE, 11, 0)
USBDEVFS_REAPURB = _ioc(_WRITE, 12, 8)
USBDEVFS_REAPURBNDELAY = _ioc(_WRITE, 13, 8)
USBDEVFS_CLAIMINTERFACE = _ioc(_READ, 15, 4)
USBDEVFS_RELEASEINTERFACE = _ioc(_READ, 16, 4)
USBDEVFS_RESET = _ioc(_NONE, 20, 0)
USBDEVFS_CLEAR_HALT = _ioc(_READ, 21, 4)
USBDEVFS_GET_CAPABILITIES = _ioc(_READ, 26, 4)
URB_TYPE_CONTROL, URB_TYPE_BULK = 2, 3
# ZERO_PACKET | BULK_CONTINUATION | NO_PACKET_SIZE_LIM: what a modern xHCI kernel reports.
CAPABILITIES = 0x01 | 0x02 | 0x04
_HARMLESS = (
    USBDEVFS_CLAIMINTERFACE,
    USBDEVFS_RELEASEINTERFACE,
    USBDEVFS_SETCONFIGURATION,
    USBDEVFS_SETINTERFACE,
    USBDEVFS_CLEAR_HALT,
    USBDEVFS_RESET,
)


class Urb:
    def __init__(self, kind: int, endpoint: int, length: int) -> None:
        self.kind = kind
        self.endpoint = endpoint
        self.length = length
        self.status = 0
        self.data = b""
        self.done = False

    @property
    def is_in(self) -> bool:
        return bool(self.endpoint & 0x80) or self.kind == URB_TYPE_CONTROL


class Stats:
    """What libusb sent, printed at exit: tests check that big writes arrive as 16 KiB URBs."""

    def __init__(self) -> None:
        self.out_urbs = 0
        self.out_bytes = 0
        self.largest_out_urb = 0

    def line(self) -> str:
        return f"STATS out_urbs={self.out_urbs} out_bytes={self.out_bytes} largest_out_urb={self.largest_out_urb}"


class UsbDevfsHandler(UMockdev.IoctlBase):
    """usbdevfs for one enumeration (generation) of the phone; stale once it left the bus."""

    def __init__(self, usb: UsbPhone, generation: int, stats: Stats) -> None:
        super().__init__()
        self.usb = usb
        self.generation = generation
        self.stats = stats
        self.lock = threading.Lock()
        self.urbs: collections.OrderedDict[int, Urb] = collections.OrderedDict()
        self.connect("handle-ioctl", self._on_ioctl)

    @property
    def gone(self) -> bool:
        return self.generation != self.usb.generation or (
            not self.usb.attached and not self.usb.queued(self.generation)
        )

    def _on_ioctl(self, _handler: object, client: UMockdev.IoctlClient) -> bool:
        request = client.get_request()
        with self.lock:
            try:
                result = self._dispatch(request, client)
            except Exception as e:  # the client must always get an answer, or it hangs
                print(f"umockdev_phone: handler error: {e!r}", file=sys.stderr, flush=True)
                result = (-1, errno.EIO)
        client.complete(*result)
        return True

    def _dispatch(self, request: int, client: UMockdev.IoctlClient) -> tuple[int, int]:
        if request == USBDEVFS_SUBMITURB:
            return self._submit(client)
        if request in (USBDEVFS_REAPURBNDELAY, USBDEVFS_REAPURB):
            return self._reap(client)
        if request == USBDEVFS_DISCARDURB:
            return self._discard(client)
        if self.gone:
            return -1, errno.ENODEV
        if request == USBDEVFS_GET_CAPABILITIES:
            client.get_arg().resolve(0, 4).update(0, struct.pack("<I", CAPABILITIES))
            return 0, 0
        if request == USBDEVFS_GETDRIVER:
            return -1, errno.ENODATA  # no kernel driver bound to the interface
        if request in _HARMLESS:
            return 0, 0
        return -1, errno.ENOTTY

    def _submit(self, client: UMockdev.IoctlClient) -> tuple[int, int]:
        if self.gone:
            return -1, errno.ENODEV
        urb_data = client.get_arg().resolve(0, URB_SIZE)
        raw = bytes(urb_data.retrieve())
        kind, endpoint = raw[0], raw[1]
        (length,) = struct.unpack_from("<i", raw, URB_BUFFER_LENGTH)
        urb = Urb(kind, endpoint, length)
        if kind == URB_TYPE_CONTROL:
            setup = bytes(urb_data.resolve(URB_BUFFER, length).retrieve())[:8]
            self._control(urb, setup)
        elif kind != URB_TYPE_BULK:
            return -1, errno.EINVAL
        elif not endpoint & 0x80:
            data = bytes(urb_data.resolve(URB_BUFFER, length).retrieve()) if length else b""
            self.stats.out_urbs += 1
            self.stats.out_bytes += length
            self.stats.largest_out_urb = max(self.stats.largest_out_urb, length)
            try:
                self.usb.write(self.generation, data)
            except NoDevice:
                return -1, errno.ENODEV
            urb.done = True
        self.urbs[urb_data.client_addr] = urb
        return 0, 0

    def _control(self, urb: Urb, setup: bytes) -> None:
        request_type, request, value, _index, length = struct.unpack("<BBHHH", setup)
        urb.done = True
        if request_type == 0x80 and request == 6 and value >> 8 == 3:  # GET_DESCRIPTOR(STRING)
            descriptor = self.usb.string_descriptor(value & 0xFF)
            if descriptor is not None:
                urb.data = descriptor[:length]
                return
        urb.status = -errno.EPIPE  # the phone stalls requests it does not know

    def _fill_in_urbs(self) -> None:
        for urb in self.urbs.values():
            if urb.done or urb.kind != URB_TYPE_BULK or not urb.is_in:
                continue
            try:
                data = self.usb.read(self.generation, urb.length)
            except NoDevice:
                self._fail_all(-errno.ESHUTDOWN)
                return
            if data is None:
                return
            urb.data, urb.done = data, True
            return  # one per reap: libusb cancels the rest of a transfer after a short packet

    def _fail_all(self, status: int) -> None:
        for urb in self.urbs.values():
            if not urb.done:
                urb.status, urb.done = status, True

    def _reap(self, client: UMockdev.IoctlClient) -> tuple[int, int]:
        if self.gone:
            self._fail_all(-errno.ESHUTDOWN)
        elif not any(u.done for u in self.urbs.values()):
            self._fill_in_urbs()
        address = next((a for a, u in self.urbs.items() if u.done), None)
        if address is None:
            return -1, (errno.ENODEV if self.gone else errno.EAGAIN)
        urb = self.urbs.pop(address)
        slot = client.get_arg().resolve(0, 8)  # the caller's `struct usbdevfs_urb *`
        slot.update(0, struct.pack("<Q", address))
        urb_data = slot.resolve(0, URB_SIZE)
        urb_data.update(URB_STATUS, struct.pack("<i", urb.status))
        if urb.data:
            offset = 8 if urb.kind == URB_TYPE_CONTROL else 0
            urb_data.resolve(URB_BUFFER, urb.length).update(offset, urb.data)
        actual = len(urb.data) if urb.is_in else (urb.length if urb.status == 0 else 0)
        urb_data.update(URB_ACTUAL_LENGTH, struct.pack("<i", actual))
        return 0, 0

    def _discard(self, client: UMockdev.IoctlClient) -> tuple[int, int]:
        (address,) = struct.unpack("<Q", bytes(client.get_arg().retrieve()))
        urb = self.urbs.get(address)
        if urb is None or urb.done:
            return -1, errno.EINVAL
        urb.status, urb.data, urb.done = -errno.ENOENT, b"", True
        return 0, 0


def sysfs_path(usb: UsbPhone) -> str:
    return f"/sys/devices/pci0000:00/0000:00:14.0/usb{usb.bus}/{usb.port_path}"


def device_record(usb: UsbPhone) -> str:
    """The phone as a umockdev record: udev properties, sysfs attributes, raw descriptors."""
    hexed = usb.descriptors.hex().upper()
    node = f"bus/usb/{usb.bus:03d}/{usb.address:03d}"
    speed = 5000 if usb.max_packet >= 1024 else 480
    return "\n".join(
        [
            f"P: {sysfs_path(usb).removeprefix('/sys')}",
            f"N: {node}={hexed}",
            f"E: BUSNUM={usb.bus:03d}",
            f"E: DEVNUM={usb.address:03d}",
            f"E: DEVNAME=/dev/{node}",
            "E: DEVTYPE=usb_device",
            "E: DRIVER=usb",
            f"E: PRODUCT={usb.vendor_id:x}/{usb.product_id:x}/100",
            "E: SUBSYSTEM=usb",
            "E: MAJOR=189",
            f"E: MINOR={(usb.bus - 1) * 128 + usb.address - 1}",
            "A: bConfigurationValue=1",
            "A: bDeviceClass=00",
            "A: bNumConfigurations=1",
            "A: bNumInterfaces= 1",
            f"A: busnum={usb.bus}",
            f"A: devnum={usb.address}",
            f"A: devpath={'.'.join(str(p) for p in usb.port_numbers)}",
            f"A: idVendor={usb.vendor_id:04x}",
            f"A: idProduct={usb.product_id:04x}",
            f"A: manufacturer={usb.manufacturer}",
            f"A: product={usb.product}",
            f"A: serial={usb.serial}",
            f"A: speed={speed}",
            f"H: descriptors={hexed}",
            "",
        ]
    )


class EmulatedBus:
    """Keeps the testbed in step with the phone: unplug when it leaves the bus, replug when back."""

    def __init__(self, usb: UsbPhone) -> None:
        self.usb = usb
        self.stats = Stats()
        self.testbed = UMockdev.Testbed.new()
        self.handlers: list[UsbDevfsHandler] = []  # stale ones too: clients may still hold the node
        self.present: int | None = None  # generation currently in the testbed
        self._drain_deadline: float | None = None
        self._plug()

    def _plug(self) -> None:
        usb = self.usb
        self.testbed.add_from_string(device_record(usb))
        handler = UsbDevfsHandler(usb, usb.generation, self.stats)
        self.testbed.attach_ioctl(f"/dev/bus/usb/{usb.bus:03d}/{usb.address:03d}", handler)
        self.handlers.append(handler)
        if self.present is None and self.handlers[:-1]:
            # A replug: running libusb clients learn about devices from hotplug uevents only.
            self.testbed.uevent(sysfs_path(usb), "add")
        self.present = usb.generation

    def step(self) -> str | None:
        """Apply one pending change; returns the event line to print, if any."""
        usb = self.usb
        if self.present is not None and usb.attached:
            usb.poll()  # a phone that changed mode on its own (recovery -> sideload) leaves the bus
        if self.present is not None and (not usb.attached or usb.generation != self.present):
            # Let the host read the answer in flight (the OKAY to a reboot) before pulling the plug.
            now = time.monotonic()
            self._drain_deadline = self._drain_deadline or now + 1.0
            if usb.queued(self.present) and now < self._drain_deadline:
                return None
            self._drain_deadline = None
            path = sysfs_path(usb)
            self.testbed.uevent(path, "remove")
            self.testbed.remove_device(path)
            self.present = None
            return "UNPLUGGED"
        if self.present is None and (usb.attached or usb.poll()):
            self._plug()
            return f"PLUGGED {usb.bus} {usb.address}"
        return None

    def close(self) -> None:
        root = self.testbed.get_root_dir()
        del self.testbed
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--profile", default="xiaomi-qcom")
    parser.add_argument("--serial")
    parser.add_argument("--vendor-id", type=lambda s: int(s, 16), default=0x18D1)
    parser.add_argument("--unlocked", action="store_true", default=None)
    parser.add_argument("--max-download-size", type=int)
    parser.add_argument("--replug-delay", type=float, default=0.3)
    parser.add_argument("--fault", action="append", default=[], help="as `unlocker emulate --fault`")
    parser.add_argument("--adb-no-auth", action="store_true", help="as `unlocker emulate --adb-no-auth`")
    parser.add_argument(
        "--auto-apply-from-adb", action="store_true", help="as `unlocker emulate --auto-apply-from-adb`"
    )
    parser.add_argument(
        "--exit-on-stdin-eof", action="store_true", help="stop when the parent closes stdin (or dies)"
    )
    args = parser.parse_args(argv)

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if args.exit_on_stdin_eof:
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()

    phone = VirtualPhone(
        args.state_dir,
        args.profile,
        unlocked=args.unlocked,
        max_download_size=args.max_download_size,
        serial=args.serial,
        faults=[parse_fault(spec) for spec in args.fault],
        recovery=RecoveryOptions(auth=not args.adb_no_auth, auto_apply_from_adb=args.auto_apply_from_adb),
    )
    usb = UsbPhone(phone, vendor_id=args.vendor_id, replug_delay=args.replug_delay)
    bus = EmulatedBus(usb)
    print(f"UMOCKDEV_DIR={bus.testbed.get_root_dir()}", flush=True)
    print(f"PLUGGED {usb.bus} {usb.address}", flush=True)
    try:
        while not stop.wait(0.01):
            event = bus.step()
            if event:
                print(event, flush=True)
    finally:
        print(bus.stats.line(), flush=True)
        bus.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

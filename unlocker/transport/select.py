"""Turning a user's phone name into an open byte pipe, the way Google's tools name phones.

``tcp:HOST[:PORT]`` is TCP (default port 5554); anything else is a USB serial number (or
``usb:BUS-PORT``); no name means "the only phone on USB offering the interface". Which USB
interface to look for is the caller's (the protocol's) business: see :class:`UsbInterface`.
"""

from __future__ import annotations

import time

from unlocker.errors import DeviceNotFound, DevicePermissionError, UsageError
from unlocker.i18n import _
from unlocker.record import Record
from unlocker.transport.base import Transport, UsbInterface
from unlocker.transport.tcp import DEFAULT_PORT, TcpTransport

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


class DeviceName(Record):
    kind: str  # "tcp" or "usb"
    host: str | None = None
    port: int | None = None
    serial: str | None = None


def parse_device_name(name: str | None, *, default_port: int = DEFAULT_PORT) -> DeviceName:
    if not name:
        return DeviceName("usb")
    if name.startswith("tcp:"):
        rest = name[4:]
        host, port = rest, default_port
        if rest.startswith("["):  # [::1]:5554
            host, _sep, tail = rest[1:].partition("]")
            if tail.startswith(":"):
                port = _port(tail[1:], name)
        elif rest.count(":") == 1:
            host, _sep, p = rest.partition(":")
            port = _port(p, name)
        if not host:
            raise UsageError(
                _("'{name}' names no host; use tcp:HOST[:PORT], e.g. {example}").format(
                    name=name, example="tcp:127.0.0.1:5554"
                )
            )
        return DeviceName("tcp", host=host, port=port)
    if name.startswith("udp:"):
        raise UsageError(_("fastboot over UDP is not supported; use tcp:HOST[:PORT] or USB"))
    return DeviceName("usb", serial=name)


def _port(text: str, name: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise UsageError(_("'{name}': port must be a number from 1 to 65535").format(name=name))
    return int(text)


def make_transport(name: str | None, *, usb_interface: UsbInterface) -> Transport:
    """An unopened transport for ``name``; on USB the phone must offer ``usb_interface``."""
    spec = parse_device_name(name)
    if spec.kind == "tcp":
        assert spec.host is not None and spec.port is not None
        return TcpTransport(spec.host, spec.port)
    from unlocker.transport.usb import find_usb_transport

    return find_usb_transport(spec.serial, interface=usb_interface)


def open_transport(
    name: str | None,
    *,
    usb_interface: UsbInterface,
    wait: float = 0.0,
    before_open: Callable[[Transport], None] | None = None,
) -> Transport:
    """Open the named phone, retrying for up to ``wait`` seconds (a phone that is rebooting).

    ``before_open`` sees the transport once it is found (its ``name`` is the phone's) and before
    anything is sent to the phone; what it raises stops the opening (the per-phone lock).
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            transport = make_transport(name, usb_interface=usb_interface)
            if before_open is not None:
                before_open(transport)
            transport.open()
            return transport
        except (DeviceNotFound, DevicePermissionError):
            # A re-enumerated phone can refuse access for a moment, until udev applies the rules.
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)

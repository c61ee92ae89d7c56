"""Turning a user's phone name into an open connection, the way Google's fastboot does.

``tcp:HOST[:PORT]`` is TCP (default port 5554); anything else is a USB serial number;
no name means "the only fastboot phone on USB".
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from unlocker.errors import DeviceNotFound, DevicePermissionError, UsageError
from unlocker.fastboot.client import FastbootClient, InfoCallback
from unlocker.fastboot.protocol import RESPONSE_TIMEOUT
from unlocker.transport.base import Transport
from unlocker.transport.tcp import DEFAULT_PORT, TcpTransport


@dataclass(frozen=True)
class DeviceName:
    kind: str  # "tcp" or "usb"
    host: str | None = None
    port: int | None = None
    serial: str | None = None


def parse_device_name(name: str | None) -> DeviceName:
    if not name:
        return DeviceName("usb")
    if name.startswith("tcp:"):
        rest = name[4:]
        host, port = rest, DEFAULT_PORT
        if rest.startswith("["):  # [::1]:5554
            host, _, tail = rest[1:].partition("]")
            if tail.startswith(":"):
                port = _port(tail[1:], name)
        elif rest.count(":") == 1:
            host, _, p = rest.partition(":")
            port = _port(p, name)
        if not host:
            raise UsageError(f"'{name}' names no host; use tcp:HOST[:PORT], e.g. tcp:127.0.0.1:5554")
        return DeviceName("tcp", host=host, port=port)
    if name.startswith("udp:"):
        raise UsageError("fastboot over UDP is not supported; use tcp:HOST[:PORT] or USB")
    return DeviceName("usb", serial=name)


def _port(text: str, name: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise UsageError(f"'{name}': port must be a number from 1 to 65535")
    return int(text)


def make_transport(name: str | None) -> Transport:
    spec = parse_device_name(name)
    if spec.kind == "tcp":
        assert spec.host is not None and spec.port is not None
        return TcpTransport(spec.host, spec.port)
    from unlocker.transport.usb import find_usb_transport

    return find_usb_transport(spec.serial)


def open_transport(name: str | None, *, wait: float = 0.0) -> Transport:
    """Open the named phone, retrying for up to ``wait`` seconds (a phone that is rebooting)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            transport = make_transport(name)
            transport.open()
            return transport
        except (DeviceNotFound, DevicePermissionError):
            # A re-enumerated phone can refuse access for a moment, until udev applies the rules.
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


def open_client(
    name: str | None, *, wait: float = 0.0, on_info: InfoCallback | None = None
) -> FastbootClient:
    # UNLOCKER_RESPONSE_TIMEOUT shortens the 30 s default for tests and for volunteers diagnosing hangs.
    timeout = float(os.environ.get("UNLOCKER_RESPONSE_TIMEOUT") or RESPONSE_TIMEOUT)
    return FastbootClient(open_transport(name, wait=wait), on_info=on_info, response_timeout=timeout)

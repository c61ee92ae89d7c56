"""Opening a phone by the name a person gives it, and getting the right protocol client.

This is where a name (``-s SERIAL``, ``-s tcp:HOST[:PORT]``, ``ANDROID_SERIAL`` or nothing) meets a
protocol: the transport layer only finds and opens byte pipes, the protocol layer only speaks
over them, and this module joins the two: fastboot (bootloader, fastbootd) and adb (recovery,
sideload, Android with USB debugging).

adb over TCP is a plain byte stream (``tcp:HOST[:PORT]``, port 5555 by default, as ``adb connect``
names it). When PORT answers but is not adb, PORT+1 is tried: like Android's emulator (console
5554, adb 5555), the virtual phone serves fastboot on its port and adb on the next one, so the
name a person used in fastboot mode still works once the phone is in recovery.
"""

from __future__ import annotations

import time

from unlocker import commands, settings
from unlocker.device import lock as phone_lock
from unlocker.errors import DeviceDisconnected, DeviceNotFound, ProtocolError, TransportTimeout
from unlocker.fastboot.client import FastbootClient
from unlocker.fastboot.protocol import FASTBOOT_USB, LONG_TIMEOUT, RESPONSE_TIMEOUT
from unlocker.i18n import _
from unlocker.transport.select import open_transport, parse_device_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from unlocker.adb.client import AdbClient
    from unlocker.fastboot.client import InfoCallback  # an alias for type checkers only
    from unlocker.transport.base import Transport

ADB_PORT = 5555


def response_timeout() -> float:
    """Seconds to wait for a fastboot answer; UNLOCKER_RESPONSE_TIMEOUT shortens it for tests and
    for volunteers diagnosing hangs."""
    return settings.get_float("UNLOCKER_RESPONSE_TIMEOUT", RESPONSE_TIMEOUT)


def long_timeout() -> float:
    """Seconds flash and erase may take: LONG_TIMEOUT, scaled down with a shortened
    UNLOCKER_RESPONSE_TIMEOUT (never up: a longer answer timeout leaves them as they are)."""
    return LONG_TIMEOUT * min(1.0, response_timeout() / RESPONSE_TIMEOUT)


def connect_fastboot(
    name: str | None = None, *, wait: float = 0.0, on_info: InfoCallback | None = None
) -> FastbootClient:
    """An open fastboot session with the named phone (USB or TCP); close it when done.

    ``wait`` retries for that many seconds while the phone is not (yet) there, e.g. rebooting.
    """
    locked: list[str] = []

    def take_lock(transport: Transport) -> None:
        # Before anything reaches the phone: a second command never interleaves with the first.
        phone_lock.acquire(transport.name)
        locked.append(transport.name)

    try:
        transport = open_transport(name, usb_interface=FASTBOOT_USB, wait=wait, before_open=take_lock)
    except BaseException:
        for held in locked:
            phone_lock.release(held)
        raise
    for held in locked[:-1]:  # names of earlier attempts (a phone that was still rebooting)
        phone_lock.release(held)
    answer = response_timeout()
    transport.write_timeout = min(transport.write_timeout, answer)  # a phone that stops reading
    client = FastbootClient(transport, on_info=on_info, response_timeout=answer, long_timeout=long_timeout())
    client.close_with(lambda: phone_lock.release(transport.name))
    return client


def sideload_timeout() -> float:
    """Seconds a recovery may stay silent during a sideload (UNLOCKER_SIDELOAD_TIMEOUT)."""
    from unlocker.adb.sideload import SIDELOAD_WAIT

    return settings.get_float("UNLOCKER_SIDELOAD_TIMEOUT", SIDELOAD_WAIT)


def connect_adb(
    name: str | None = None,
    *,
    wait: float = 0.0,
    send_public_key: bool = True,
    notify: Callable[[str], None] | None = None,
    version: int | None = None,
) -> AdbClient:
    """An open, authenticated adb connection to the named phone (USB or TCP); close it when done.

    ``send_public_key=False`` never makes the phone ask its owner (AdbUnauthorized instead);
    ``version`` picks the protocol version we offer (0x01000000: with checksums).
    """
    from unlocker.adb.client import ADB_USB, AdbClient
    from unlocker.adb.message import A_VERSION

    def handshake(transport: Transport) -> AdbClient:
        client = AdbClient(
            transport,
            version=version or A_VERSION,
            send_public_key=send_public_key,
            response_timeout=response_timeout(),
            notify=notify,
        )
        try:
            client.connect()
        except BaseException:
            client.close()
            raise
        return client

    spec = parse_device_name(name, default_port=ADB_PORT)
    if spec.kind != "tcp":
        return handshake(open_transport(name, usb_interface=ADB_USB, wait=wait))
    assert spec.host is not None and spec.port is not None
    deadline = time.monotonic() + wait
    while True:
        try:
            return _connect_adb_tcp(spec.host, spec.port, handshake)
        except (DeviceNotFound, DeviceDisconnected):
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.5)


def _connect_adb_tcp(host: str, port: int, handshake: Callable[[Transport], AdbClient]) -> AdbClient:
    from unlocker.transport.tcp_stream import TcpStreamTransport

    first: Exception | None = None
    for candidate in (port, port + 1) if port < 65535 else (port,):
        transport = TcpStreamTransport(host, candidate)
        try:
            transport.open()
            return handshake(transport)
        except (DeviceNotFound, DeviceDisconnected, ProtocolError, TransportTimeout) as e:
            transport.close()
            first = first or e
    assert first is not None
    if isinstance(first, DeviceNotFound):
        raise first  # nothing listens there: the plainest message
    raise DeviceNotFound(
        _("{phone}: no adb there (nor on the next port)").format(phone=f"tcp:{host}:{port}"),
        hint=_(
            "Is the phone in recovery or sideload mode? From fastboot mode: {command}, then choose "
            "'Apply from ADB' in the recovery."
        ).format(command=commands.show(commands.REBOOT_RECOVERY)),
    ) from first

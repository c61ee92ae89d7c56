"""Opening a phone by the name a person gives it, and getting the right protocol client.

This is where a name (``-s SERIAL``, ``-s tcp:HOST[:PORT]``, ``ANDROID_SERIAL`` or nothing) meets a
protocol: the transport layer only finds and opens byte pipes, the protocol layer only speaks
over them, and this module joins the two. Fastboot today; adb sideload joins here next.
"""

from __future__ import annotations

from unlocker import settings
from unlocker.device import lock as phone_lock
from unlocker.fastboot.client import FastbootClient, InfoCallback
from unlocker.fastboot.protocol import FASTBOOT_USB, LONG_TIMEOUT, RESPONSE_TIMEOUT
from unlocker.transport.base import Transport
from unlocker.transport.select import open_transport


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

"""The transport interface: a byte pipe to one phone.

The protocol layers (fastboot, adb) only ever see this interface; it never imports pyusb
or socket. A transport moves *messages*: one command or response per ``write``/``read``
on USB (one bulk transfer) and one frame on TCP. Data phases may span many writes.
"""

from __future__ import annotations

import abc

from unlocker.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import BinaryIO


class UsbInterface(Record):
    """Which USB interface a protocol lives on, and how to talk about it to a person.

    The protocol layer owns these facts (fastboot: ff/42/03, adb: ff/42/01) and passes them down;
    the USB transport only matches descriptors. ``mode`` and ``how_to_enter`` are marked for
    translation (``N_``) by their owner and translated where shown.
    """

    cls: int
    subclass: int
    protocol: int
    mode: str  # "fastboot mode", "adb", ... as in "no phone in fastboot mode on USB"
    how_to_enter: str  # what the person does with the phone to make this interface appear

    @property
    def triple(self) -> tuple[int, int, int]:
        return (self.cls, self.subclass, self.protocol)


class Transport(abc.ABC):
    """One open connection to one phone."""

    #: How the user names this phone: ``tcp:HOST:PORT`` or the USB serial number.
    name: str

    #: Largest single write worth issuing during a data phase (bytes).
    max_write_size: int = 1024 * 1024

    #: USB: the OUT endpoint's packet size; a write of a multiple of it may need ``write(b"")``
    #: after it (a zero-length packet) to end the transfer, as adb does. 0: a byte stream (TCP).
    out_packet_size: int = 0
    #: Seconds a write may go without the phone taking any data before TransportTimeout
    #: (progress-based: slow is fine, stopped is not). Callers may shorten it.
    write_timeout: float = 30.0
    #: True when :meth:`send_file` sends file data without it passing through Python (TCP:
    #: sendfile); otherwise callers read the data into their own buffer and ``write`` it (USB).
    sends_files: bool = False

    @abc.abstractmethod
    def open(self) -> None:
        """Connect. Raises DeviceNotFound / DevicePermissionError / UsbBackendMissing."""

    @abc.abstractmethod
    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Send all of ``data``. Raises DeviceDisconnected or TransportTimeout."""

    def send_file(self, fileobj: BinaryIO, offset: int, count: int) -> int:
        """Send ``count`` bytes of ``fileobj`` from ``offset`` as one message, as ``write`` would;
        returns the bytes sent (fewer only when the file ends early). Only where ``sends_files``."""
        raise NotImplementedError

    def write_parts(self, parts: Sequence[bytes | bytearray | memoryview]) -> None:
        """Send ``parts`` one after the other, as if joined: for byte streams (TCP), where a
        transport may send them together (one system call). On USB each write is a transfer."""
        for part in parts:
            self.write(part)

    @abc.abstractmethod
    def read(self, size: int, timeout: float) -> bytes:
        """Return the next message, at most ``size`` bytes (the rest stays queued).

        Raises TransportTimeout if nothing arrives within ``timeout`` seconds and
        DeviceDisconnected if the phone went away.
        """

    @abc.abstractmethod
    def close(self) -> None:
        """Release the phone. Safe to call twice."""

    def __enter__(self) -> Transport:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

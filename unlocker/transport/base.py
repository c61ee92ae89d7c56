"""The transport interface: a byte pipe to one phone in fastboot mode.

The fastboot protocol layer only ever sees this interface; it never imports pyusb
or socket. A transport moves *messages*: one command or response per ``write``/``read``
on USB (one bulk transfer) and one frame on TCP. Data phases may span many writes.
"""

from __future__ import annotations

import abc


class Transport(abc.ABC):
    """One open connection to one phone."""

    #: How the user names this phone: ``tcp:HOST:PORT`` or the USB serial number.
    name: str

    #: Largest single write worth issuing during a data phase (bytes).
    max_write_size: int = 1024 * 1024

    @abc.abstractmethod
    def open(self) -> None:
        """Connect. Raises DeviceNotFound / DevicePermissionError / UsbBackendMissing."""

    @abc.abstractmethod
    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Send all of ``data``. Raises DeviceDisconnected or TransportTimeout."""

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

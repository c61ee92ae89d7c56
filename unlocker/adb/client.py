"""AdbClient: one adb connection to a phone, over any Transport (USB bulk pipes or a TCP stream).

What it does (AOSP adb docs/dev/protocol.md, adb.cpp, client/auth.cpp, sockets.cpp; shared
reference adb-sideload.md):

- ``connect``: our CNXN (at most 4 KiB, checksummed), then AUTH: sign each TOKEN with the next
  key; when none is left, offer our public key once and wait while the owner allows it on the
  phone's screen; the phone's CNXN fixes version, maximum payload and banner;
- streams: ``OPEN`` a service and get ``OKAY`` (or ``CLSE``: refused); each WRTE we send waits
  for the phone's OKAY before the next one (no ``delayed_ack``: we never advertise it), and each
  WRTE we receive is acknowledged at once;
- on USB the header and the payload are separate transfers, and a payload whose length is a
  multiple of the packet size is followed by a zero-length packet.

Not thread-safe: one caller at a time, like the wire.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from unlocker.adb.auth import AdbKey, load_keys
from unlocker.adb.banner import Banner, parse_banner
from unlocker.adb.message import (
    A_AUTH,
    A_CLSE,
    A_CNXN,
    A_OKAY,
    A_OPEN,
    A_STLS,
    A_VERSION,
    A_VERSION_MIN,
    A_WRTE,
    AUTH_RSAPUBLICKEY,
    AUTH_SIGNATURE,
    AUTH_TOKEN,
    HEADER_SIZE,
    MAX_PAYLOAD,
    MAX_PAYLOAD_V1,
    Message,
    checksum,
    encode_header,
    needs_checksum,
    negotiate,
    parse_header,
)
from unlocker.errors import (
    AdbUnauthorized,
    DeviceDisconnected,
    ProtocolError,
    ServiceRefused,
    TransportTimeout,
)
from unlocker.i18n import N_, _
from unlocker.transport.base import Transport, UsbInterface

#: Where adb lives on USB (AOSP adb.h ADB_CLASS/ADB_SUBCLASS/ADB_PROTOCOL): ff/42/01.
ADB_USB = UsbInterface(
    0xFF,
    0x42,
    0x01,
    mode=N_("recovery or adb mode"),
    how_to_enter=N_(
        "Start the phone's recovery and choose 'Apply update', then 'Apply from ADB' "
        "(or enable USB debugging in Android)."
    ),
)

# What we say about ourselves: no features, so the phone uses plain OKAY flow control and the
# legacy `shell:` service (we speak neither delayed_ack nor shell_v2).
HOST_BANNER = b"host::features="
RESPONSE_TIMEOUT = 30.0
# adbd answers a CNXN at once; a port that stays silent is not adb.
CONNECT_TIMEOUT = 10.0
# The owner has to find the phone, read the key's fingerprint and tap "Allow".
AUTH_PROMPT_TIMEOUT = 120.0

KeySource = Callable[[], list[AdbKey]]
Notify = Callable[[str], None]


class _Deadline:
    """A point in time, and the wait it stands for (to say "no answer within N s")."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()


class AdbStream:
    """One open service on the phone (``shell:...``, ``sideload-host:...``, ``reboot:...``)."""

    def __init__(self, client: AdbClient, local_id: int, service: str) -> None:
        self.client = client
        self.local_id = local_id
        self.remote_id = 0
        self.service = service
        self.remote_closed = False
        self._data = bytearray()
        self._acked = True  # nothing of ours waits for the phone's OKAY

    @property
    def closed(self) -> bool:
        return self.remote_closed and not self._data

    def read(self, size: int, timeout: float | None = None) -> bytes:
        """Up to ``size`` bytes; b"" once the phone closed the stream and everything was read."""
        deadline = self.client._deadline(timeout)
        while not self._data and not self.remote_closed:
            self.client._pump(deadline)
        data = bytes(self._data[:size])
        del self._data[:size]
        return data

    def read_exact(self, size: int, timeout: float | None = None) -> bytes:
        """``size`` bytes, or fewer when the phone closed the stream first."""
        deadline = self.client._deadline(timeout)
        while len(self._data) < size and not self.remote_closed:
            self.client._pump(deadline)
        data = bytes(self._data[:size])
        del self._data[:size]
        return data

    def read_all(self, timeout: float | None = None) -> bytes:
        """Everything until the phone closes the stream."""
        deadline = self.client._deadline(timeout)
        while not self.remote_closed:
            self.client._pump(deadline)
        data = bytes(self._data)
        self._data.clear()
        return data

    def write(self, data: bytes | bytearray | memoryview, timeout: float | None = None) -> None:
        """Send ``data`` in WRTEs of at most the agreed payload, each after the phone's OKAY."""
        client = self.client
        deadline = client._deadline(timeout)
        view = memoryview(data)
        step = client.max_payload
        for offset in range(0, len(view), step):
            while not self._acked:
                if self.remote_closed:
                    break
                client._pump(deadline)
            if self.remote_closed:
                raise DeviceDisconnected(
                    _("{phone}: the phone closed '{service}'").format(
                        phone=client.name, service=self.service
                    ),
                    hint=_("Look at the phone's screen for what happened, then retry."),
                )
            client._send(A_WRTE, self.local_id, self.remote_id, view[offset : offset + step])
            self._acked = False

    def close(self) -> None:
        client = self.client
        if client._streams.pop(self.local_id, None) is not None and client.connected:
            # A link that is gone already has nothing left to close.
            with contextlib.suppress(DeviceDisconnected):
                client._send(A_CLSE, self.local_id, self.remote_id)

    def __enter__(self) -> AdbStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AdbClient:
    """An adb connection. ``connect()`` first; then ``open`` services, ``shell``, ``reboot``."""

    def __init__(
        self,
        transport: Transport,
        *,
        version: int = A_VERSION,
        max_payload: int = MAX_PAYLOAD,
        keys: KeySource | None = None,
        send_public_key: bool = True,
        response_timeout: float = RESPONSE_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
        auth_timeout: float = AUTH_PROMPT_TIMEOUT,
        notify: Notify | None = None,
    ) -> None:
        self.transport = transport
        self.own_version = version
        self.own_max_payload = max_payload
        self.keys = keys or load_keys
        self.send_public_key = send_public_key
        self.response_timeout = response_timeout
        self.connect_timeout = connect_timeout
        self.auth_timeout = auth_timeout
        self.notify = notify
        # Until the phone's CNXN: version 1 rules (checksums) and 4 KiB messages.
        self.version = A_VERSION_MIN
        self.max_payload = MAX_PAYLOAD_V1
        self.banner: Banner | None = None
        self.connected = False
        self._streams: dict[int, AdbStream] = {}
        self._next_id = 1
        self._zlp = transport.out_packet_size
        self._outbox: list[bytes] = []  # OKAYs held back, to leave with the next message (TCP)

    @property
    def name(self) -> str:
        return self.transport.name

    def close(self) -> None:
        self.connected = False
        try:
            with contextlib.suppress(DeviceDisconnected, TransportTimeout):
                self._flush()  # the phone's last message is acknowledged, as it was before
        finally:
            self.transport.close()

    def __enter__(self) -> AdbClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the connection -----------------------------------------------------------------------

    def connect(self) -> Banner:
        """CNXN and AUTH; returns the phone's banner (its mode and product properties)."""
        self._send(A_CNXN, self.own_version, self.own_max_payload, HOST_BANNER)
        deadline = _Deadline(self.connect_timeout)
        keys: list[AdbKey] | None = None
        signed = 0
        offered = False
        while True:
            try:
                message = self._read_message(deadline)
            except TransportTimeout as e:
                raise self._no_cnxn(offered) from e
            if message.command == A_CNXN:
                self.version, self.max_payload = negotiate(
                    self.own_version, self.own_max_payload, message.arg0, message.arg1
                )
                self.banner = parse_banner(message.data)
                self.connected = True
                return self.banner
            if message.command == A_STLS:
                raise ProtocolError(
                    _("{phone}: the phone wants an encrypted (wireless debugging) connection").format(
                        phone=self.name
                    ),
                    hint=_("Connect the phone with a USB cable instead."),
                )
            if message.command != A_AUTH or message.arg0 != AUTH_TOKEN or offered:
                continue  # nothing else means anything before the phone's CNXN
            if keys is None:
                keys = self.keys()
            if signed < len(keys):
                self._send(A_AUTH, AUTH_SIGNATURE, 0, self._sign(keys[signed], message.data))
                signed += 1
                continue
            if not self.send_public_key:
                raise AdbUnauthorized(
                    _("{phone}: the phone does not trust this computer's adb key yet").format(
                        phone=self.name
                    ),
                    hint=_("Run the command again on this phone alone and allow it on the phone's screen."),
                )
            self._send(A_AUTH, AUTH_RSAPUBLICKEY, 0, keys[0].public_text().encode("ascii") + b"\0")
            offered = True
            if self.notify:
                self.notify(
                    _(
                        "{phone}: allow USB debugging from this computer on the phone's screen "
                        "(tick 'Always allow')."
                    ).format(phone=self.name)
                )
            deadline = _Deadline(self.auth_timeout)

    def _sign(self, key: AdbKey, token: bytes) -> bytes:
        try:
            return key.sign(token)
        except ValueError as e:  # a token that is not 20 bytes cannot be an adb token
            raise ProtocolError(
                _("{phone}: the phone sent a malformed authentication token").format(phone=self.name)
            ) from e

    def _no_cnxn(self, offered: bool) -> Exception:
        if offered:
            return AdbUnauthorized(
                _("{phone}: USB debugging was not allowed on the phone within {seconds} s").format(
                    phone=self.name, seconds=f"{self.auth_timeout:.0f}"
                ),
                hint=_("Unlock the phone's screen, allow this computer (tick 'Always allow') and retry."),
            )
        return TransportTimeout(
            _("{phone}: no adb answer within {seconds} s").format(
                phone=self.name, seconds=f"{self.connect_timeout:.0f}"
            ),
            hint=_(
                "Check that the phone is in recovery or sideload mode (or Android with USB debugging on)."
            ),
        )

    # --- services -----------------------------------------------------------------------------

    def open(self, service: str, *, timeout: float | None = None) -> AdbStream:
        """Open ``service``; ServiceRefused when the phone does not offer it in its mode."""
        stream = AdbStream(self, self._next_id, service)
        self._next_id += 1
        self._streams[stream.local_id] = stream
        # adbd used to expect a NUL-terminated name (and Android 4.4 overwrote the last byte).
        self._send(A_OPEN, stream.local_id, 0, service.encode("utf-8") + b"\0")
        deadline = self._deadline(timeout)
        while not stream.remote_id:
            if stream.remote_closed:
                self._streams.pop(stream.local_id, None)
                raise ServiceRefused(
                    _("{phone}: the phone refused '{service}'").format(phone=self.name, service=service),
                    hint=_("The phone does not offer this in the mode it is in ({mode}).").format(
                        mode=self.banner.mode if self.banner else "?"
                    ),
                )
            self._pump(deadline)
        return stream

    def shell(self, command: str, *, timeout: float | None = None) -> str:
        """Output of a ``shell:`` command (the legacy service: one stream, no exit code)."""
        with self.open(f"shell:{command}", timeout=timeout) as stream:
            return stream.read_all(timeout).decode("utf-8", "replace")

    def getprop(self, name: str) -> str:
        return self.shell(f"getprop {name}").strip()

    def reboot(self, target: str = "") -> str:
        """``reboot:TARGET``; returns what the phone wrote (empty when it simply reboots)."""
        stream = self.open(f"reboot:{target}")
        try:
            return stream.read_all().decode("utf-8", "replace").strip()
        except DeviceDisconnected:
            return ""  # the phone rebooted before closing the stream: that is the answer

    # --- wire ---------------------------------------------------------------------------------

    def _deadline(self, timeout: float | None) -> _Deadline:
        return _Deadline(self.response_timeout if timeout is None else timeout)

    def _send(self, command: int, arg0: int, arg1: int, data: bytes | bytearray | memoryview = b"") -> None:
        header = encode_header(command, arg0, arg1, data, with_checksum=needs_checksum(self.version))
        transport = self.transport
        if not self._zlp:
            # A byte stream. An OKAY waits for the next message out, or for the next wait for the
            # phone (_read_exact): during a sideload the OKAY for a block request, the block's
            # header and the block leave in one send, and the phone wakes once for all three.
            if command == A_OKAY and not data:
                self._outbox.append(header)
                return
            parts = [*self._outbox, header, data]
            self._outbox.clear()
            transport.write_parts(parts)
            return
        transport.write(header)  # USB: the header and the payload are separate transfers
        if len(data):
            transport.write(data)
            if len(data) % self._zlp == 0:
                transport.write(b"")

    def _flush(self) -> None:
        if self._outbox:
            parts = list(self._outbox)
            self._outbox.clear()
            self.transport.write_parts(parts)

    def _read_exact(self, size: int, deadline: _Deadline) -> bytes:
        self._flush()  # the phone may be waiting for what is held back
        parts = []
        got = 0
        while got < size:
            remaining = deadline.remaining()
            if remaining <= 0:
                raise TransportTimeout(_("{phone}: no answer in time").format(phone=self.name))
            piece = self.transport.read(size - got, remaining)
            parts.append(piece)
            got += len(piece)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _read_message(self, deadline: _Deadline) -> Message:
        limit = self.max_payload if self.connected else self.own_max_payload
        header = parse_header(self._read_exact(HEADER_SIZE, deadline), peer=self.name, max_payload=limit)
        data = self._read_exact(header.length, deadline) if header.length else b""
        if self.connected and needs_checksum(self.version) and checksum(data) != header.check:
            raise ProtocolError(
                _("{phone}: adb message with a wrong checksum (damaged on the way)").format(phone=self.name),
                hint=_("Use another cable or USB port (no hub), then retry."),
            )
        return Message(header.command, header.arg0, header.arg1, data)

    def _pump(self, deadline: _Deadline) -> None:
        """Read one message and apply it to its stream."""
        try:
            message = self._read_message(deadline)
        except TransportTimeout as e:
            raise TransportTimeout(
                _("{phone}: no adb answer within {seconds} s").format(
                    phone=self.name, seconds=f"{deadline.seconds:g}"
                ),
                hint=_("Look at the phone's screen: it may be waiting for you, or stuck. Then retry."),
            ) from e
        command = message.command
        if command == A_CNXN:
            self.connected = False
            raise DeviceDisconnected(
                _("{phone}: the phone restarted its adb connection").format(phone=self.name),
                hint=_("Check that the phone is still in the same mode, then retry."),
            )
        stream = self._streams.get(message.arg1)
        if command == A_OPEN:
            self._send(A_CLSE, 0, message.arg0)  # we offer no services to the phone
        elif stream is None:
            return  # a late message for a stream we closed
        elif command == A_WRTE:
            stream._data += message.data
            self._send(A_OKAY, stream.local_id, message.arg0)
        elif command == A_OKAY:
            if not stream.remote_id:
                stream.remote_id = message.arg0
            stream._acked = True
        elif command == A_CLSE:
            stream.remote_closed = True
            self._streams.pop(stream.local_id, None)

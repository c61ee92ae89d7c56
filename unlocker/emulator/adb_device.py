"""AdbDeviceSession: the virtual phone's adbd (in recovery) and minadbd (in sideload mode).

Carriers (the TCP server, the USB models) call ``feed`` with whatever bytes arrived and send
back what it returns; the session reassembles messages itself, so a carrier may cut the stream
anywhere (libusb's 16 KiB URBs, TCP segments). When ``drop`` is set the carrier ends the link
(the phone rebooted, or left sideload mode); carriers call ``expired()`` while idle.

Behaviour (AOSP adb adb.cpp, daemon/auth.cpp, sockets.cpp; bootable/recovery minadbd; shared
reference adb-sideload.md):

- CNXN: version and maximum payload are the minimum of both sides'; a phone in recovery asks
  for AUTH (a 20-byte TOKEN; a SIGNATURE by a trusted key, or a public key its owner allows,
  lets the host in; a wrong signature earns a new TOKEN); minadbd never asks;
- streams: OPEN gets OKAY or CLSE (refused); each WRTE we send waits for the host's OKAY;
- recovery: ``shell:`` (getprop, cat of last_install), ``reboot:[bootloader|recovery|sideload|
  sideload-auto-reboot|fastboot]``; sideload: ``sideload-host:SIZE:BS`` and ``reboot:`` with
  ``""``, bootloader, recovery, fastboot; an Android 4.4 recovery has ``sideload:SIZE`` instead;
- ``--fault`` specs match the service name at OPEN (``stall:sideload-host``,
  ``fail:shell:getprop``, ...) and ``disconnect@BYTES`` / ``stall@BYTES`` count sideload data.
"""

from __future__ import annotations

import collections
import os
import time
from typing import TYPE_CHECKING

from unlocker.adb import pubkey
from unlocker.adb.message import (
    A_AUTH,
    A_CLSE,
    A_CNXN,
    A_OKAY,
    A_OPEN,
    A_VERSION_MIN,
    A_WRTE,
    AUTH_RSAPUBLICKEY,
    AUTH_SIGNATURE,
    AUTH_TOKEN,
    EXIT_FAILURE,
    EXIT_SUCCESS,
    MAX_BLOCK_SIZE,
    MAX_BLOCKS,
    MAX_PAYLOAD,
    MAX_PAYLOAD_V1,
    MIN_BLOCK_SIZE,
    TOKEN_SIZE,
    Message,
    MessageReader,
    encode,
    encode_block_request,
    needs_checksum,
    negotiate,
)
from unlocker.emulator.faults import Disconnect
from unlocker.emulator.installer import LegacyReceiver, SideloadInstaller, TooMuchData
from unlocker.emulator.recovery import RECOVERY, SIDELOAD
from unlocker.errors import ProtocolError

if TYPE_CHECKING:
    from unlocker.emulator.phone import VirtualPhone

# minadbd waits this long for the host to close the stream after DONEDONE/FAILFAIL, then exits.
LINGER = 3.0
_RECOVERY_REBOOTS = ("", "bootloader", "recovery", "sideload", "sideload-auto-reboot", "fastboot")
_SIDELOAD_REBOOTS = ("", "bootloader", "recovery", "fastboot")


class _Stream:
    """One service the host opened: our id, the host's id, and what waits for the host's OKAY."""

    def __init__(self, session: AdbDeviceSession, local: int, remote: int) -> None:
        self.session = session
        self.local = local
        self.remote = remote
        self.awaiting_ack = False
        self.outbox: collections.deque[bytes] = collections.deque()
        self.close_when_sent = False

    def write(self, data: bytes) -> None:
        step = self.session.max_payload
        for offset in range(0, len(data), step):
            self.outbox.append(data[offset : offset + step])
        self.flush()

    def flush(self) -> None:
        session = self.session
        if self.awaiting_ack or self.local not in session.streams:
            return
        if self.outbox:
            session.emit(A_WRTE, self.local, self.remote, self.outbox.popleft())
            self.awaiting_ack = True
        elif self.close_when_sent:
            session.streams.pop(self.local, None)
            session.emit(A_CLSE, self.local, self.remote)

    def on_ack(self) -> None:
        self.awaiting_ack = False
        self.flush()

    def on_data(self, data: bytes) -> None:
        pass  # a shell of ours reads no input

    def on_close(self) -> None:
        pass


class _Shell(_Stream):
    def start(self, command: str) -> None:
        self.close_when_sent = True
        self.write(self.session.phone.recovery.shell(command))


class _SideloadHost(_Stream):
    """``sideload-host``: ask for blocks, then say DONEDONE or FAILFAIL and wait for the host to close."""

    installer: SideloadInstaller

    def start(self, size: int, block_size: int) -> None:
        self.installer = SideloadInstaller(self.session.phone, size, block_size)
        self._ask()

    def _ask(self) -> None:
        block = self.installer.next_request()
        if block is not None:
            self.write(encode_block_request(block))
            return
        verdict = self.installer.verdict
        self.write(EXIT_SUCCESS if verdict is not None and verdict.ok else EXIT_FAILURE)
        self.session.linger_until = time.monotonic() + LINGER

    def on_data(self, data: bytes) -> None:
        installer = self.installer
        if installer.current is None:
            return  # after the verdict: nothing more to take
        try:
            complete = installer.receive(data)
        except TooMuchData:
            installer.abort("the host sent more than the block asked for")
            self.session.leave_sideload()
            return
        if complete:
            self._ask()

    def on_close(self) -> None:
        if self.installer.verdict is None:
            self.installer.abort("the host closed the sideload before the recovery was done")
        self.session.leave_sideload()


class _LegacySideload(_Stream):
    """``sideload:SIZE`` (Android 4.4): take the whole file, answer OKAY or FAIL."""

    receiver: LegacyReceiver

    def start(self, size: int) -> None:
        self.receiver = LegacyReceiver(self.session.phone, size)
        self.done = False

    def on_data(self, data: bytes) -> None:
        if self.done:
            return
        try:
            verdict = self.receiver.receive(data)
        except TooMuchData:
            self.receiver.abort("the host sent more than it announced")
            verdict = None
            self.done = True
            self.write(b"FAIL")
        if verdict is not None:
            # The old recovery answered OKAY once it had every byte, and installed afterwards.
            self.done = True
            self.write(b"OKAY")
            self.close_when_sent = True
            self.flush()

    def on_close(self) -> None:
        if not self.done:
            self.receiver.abort("the host closed the sideload before sending everything")
        self.session.leave_sideload()


class AdbDeviceSession:
    """One adb connection to ``phone`` (a TCP connection, or one USB enumeration)."""

    def __init__(self, phone: VirtualPhone) -> None:
        self.phone = phone
        self.recovery = phone.recovery
        self.mode = phone.mode
        self.epoch = phone.epoch
        options = self.recovery.options
        self.own_version = A_VERSION_MIN if options.legacy else options.adb_version
        self.own_max = MAX_PAYLOAD_V1 if options.legacy else MAX_PAYLOAD
        self.version = A_VERSION_MIN  # until the CNXNs crossed
        self.max_payload = self.own_max
        self.reader = MessageReader(peer="host", max_payload=self.own_max, verify_checksum=True)
        self.auth_required = options.auth and self.mode == RECOVERY
        self.online = False
        self.token: bytes | None = None
        self.streams: dict[int, _Stream] = {}
        self.next_id = 1
        self.drop = False  # the carrier ends the link after sending what feed() returned
        self.stalled = False
        self.linger_until: float | None = None
        self._out: list[bytes] = []

    # --- entry points -------------------------------------------------------------------------

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        with self.phone.lock:
            if self.stalled or self.drop:
                return []
            try:
                messages = self.reader.feed(data)
            except ProtocolError as e:
                raise Disconnect() from e  # adbd drops a link that breaks the protocol
            self._out = []
            for message in messages:
                self._handle(message)
                if self.stalled or self.drop:
                    break
            out, self._out = self._out, []
            return out

    def expired(self) -> bool:
        """True when the link should end now (the phone changed mode, or minadbd gave up waiting)."""
        with self.phone.lock:
            if self.drop or self.epoch != self.phone.epoch:
                return True
            if self.linger_until is not None and time.monotonic() > self.linger_until:
                self.leave_sideload()
                return True
            return False

    def close(self) -> None:
        """The link went away: an unfinished sideload fails, as it does when the cable is pulled."""
        with self.phone.lock:
            for stream in list(self.streams.values()):
                if isinstance(stream, (_SideloadHost, _LegacySideload)):
                    stream.on_close()
            self.streams.clear()

    def emit(self, command: int, arg0: int, arg1: int, data: bytes = b"") -> None:
        self._out.append(encode(command, arg0, arg1, data, with_checksum=needs_checksum(self.version)))

    def leave_sideload(self) -> None:
        """minadbd exits: back to the recovery's menu (or a reboot after sideload-auto-reboot)."""
        phone = self.phone
        self.drop = True
        self.linger_until = None
        if phone.mode != SIDELOAD or phone.epoch != self.epoch:
            return
        if phone.state.get("sideload_auto_reboot"):
            phone.reboot("system")
        else:
            phone.set_mode(RECOVERY)

    # --- messages -----------------------------------------------------------------------------

    def _handle(self, message: Message) -> None:
        command = message.command
        if command == A_CNXN:
            self._connect(message)
        elif command == A_AUTH:
            self._auth(message)
        elif not self.online:
            return  # adbd ignores everything else until the host is in
        elif command == A_OPEN:
            self._open(message)
        elif command == A_OKAY:
            stream = self.streams.get(message.arg1)
            if stream is not None:
                stream.on_ack()
        elif command == A_WRTE:
            self._write(message)
        elif command == A_CLSE:
            stream = self.streams.pop(message.arg1, None)
            if stream is not None:
                stream.on_close()

    def _connect(self, message: Message) -> None:
        self.version, self.max_payload = negotiate(self.own_version, self.own_max, message.arg0, message.arg1)
        self.reader.max_payload = self.max_payload
        self.reader.verify_checksum = needs_checksum(self.version)
        self.streams.clear()
        self.online = False
        if self.auth_required:
            self._send_token()
        else:
            self._send_cnxn()

    def _send_token(self) -> None:
        self.token = os.urandom(TOKEN_SIZE)
        self.emit(A_AUTH, AUTH_TOKEN, 0, self.token)

    def _send_cnxn(self) -> None:
        self.online = True
        self.emit(A_CNXN, self.version, self.max_payload, self.recovery.banner(self.mode))

    def _auth(self, message: Message) -> None:
        if self.online or self.token is None:
            return
        if message.arg0 == AUTH_SIGNATURE:
            token = self.token
            if any(pubkey.verify(n, e, token, message.data) for n, e in self.recovery.trusted_keys()):
                self._send_cnxn()
            else:
                self._send_token()
        elif message.arg0 == AUTH_RSAPUBLICKEY and self.recovery.trust(message.data):
            self._send_cnxn()

    def _open(self, message: Message) -> None:
        service = message.data.rstrip(b"\0").decode("utf-8", "replace")
        remote = message.arg0
        self.phone.commands_received.append(service)
        if message.arg1 != 0 or not remote:
            self.emit(A_CLSE, 0, remote)  # delayed_ack was never agreed
            return
        if self._fault(service, remote):
            return
        if self.mode == RECOVERY:
            opened = self._open_recovery(service, remote)
        else:
            opened = self._open_sideload(service, remote)
        if not opened:
            self.emit(A_CLSE, 0, remote)

    def _new_stream(self, cls: type[_Stream], remote: int) -> _Stream:
        stream = cls(self, self.next_id, remote)
        self.next_id += 1
        self.streams[stream.local] = stream
        self.emit(A_OKAY, stream.local, remote)
        return stream

    def _open_recovery(self, service: str, remote: int) -> bool:
        if service.startswith("shell:"):
            shell = self._new_stream(_Shell, remote)
            assert isinstance(shell, _Shell)
            shell.start(service[len("shell:") :])
            return True
        if service.startswith("reboot:"):
            return self._reboot(service[len("reboot:") :], remote, _RECOVERY_REBOOTS)
        return False

    def _open_sideload(self, service: str, remote: int) -> bool:
        legacy = self.recovery.options.legacy
        if service.startswith("sideload-host:") and not legacy:
            fields = service.split(":")[1:]
            if len(fields) != 2 or not all(f.isdigit() for f in fields):
                return False
            size, block_size = int(fields[0]), int(fields[1])
            blocks = -(-size // block_size) if block_size else 0
            if not size or not MIN_BLOCK_SIZE <= block_size <= MAX_BLOCK_SIZE or blocks > MAX_BLOCKS:
                return False
            stream = self._new_stream(_SideloadHost, remote)
            assert isinstance(stream, _SideloadHost)
            stream.start(size, block_size)
            return True
        if service.startswith("sideload:"):
            size_text = service[len("sideload:") :]
            if not legacy:
                # Modern minadbd exits: "You need adb 1.0.32 or newer to sideload to this device."
                self.leave_sideload()
                return False
            if not size_text.isdigit() or not int(size_text):
                return False
            legacy_stream = self._new_stream(_LegacySideload, remote)
            assert isinstance(legacy_stream, _LegacySideload)
            legacy_stream.start(int(size_text))
            return True
        if service.startswith("reboot:"):
            return self._reboot(service[len("reboot:") :], remote, _SIDELOAD_REBOOTS)
        return False

    def _reboot(self, target: str, remote: int, allowed: tuple[str, ...]) -> bool:
        if target not in allowed:
            return False
        stream = self._new_stream(_Stream, remote)
        self.streams.pop(stream.local, None)
        self.emit(A_CLSE, stream.local, remote)
        self.phone.reboot(target or "system")
        self.drop = True
        return True

    def _write(self, message: Message) -> None:
        stream = self.streams.get(message.arg1)
        if stream is None:
            return
        if isinstance(stream, (_SideloadHost, _LegacySideload)) and self._data_fault(len(message.data)):
            return
        self.emit(A_OKAY, stream.local, stream.remote)
        stream.on_data(message.data)

    # --- faults ---------------------------------------------------------------------------------

    def _fault(self, service: str, remote: int) -> bool:
        """Apply a fault for this OPEN; True when it took the place of the normal answer."""
        for fault in self.phone.faults:
            if fault.after_bytes is None and fault.matches_command(service):
                if fault.kind == "disconnect":
                    raise Disconnect()
                if fault.kind == "stall":
                    self.stalled = True
                    return True
                if fault.kind == "fail":
                    self.emit(A_CLSE, 0, remote)
                    return True
                if fault.kind == "garbage":
                    self._out.append(b"\x17\x03\x01garbage that is not adb at all")
                    return True
        return False

    def _data_fault(self, size: int) -> bool:
        phone = self.phone
        for fault in phone.faults:
            if fault.after_bytes is None or fault.fired:
                continue
            if phone.download_bytes_seen + size >= fault.after_bytes:
                fault.fired = True
                if fault.kind == "disconnect":
                    raise Disconnect()
                self.stalled = True
                return True
        phone.download_bytes_seen += size
        return False

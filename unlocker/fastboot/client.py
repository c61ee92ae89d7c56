"""FastbootClient: every fastboot command as a method, over any Transport.

Guarantees: commands are at most 64 bytes; INFO/TEXT are passed to ``on_info`` and restart
the response timer, within a budget (a phone that talks forever is stopped); FAIL raises
FastbootFailure carrying the phone's own words (terminal escapes made visible); anything that
is not a fastboot status, or longer than 256 bytes, raises ProtocolError; data phases stream
from file objects so images never sit whole in memory; every wait has a deadline, and a
timeout says which phase stalled.
"""

from __future__ import annotations

import io
import os
import stat
import time

from unlocker.errors import FastbootFailure, ProtocolError, TransportTimeout, VariableUnknown
from unlocker.fastboot.failures import hint_for_failure
from unlocker.fastboot.protocol import (
    LONG_TIMEOUT,
    MAX_DOWNLOAD,
    MAX_RESPONSE_SIZE,
    RESPONSE_TIMEOUT,
    Packet,
    Status,
    encode_command,
    parse_packet,
)
from unlocker.fastboot.variables import parse_getvar_all_line, parse_number
from unlocker.i18n import _
from unlocker.record import Record
from unlocker.transport.base import Transport

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import BinaryIO
else:
    # The aliases below stay importable at run time, as they were. os has loaded _collections_abc
    # already; collections.abc would import the whole collections package.
    from _collections_abc import Callable

ProgressCallback = Callable[[int], None]  # called with the number of bytes just sent
InfoCallback = Callable[[str], None]

# INFO/TEXT restart the wait for the final answer (AOSP HandleResponse), but only within a
# budget: a command may run this many times its timeout, and send this many lines, in total.
INFO_TIME_FACTOR = 4
MAX_INFO_LINES = 10_000

# File ranges at least this long go to the transport's send_file (the kernel moves them); shorter
# ones are copied into the send buffer, where one write carries many of them.
SEND_FILE_MIN = 64 * 1024
GATHER_BUFFER = 1024 * 1024

# Messages bootloaders use for "no such variable" (ABL, fastbootd, older AOSP).
_UNKNOWN_VARIABLE_MARKERS = ("not found", "unknown variable", "variable not", "invalid variable")


class Response(Record):
    """The outcome of one command: OKAY payload plus every INFO/TEXT line seen on the way."""

    value: str
    info: list[str]


class FastbootClient:
    """A fastboot session with one phone. Not thread-safe: one command at a time, like the wire."""

    def __init__(
        self,
        transport: Transport,
        *,
        response_timeout: float = RESPONSE_TIMEOUT,
        long_timeout: float = LONG_TIMEOUT,
        on_info: InfoCallback | None = None,
    ) -> None:
        self.transport = transport
        self.response_timeout = response_timeout
        self.long_timeout = long_timeout
        self.on_info = on_info
        self._closers: list[Callable[[], None]] = []

    @property
    def name(self) -> str:
        return self.transport.name

    def close(self) -> None:
        """Close the transport, then run what :meth:`close_with` registered (once)."""
        try:
            self.transport.close()
        finally:
            closers, self._closers = self._closers, []
            for closer in closers:
                closer()

    def close_with(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` when this session closes (e.g. release the phone's lock)."""
        self._closers.append(callback)

    def __enter__(self) -> FastbootClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- core ---------------------------------------------------------------------------------

    def _send_command(self, command: str) -> None:
        self.transport.write(encode_command(command))

    def _read_packet(self, timeout: float) -> Packet:
        raw = self.transport.read(MAX_RESPONSE_SIZE + 1, timeout)
        if len(raw) > MAX_RESPONSE_SIZE:
            raise ProtocolError(
                _("{phone}: a reply longer than {limit} bytes; fastboot replies are never that long").format(
                    phone=self.name, limit=MAX_RESPONSE_SIZE
                ),
                hint=_("This is not a fastboot phone, or the connection is garbled: replug and retry."),
            )
        return parse_packet(raw, device=self.name)

    def _await(
        self, command: str, timeout: float, *, expect_data: bool = False, after_data: int | None = None
    ) -> tuple[Packet, list[str]]:
        """Read until a final status; each INFO/TEXT restarts the timer (AOSP HandleResponse), within
        the INFO budget. ``after_data``: the byte count just sent, for the timeout's message."""
        info: list[str] = []
        start = time.monotonic()
        budget_end = start + timeout * INFO_TIME_FACTOR
        deadline = start + timeout
        while True:
            now = time.monotonic()
            if now >= budget_end:
                raise self._talking_too_long(command, now - start)
            remaining = min(deadline, budget_end) - now
            if remaining <= 0:
                raise self._timeout(command, timeout, after_data)
            try:
                packet = self._read_packet(remaining)
            except TransportTimeout as e:
                if time.monotonic() >= budget_end:
                    raise self._talking_too_long(command, time.monotonic() - start) from e
                raise self._timeout(command, timeout, after_data) from e
            status = packet.status
            if status == Status.INFO or status == Status.TEXT:
                info.append(packet.payload)
                if len(info) > MAX_INFO_LINES:
                    raise ProtocolError(
                        _(
                            "{phone}: '{command}' sent more than {count} message lines without finishing"
                        ).format(phone=self.name, command=command, count=MAX_INFO_LINES),
                        hint=_("The phone is misbehaving: reboot it to fastboot mode and retry."),
                    )
                if self.on_info:
                    self.on_info(packet.payload)
                deadline = time.monotonic() + timeout
                continue
            if status == Status.FAIL:
                raise self._failure(command, packet.payload)
            if status == Status.DATA and not expect_data:
                raise ProtocolError(
                    _("{phone}: unexpected DATA reply to '{command}'").format(
                        phone=self.name, command=command
                    )
                )
            if status == Status.OKAY and expect_data:
                raise ProtocolError(
                    _("{phone}: phone answered OKAY where '{command}' needs DATA").format(
                        phone=self.name, command=command
                    )
                )
            return packet, info

    def _timeout(self, command: str, timeout: float, after_data: int | None = None) -> TransportTimeout:
        if after_data is None:
            message = _("{phone}: no answer to '{command}' within {seconds} s")
        else:
            message = _(
                "{phone}: the phone received all {size} bytes of '{command}' but did not confirm "
                "them within {seconds} s"
            )
        return TransportTimeout(
            message.format(phone=self.name, command=command, seconds=f"{timeout:g}", size=after_data),
            hint=_("Check that the phone still shows the fastboot screen and the cable is firm, then retry."),
        )

    def _talking_too_long(self, command: str, seconds: float) -> TransportTimeout:
        return TransportTimeout(
            _("{phone}: '{command}' kept sending messages for {seconds} s without finishing").format(
                phone=self.name, command=command, seconds=f"{seconds:.0f}"
            ),
            hint=_("The phone is misbehaving: reboot it to fastboot mode and retry."),
        )

    def _failure(self, command: str, message: str) -> FastbootFailure:
        if command.startswith("getvar:") and _names_unknown_variable(message):
            # The usual answer for a variable this bootloader does not publish: nothing to explain.
            return VariableUnknown(command, message, device=self.name)
        return FastbootFailure(command, message, explain=hint_for_failure, device=self.name)

    def command(self, command: str, *, timeout: float | None = None) -> Response:
        """Send a command with no data phase and return its response."""
        self._send_command(command)
        packet, info = self._await(command, timeout or self.response_timeout)
        return Response(packet.payload, info)

    # --- variables ----------------------------------------------------------------------------

    def getvar(self, name: str) -> str:
        """The variable's value; raises VariableUnknown when the bootloader does not publish it."""
        return self.command(f"getvar:{name}").value.strip()

    def try_getvar(self, name: str) -> str | None:
        """The value, or None when unknown or empty (older bootloaders answer an empty OKAY)."""
        try:
            value = self.getvar(name)
        except FastbootFailure:
            return None
        return value or None

    def getvar_int(self, name: str) -> int | None:
        return parse_number(self.try_getvar(name))

    def getvar_all(self) -> dict[str, str]:
        """Every variable the phone lists, keyed 'name' or 'name:arg'."""
        response = self.command("getvar:all")
        result: dict[str, str] = {}
        for line in response.info:
            parsed = parse_getvar_all_line(line)
            if parsed:
                result[parsed[0]] = parsed[1]
        return result

    # --- data phases --------------------------------------------------------------------------

    def download(
        self,
        source: BinaryIO | bytes,
        size: int | None = None,
        *,
        progress: ProgressCallback | None = None,
    ) -> Response:
        """Send ``size`` bytes from ``source`` (a file object read in chunks, or bytes)."""
        if isinstance(source, (bytes, bytearray, memoryview)):
            size = len(source) if size is None else size
            source = io.BytesIO(source)
        if size is None:
            size = _remaining_size(source)
        if size > MAX_DOWNLOAD:
            raise ProtocolError(
                _("{phone}: a single download is limited to 4 GiB; got {size} bytes").format(
                    phone=self.name, size=size
                )
            )
        command = f"download:{size:08x}"
        self._send_command(command)
        packet, _info = self._await(command, self.response_timeout, expect_data=True)
        if packet.data_size != size:
            raise ProtocolError(
                _("{phone}: asked to send {size} bytes, phone is ready for {ready}").format(
                    phone=self.name, size=size, ready=packet.data_size
                )
            )
        self._stream(source, size, progress, command)
        packet, info = self._await(command, self.long_timeout, after_data=size)
        return Response(packet.payload, info)

    def _stream(
        self, source: BinaryIO, size: int, progress: ProgressCallback | None, command: str = "download"
    ) -> None:
        segments = _file_segments(source, size) if self.transport.sends_files else None
        if segments is not None:
            self._stream_segments(*segments, size, progress, command)
            return
        chunk = min(self.transport.max_write_size, size) or 1
        buffer = bytearray(chunk)
        view = memoryview(buffer)
        left = size
        readinto = getattr(source, "readinto", None)
        while left:
            want = min(chunk, left)
            if readinto is not None:
                got = readinto(view[:want])
                data = view[:got]
            else:
                data = source.read(want)
                got = len(data)
            if not got:
                raise self._ended_early(left)
            self._write(data, command, size - left, size)
            left -= got
            if progress:
                progress(got)

    def _stream_segments(
        self,
        file: BinaryIO,
        segments: Iterable[bytes | tuple[int, int]],
        size: int,
        progress: ProgressCallback | None,
        command: str,
    ) -> None:
        """Send literal parts and (offset, length) ranges of ``file``: large ranges by the transport's
        ``send_file`` (the kernel moves them), the rest gathered in one buffer, one write per fill."""
        chunk = self.transport.max_write_size
        # Only headers and short ranges pass through it, so it can be smaller than a write may be.
        # Made at the first such part: an image sent whole as one range never needs it, and a fresh
        # megabyte costs its page faults (about a millisecond) before the first byte is sent.
        gather_size = min(chunk, size, GATHER_BUFFER) or 1
        view = memoryview(b"")
        fill = 0
        done = 0  # bytes handed to the transport

        def flush() -> None:
            nonlocal fill, done
            if fill:
                self._write(view[:fill], command, done, size)
                done += fill
                if progress:
                    progress(fill)
                fill = 0

        for part in segments:
            if isinstance(part, tuple):
                offset, length = part
                if length >= SEND_FILE_MIN:
                    flush()
                    while length:
                        n = min(chunk, length)
                        try:
                            got = self.transport.send_file(file, offset, n)
                        except TransportTimeout as e:
                            raise self._stalled(e, command, done, size) from e
                        if got < n:
                            raise self._ended_early(size - done - got)
                        done += n
                        offset += n
                        length -= n
                        if progress:
                            progress(n)
                    continue
                if not view:
                    view = memoryview(bytearray(gather_size))
                while length:
                    if fill == len(view):
                        flush()
                    n = min(length, len(view) - fill)
                    got = _read_at(file, view[fill : fill + n], offset)
                    if not got:
                        raise self._ended_early(size - done - fill)
                    fill += got
                    offset += got
                    length -= got
                continue
            data = memoryview(part)
            if data and not view:
                view = memoryview(bytearray(gather_size))
            while data:
                if fill == len(view):
                    flush()
                n = min(len(data), len(view) - fill)
                view[fill : fill + n] = data[:n]
                fill += n
                data = data[n:]
        flush()
        if done != size:
            raise self._ended_early(size - done)

    def _write(self, data: bytes | bytearray | memoryview, command: str, sent: int, size: int) -> None:
        try:
            self.transport.write(data)
        except TransportTimeout as e:
            raise self._stalled(e, command, sent, size) from e

    def _stalled(self, e: TransportTimeout, command: str, sent: int, size: int) -> TransportTimeout:
        return TransportTimeout(
            _(
                "{phone}: sending the data of '{command}' stalled after {sent} of {size} bytes: "
                "the phone stopped reading"
            ).format(phone=self.name, command=command, sent=sent, size=size),
            hint=e.hint,
        )

    def _ended_early(self, left: int) -> ProtocolError:
        return ProtocolError(
            _("{phone}: the image ended {left} bytes early while sending").format(phone=self.name, left=left),
            hint=_("The file changed or is truncated; check it and retry."),
        )

    def upload(self, sink: BinaryIO, command: str = "upload") -> int:
        """Receive a device-to-host data phase (``upload`` or ``fetch:...``) into ``sink``."""
        self._send_command(command)
        packet, _info = self._await(command, self.response_timeout, expect_data=True)
        left = packet.data_size
        total = left
        while left:
            data = self.transport.read(min(left, 1024 * 1024), self.response_timeout)
            sink.write(data)
            left -= len(data)
        self._await(command, self.response_timeout)
        return total

    # --- commands -----------------------------------------------------------------------------

    def flash(self, partition: str) -> Response:
        return self.command(f"flash:{partition}", timeout=self.long_timeout)

    def erase(self, partition: str) -> Response:
        return self.command(f"erase:{partition}", timeout=self.long_timeout)

    def boot(self) -> Response:
        return self.command("boot")

    def continue_boot(self) -> Response:
        return self.command("continue")

    def reboot(self, target: str | None = None) -> Response:
        """Reboot to the system, or to 'bootloader', 'recovery' or 'fastboot' (fastbootd)."""
        if target in (None, "", "system"):
            return self.command("reboot")
        if target not in ("bootloader", "recovery", "fastboot"):
            raise ValueError(f"unknown reboot target {target!r}")
        return self.command(f"reboot-{target}")

    def set_active(self, slot: str) -> Response:
        return self.command(f"set_active:{slot}")

    def oem(self, *args: str) -> Response:
        return self.command("oem " + " ".join(args))

    def flashing(self, *args: str) -> Response:
        return self.command("flashing " + " ".join(args))

    def stage(self, source: BinaryIO | bytes, size: int | None = None) -> Response:
        """Stage data for the next command (the CLI's `fastboot stage`): a plain download."""
        return self.download(source, size)


def _file_segments(source: object, size: int) -> tuple[BinaryIO, Iterable[bytes | tuple[int, int]]] | None:
    """What ``source`` sends as file ranges: a stream that offers them (``file_segments``), or a
    file on disk sent from where it stands; None when its bytes must be read through Python."""
    offered = getattr(source, "file_segments", None)
    if offered is not None:
        return offered()
    try:
        fileno = source.fileno()  # type: ignore[attr-defined]
        if not stat.S_ISREG(os.fstat(fileno).st_mode):
            return None
        position = source.tell()  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    return source, [(position, size)]  # type: ignore[return-value]


def _read_at(file: BinaryIO, buffer: memoryview, offset: int) -> int:
    """Bytes of ``file`` from ``offset`` into ``buffer``: one pread where the system has it, a seek
    and a read elsewhere (Windows has no os.preadv)."""
    if hasattr(os, "preadv"):
        return os.preadv(file.fileno(), [buffer], offset)
    file.seek(offset)
    return file.readinto(buffer) or 0


def _names_unknown_variable(message: str) -> bool:
    lowered = message.lower()
    return any(m in lowered for m in _UNKNOWN_VARIABLE_MARKERS)


def _remaining_size(source: BinaryIO) -> int:
    try:
        position = source.tell()
        end = os.fstat(source.fileno()).st_size
        return end - position
    except (OSError, AttributeError, io.UnsupportedOperation):
        position = source.tell()
        end = source.seek(0, io.SEEK_END)
        source.seek(position)
        return end - position

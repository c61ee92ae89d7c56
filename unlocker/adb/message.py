"""ADB's wire format: the 24-byte message header, versions, limits, and an incremental reader.

Shared by the client (:mod:`unlocker.adb.client`) and the virtual phone's adbd
(:mod:`unlocker.emulator`), so both ends read the same bytes the same way. Pure Python, no client.

Facts (AOSP adb docs/dev/protocol.md, adb.h, adb.cpp, transport.cpp; shared reference
adb-sideload.md sections 1, 2 and 9):

- a message is six little-endian uint32 ``command, arg0, arg1, data_length, data_check, magic``
  followed by ``data_length`` bytes; ``magic == command ^ 0xffffffff``;
- ``data_check`` is the byte sum of the payload (not a CRC) for version 0x01000000, and 0 once
  both sides speak 0x01000001; messages sent before the peer's CNXN always carry it;
- each side takes ``min`` of the two versions and of the two maximum payloads (at most 1 MiB);
- sideload-host: the recovery asks for blocks as 8 ASCII digits and ends with DONEDONE or FAILFAIL.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from unlocker.errors import ProtocolError
from unlocker.i18n import _

A_SYNC = 0x434E5953
A_CNXN = 0x4E584E43
A_AUTH = 0x48545541
A_OPEN = 0x4E45504F
A_OKAY = 0x59414B4F
A_CLSE = 0x45534C43
A_WRTE = 0x45545257
A_STLS = 0x534C5453

COMMAND_NAMES = {
    A_SYNC: "SYNC",
    A_CNXN: "CNXN",
    A_AUTH: "AUTH",
    A_OPEN: "OPEN",
    A_OKAY: "OKAY",
    A_CLSE: "CLSE",
    A_WRTE: "WRTE",
    A_STLS: "STLS",
}

A_VERSION_MIN = 0x01000000  # payload checksums
A_VERSION_SKIP_CHECKSUM = 0x01000001  # "skip checksum (Dec 2017)"
A_VERSION = A_VERSION_SKIP_CHECKSUM

MAX_PAYLOAD_V1 = 4096  # Android <= 4.4, and any message sent before the peer's CNXN
MAX_PAYLOAD = 1024 * 1024  # Android 9 and later

# AUTH arg0
AUTH_TOKEN = 1
AUTH_SIGNATURE = 2
AUTH_RSAPUBLICKEY = 3
TOKEN_SIZE = 20

HEADER_SIZE = 24
_HEADER = struct.Struct("<6I")

# sideload-host (recovery minadbd): block requests and the two ways the recovery ends the service.
SIDELOAD_HOST_BLOCK_SIZE = 65536
BLOCK_REQUEST_SIZE = 8
EXIT_SUCCESS = b"DONEDONE"
EXIT_FAILURE = b"FAILFAIL"
MIN_BLOCK_SIZE = 4096
MAX_BLOCK_SIZE = 4 * 1024 * 1024
MAX_BLOCKS = 1 << 18  # fuse_sideload's limit (16 GiB at 64 KiB blocks)

# The banner types a device announces in its CNXN (adb.cpp parse_banner).
BANNER_MODES = ("device", "recovery", "sideload", "rescue", "bootloader")


@dataclass(frozen=True)
class Message:
    command: int
    arg0: int
    arg1: int
    data: bytes = b""

    @property
    def name(self) -> str:
        return COMMAND_NAMES.get(self.command, f"0x{self.command:08x}")


def checksum(data: bytes | bytearray | memoryview) -> int:
    """The sum of the payload bytes as uint32: what AOSP calls the data checksum."""
    return sum(data) & 0xFFFFFFFF


def encode_header(
    command: int, arg0: int, arg1: int, data: bytes | bytearray | memoryview, *, with_checksum: bool
) -> bytes:
    check = checksum(data) if with_checksum else 0
    return _HEADER.pack(command, arg0, arg1, len(data), check, command ^ 0xFFFFFFFF)


def encode(command: int, arg0: int, arg1: int, data: bytes = b"", *, with_checksum: bool = True) -> bytes:
    """One whole message (header and payload)."""
    return encode_header(command, arg0, arg1, data, with_checksum=with_checksum) + data


@dataclass(frozen=True)
class Header:
    command: int
    arg0: int
    arg1: int
    length: int
    check: int


def parse_header(raw: bytes | bytearray | memoryview, *, peer: str, max_payload: int = MAX_PAYLOAD) -> Header:
    """Check and split one 24-byte header; anything that is not adb is a ProtocolError."""
    command, arg0, arg1, length, check, magic = _HEADER.unpack(raw)
    if magic != command ^ 0xFFFFFFFF or command not in COMMAND_NAMES:
        raise ProtocolError(
            _("{peer}: received bytes that are not an adb message ({start})").format(
                peer=peer, start=bytes(raw[:8]).hex()
            ),
            hint=_("Check the address and that the phone is in recovery or sideload mode, then retry."),
        )
    if length > max_payload:
        raise ProtocolError(
            _("{peer}: adb message of {size} bytes is over the agreed limit of {limit}").format(
                peer=peer, size=length, limit=max_payload
            ),
            hint=_("Replug the phone and retry; if it happens again, report it with the phone's model."),
        )
    return Header(command, arg0, arg1, length, check)


def negotiate(own_version: int, own_max: int, peer_version: int, peer_max: int) -> tuple[int, int]:
    """Version and maximum payload both sides use once the CNXNs crossed (transport.cpp)."""
    return min(own_version, peer_version), min(own_max, peer_max)


def needs_checksum(version: int) -> bool:
    return version < A_VERSION_SKIP_CHECKSUM


class MessageReader:
    """Turns a byte stream (TCP, or USB transfers of any size) into messages.

    ``max_payload`` and ``verify_checksum`` follow the negotiation; the owner updates them.
    """

    def __init__(self, *, peer: str, max_payload: int = MAX_PAYLOAD, verify_checksum: bool = True) -> None:
        self.peer = peer
        self.max_payload = max_payload
        self.verify_checksum = verify_checksum
        self._buffer = bytearray()
        self._header: Header | None = None

    @property
    def pending(self) -> int:
        """Bytes received but not yet part of a whole message."""
        return len(self._buffer)

    def feed(self, data: bytes | bytearray | memoryview) -> list[Message]:
        self._buffer += data
        messages = []
        buffer = self._buffer
        start = 0
        while True:
            if self._header is None:
                if len(buffer) - start < HEADER_SIZE:
                    break
                self._header = parse_header(
                    memoryview(buffer)[start : start + HEADER_SIZE],
                    peer=self.peer,
                    max_payload=self.max_payload,
                )
                start += HEADER_SIZE
            header = self._header
            if len(buffer) - start < header.length:
                break
            payload = bytes(buffer[start : start + header.length])
            start += header.length
            self._header = None
            if self.verify_checksum and checksum(payload) != header.check:
                del buffer[:start]
                raise ProtocolError(
                    _("{peer}: adb message with a wrong checksum (damaged on the way)").format(
                        peer=self.peer
                    ),
                    hint=_("Use another cable or USB port (no hub), then retry."),
                )
            messages.append(Message(header.command, header.arg0, header.arg1, payload))
        del buffer[:start]
        return messages


def encode_block_request(block: int) -> bytes:
    """What a recovery sends to ask for block ``block`` (``printf("%08u")``)."""
    return b"%08u" % block


def parse_block_request(raw: bytes) -> int | None:
    """The block number of an 8-byte request; None when the 8 bytes are not digits."""
    return int(raw) if len(raw) == BLOCK_REQUEST_SIZE and raw.isdigit() else None

"""A minimal protobuf wire-format reader: enough to read update_engine's manifest, no protoc.

The wire format (protobuf encoding spec): a message is a sequence of fields, each a varint key
``(field_number << 3) | wire_type`` followed by a value: a varint (type 0), 8 bytes (1), a
length-prefixed byte string (2, also used for sub-messages and strings) or 4 bytes (5). Groups
(3, 4) are obsolete and refused. Unknown fields are skipped, as protobuf readers do, so newer
manifests with fields we do not know still read.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from unlocker.errors import PackageError
from unlocker.i18n import _

VARINT = 0
FIXED64 = 1
LENGTH = 2
FIXED32 = 5

Field = tuple[int, int, "int | memoryview"]


def _damaged(what: str) -> PackageError:
    return PackageError(
        _("the payload manifest is damaged: {problem}").format(problem=what),
        hint=_("Download the package again; if it stays damaged, it is not a valid OTA package."),
    )


def read_varint(data: memoryview, pos: int) -> tuple[int, int]:
    """The varint at ``pos`` and the position after it."""
    result = 0
    shift = 0
    end = len(data)
    while True:
        if pos >= end:
            raise _damaged(_("a number runs past the end"))
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise _damaged(_("a number is longer than 64 bits"))


def fields(data: bytes | memoryview) -> Iterator[Field]:
    """(field number, wire type, value) for each field, in order. LENGTH values are memoryviews
    of ``data`` (no copy); the caller decodes them as a string, bytes or a sub-message."""
    view = data if isinstance(data, memoryview) else memoryview(data)
    pos = 0
    end = len(view)
    while pos < end:
        key, pos = read_varint(view, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise _damaged(_("a field has number 0"))
        if wire == VARINT:
            value, pos = read_varint(view, pos)
            yield number, wire, value
        elif wire == LENGTH:
            size, pos = read_varint(view, pos)
            if pos + size > end:
                raise _damaged(_("a field runs past the end"))
            yield number, wire, view[pos : pos + size]
            pos += size
        elif wire == FIXED64:
            if pos + 8 > end:
                raise _damaged(_("a field runs past the end"))
            yield number, wire, struct.unpack_from("<Q", view, pos)[0]
            pos += 8
        elif wire == FIXED32:
            if pos + 4 > end:
                raise _damaged(_("a field runs past the end"))
            yield number, wire, struct.unpack_from("<I", view, pos)[0]
            pos += 4
        else:
            raise _damaged(_("unsupported wire type {wire}").format(wire=wire))


def as_int(wire: int, value: int | memoryview) -> int:
    if wire == LENGTH or not isinstance(value, int):
        raise _damaged(_("a number field holds bytes"))
    return value


def as_bytes(wire: int, value: int | memoryview) -> memoryview:
    if wire != LENGTH or isinstance(value, int):
        raise _damaged(_("a text or message field holds a number"))
    return value


def as_text(wire: int, value: int | memoryview) -> str:
    try:
        return bytes(as_bytes(wire, value)).decode("utf-8")
    except UnicodeDecodeError as e:
        raise _damaged(_("a text field is not UTF-8")) from e


def as_signed64(wire: int, value: int | memoryview) -> int:
    """int64 is sent as the two's complement varint."""
    number = as_int(wire, value)
    return number - (1 << 64) if number >= 1 << 63 else number

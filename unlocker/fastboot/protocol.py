"""Wire-level constants and the parsing of single fastboot responses.

Facts: AOSP fastboot/README.md and fastboot_driver.cpp; Qualcomm ABL FastbootCmds.h.
"""

from __future__ import annotations

from unlocker.errors import ProtocolError, UsageError
from unlocker.i18n import N_, _
from unlocker.record import Record
from unlocker.transport.base import UsbInterface
from unlocker.transport.text import visible

#: Where fastboot lives on USB (AOSP fastboot.cpp match_fastboot_with_serial): ff/42/03.
FASTBOOT_USB = UsbInterface(
    0xFF,
    0x42,
    0x03,
    mode=N_("fastboot mode"),
    how_to_enter=N_("Power off the phone, hold Volume Down + Power until the fastboot screen."),
)

# ABL's MAX_FASTBOOT_COMMAND_SIZE is 64; newer AOSP allows 4096 but real bootloaders do not.
MAX_COMMAND_SIZE = 64
# FB_RESPONSE_SZ: a response never exceeds 256 bytes (4 status + 252 payload).
MAX_RESPONSE_SIZE = 256
# RESP_TIMEOUT in fastboot_driver.cpp; restarted by every INFO/TEXT.
RESPONSE_TIMEOUT = 30.0
# flash and erase may run for minutes with no INFO on eMMC phones.
LONG_TIMEOUT = 600.0
# download:%08x caps a single transfer below 4 GiB.
MAX_DOWNLOAD = 0xFFFFFFFF


class Status:
    """The four-letter status that starts every response: a packet's ``status`` is one of these."""

    OKAY = "OKAY"
    FAIL = "FAIL"
    DATA = "DATA"
    INFO = "INFO"
    TEXT = "TEXT"
    ALL = (OKAY, FAIL, DATA, INFO, TEXT)


# The status a response's first four bytes name: the same str objects as Status's.
_BY_HEAD = {status.encode("ascii"): status for status in Status.ALL}


class Packet(Record):
    status: str  # one of Status.ALL
    payload: str

    @property
    def data_size(self) -> int:
        """For DATA packets: the byte count the phone is ready for (8 hex digits)."""
        try:
            return int(self.payload, 16)
        except ValueError:
            raise ProtocolError(
                _("phone sent DATA with a bad length {length}").format(length=repr(self.payload))
            ) from None  # the int() error only repeats the payload shown here


def parse_packet(raw: bytes, *, device: str) -> Packet:
    """Split one response into status and payload; anything that is not fastboot is a ProtocolError."""
    if len(raw) < 4:
        raise ProtocolError(
            _("{phone}: truncated reply {reply} (fewer than 4 bytes)").format(phone=device, reply=repr(raw)),
            hint=_("Check the cable and that the phone is in fastboot mode, then retry."),
        )
    status = _BY_HEAD.get(raw[:4])
    if status is None:
        raise ProtocolError(
            _("{phone}: reply is not a fastboot status: {reply}").format(phone=device, reply=_preview(raw)),
            hint=_(
                "The phone or the connection answered garbage: replug the phone, reboot it to fastboot, retry."
            ),
        )
    # The payload is shown to people (FAIL reasons, INFO lines, values): never raw terminal escapes.
    # A line end some bootloaders add is not part of the text.
    return Packet(status, visible(raw[4:].decode("utf-8", errors="replace").rstrip("\r\n")))


def encode_command(command: str) -> bytes:
    data = command.encode("utf-8")
    if len(data) > MAX_COMMAND_SIZE:
        raise UsageError(
            _("fastboot command is {size} bytes; bootloaders accept at most {limit}: {start}...").format(
                size=len(data), limit=MAX_COMMAND_SIZE, start=command[:40]
            )
        )
    return data


def _preview(raw: bytes, limit: int = 40) -> str:
    text = raw[:limit].decode("ascii", errors="replace")
    printable = "".join(c if c.isprintable() else "." for c in text)
    more = "..." if len(raw) > limit else ""
    return f"'{printable}{more}'"

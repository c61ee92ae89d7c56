"""Text that came from a device, made safe to show on a terminal.

A phone (or anything pretending to be one) chooses the bytes of its replies, USB strings and
variable values. Printed as they are, escape sequences in them could rewrite the terminal,
hide lines or forge a prompt. Every such text passes :func:`visible` where it enters the
program, so whatever prints it later shows ``\\x1b[2J`` rather than obeying it.
"""

from __future__ import annotations

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\\": "\\\\"}


def _escape(char: str) -> str:
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with control and format characters (ESC, CSI, BIDI overrides, ...) shown as escapes.

    A backslash is doubled only when the text needs escaping at all, so ordinary device text
    (Windows paths included) reads exactly as the phone sent it.
    """
    if all(char.isprintable() for char in text):
        return text
    return "".join(_escape(char) if char == "\\" or _hidden(char) else char for char in text)


def _hidden(char: str) -> bool:
    import unicodedata  # only for text that is not all printable: most device text never needs it

    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")

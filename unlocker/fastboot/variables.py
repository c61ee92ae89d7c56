"""Tolerant parsing of bootloader variables, because bootloaders in the field disagree.

- Xiaomi's ABL prints max-download-size in decimal, AOSP in hex; some add whitespace
  (AOSP get_uint_var trims "spurious whitespace"), so numbers go through int(v.strip(), 0).
- getvar:all lines are 'name:value' (ABL) or 'name:arg:value' / 'name:arg: value' (fastbootd,
  Sony). Values may contain colons themselves (fingerprints), so only variables known to take an
  argument are split twice.
- Some bootloaders add a unit: MediaTek and Motorola print 'battery-voltage: 4006mV', others
  '4.006V'; :func:`parse_quantity` reads those into the unit the caller wants.
"""

from __future__ import annotations


def parse_number(value: str | None) -> int | None:
    """Integer from a variable value, hex or decimal; None when absent or unparseable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        return int(text, 0)
    except ValueError:
        pass
    # int(..., 0) rejects decimals with leading zeros ("0100"); accept them as decimal.
    try:
        return int(text, 10)
    except ValueError:
        return None


def split_quantity(text: str) -> tuple[str, str] | None:
    """A decimal number and an optional unit, ``"4006mV"``, ``"4.006 V"``, ``"4006"``: (number,
    unit), the unit ASCII letters or empty, whitespace between them; None for anything else.

    The regular expression ``([0-9]+(?:\\.[0-9]+)?)\\s*([A-Za-z]*)`` matched in full, by hand: ``re``
    costs milliseconds of start-up, and status reads a quantity every time.
    """
    end = _digits_end(text, 0)
    if not end:
        return None
    if text[end : end + 1] == "." and _digits_end(text, end + 1) > end + 1:
        end = _digits_end(text, end + 1)
    unit = text[end:].lstrip()
    if unit and not (unit.isascii() and unit.isalpha()):
        return None
    return text[:end], unit


def _digits_end(text: str, start: int) -> int:
    """Where the run of ASCII digits from ``start`` ends (str.isdigit takes other scripts' digits)."""
    end = start
    while end < len(text) and "0" <= text[end] <= "9":
        end += 1
    return end


def parse_quantity(value: str | None, base: str, *, scale: int = 0) -> int | None:
    """A measurement in units of ``10**scale`` ``base`` (millivolts: base "V", scale -3), rounded.

    A bare number is taken to be in the wanted unit already (fastbootd reports millivolts without
    a suffix); "<n><base>" and "<n>m<base>" are converted, case-insensitively. Any other suffix is
    not something we guess at: None, as for absent or unreadable values.
    """
    if value is None:
        return None
    parts = split_quantity(value.strip())
    if parts is None:
        return parse_number(value)  # hex and the other forms of plain numbers
    number, suffix = parts
    unit = suffix.lower()
    if not unit:
        exponent = 0
    elif unit == base.lower():
        exponent = -scale
    elif unit == "m" + base.lower():
        exponent = -3 - scale
    else:
        return None
    if "." not in number and exponent >= 0:
        return int(number) * 10**exponent  # exact: what phones send most (status reads it every time)
    from decimal import Decimal  # fractions: rounded as Decimal rounds, half to even

    return round(Decimal(number).scaleb(exponent))


def parse_millivolts(value: str | None) -> int | None:
    """``battery-voltage`` in millivolts: "4006", "4006mV", "4006 mV" and "4.006V" all give 4006."""
    return parse_quantity(value, "V", scale=-3)


def parse_bool(value: str | None) -> bool | None:
    """yes/no, true/false, 1/0 -> bool; anything else (absent, unknown) -> None, never a guess."""
    if value is None:
        return None
    text = value.strip().lower()
    if text in ("yes", "true", "1"):
        return True
    if text in ("no", "false", "0"):
        return False
    return None


# Variables that take an argument (AOSP constants.h); their getvar:all key is "name:arg".
ARGUMENT_VARIABLES = frozenset(
    {
        "partition-size",
        "partition-type",
        "has-slot",
        "is-logical",
        "slot-successful",
        "slot-unbootable",
        "slot-retry-count",
    }
)


def parse_getvar_all_line(line: str) -> tuple[str, str] | None:
    """One INFO line of getvar:all -> (key, value); key keeps its argument: 'partition-size:boot_a'."""
    name, sep, rest = line.strip().partition(":")
    name = name.strip()
    if not sep or not name:
        return None
    if name in ARGUMENT_VARIABLES:
        arg, sep2, value = rest.partition(":")
        if sep2:
            return f"{name}:{arg.strip()}", value.strip()
    return name, rest.strip()

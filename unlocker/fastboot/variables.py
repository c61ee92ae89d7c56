"""Tolerant parsing of bootloader variables, because bootloaders in the field disagree.

- Xiaomi's ABL prints max-download-size in decimal, AOSP in hex; some add whitespace
  (AOSP get_uint_var trims "spurious whitespace"), so numbers go through int(v.strip(), 0).
- getvar:all lines are 'name:value' (ABL) or 'name:arg:value' / 'name:arg: value' (fastbootd,
  Sony). Values may contain colons themselves (fingerprints), so only variables known to take an
  argument are split twice.
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

"""The commands ``unlocker`` runs without click: ``status`` in the forms people type.

click and the command group cost more start-up time than everything ``status`` does with a phone
on TCP (issue 15: a fast start). :func:`recognise` accepts only argument lists whose meaning is
plain (``[--lang CODE] status [-s SERIAL] [--json]``, in click's spellings); for anything else
(help, unknown or doubled words, ``--debug``, a language we do not ship) it returns None and click
parses the arguments, with its own messages. What runs is the same :func:`show_status` that the
click command calls, so both paths print the same bytes (tests/cli/test_quick_cli.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable

_SERIAL = ("-s", "--serial")


def _language(args: list[str]) -> tuple[str | None, list[str]] | None:
    """``--lang CODE`` / ``--lang=CODE`` before the command: (code or None, the rest); None if unclear."""
    if args[:1] == ["--lang"] and len(args) >= 2:
        return args[1], args[2:]
    if args and args[0].startswith("--lang="):
        return args[0].removeprefix("--lang="), args[1:]
    return None, args


def _status_options(args: list[str]) -> tuple[str | None, bool] | None:
    """(serial, as_json) from the words after ``status``; None for anything click should judge."""
    serial = None
    as_json = False
    rest = list(args)
    while rest:
        word = rest.pop(0)
        if word == "--json":
            as_json = True
        elif word in _SERIAL and rest and not rest[0].startswith("-"):
            serial = rest.pop(0)
        elif word.startswith("--serial="):
            serial = word.removeprefix("--serial=")
        elif word.startswith("-s") and not word.startswith("--") and len(word) > 2:
            serial = word[2:]
        else:
            return None
    return serial, as_json


def recognise(args: list[str]) -> Callable[[], None] | None:
    """The quick command ``args`` ask for, ready to run; None when click must parse them."""
    split = _language(args)
    if split is None:
        return None
    language, rest = split
    if rest[:1] != ["status"]:
        return None
    options = _status_options(rest[1:])
    if options is None:
        return None
    serial, as_json = options
    if serial is None:
        serial = os.environ.get("ANDROID_SERIAL") or None  # click's envvar: an empty value is unset
    if language is not None:
        from unlocker import i18n

        if not i18n.is_shipped(language):
            return None  # click says which languages there are
        i18n.set_language(language)

    def run() -> None:
        from unlocker.cli.status_view import show_status

        show_status(serial, as_json)

    return run

"""The commands ``unlocker`` runs without click: ``status`` and ``flash`` in the forms people type.

click and the command group cost more start-up time than everything ``status`` does with a phone
on TCP, and most of what a small ``flash`` costs beyond Google's fastboot (issue 15: a fast start).
:func:`recognise` accepts only argument lists whose meaning is plain, in click's spellings::

    [--lang CODE] status [-s SERIAL] [--json]
    [--lang CODE] flash PARTITION IMAGE [-s SERIAL] [--slot SLOT] [--yes] [--force-critical]
                                        [--dry-run] [--no-progress] [--json]

with the options in any order, among the arguments too. For anything else (help, unknown or
doubled options, ``--``, a value that looks like an option, a slot or a language we do not have,
an IMAGE click would refuse) it returns None and click parses the arguments, with its own
messages. What runs is the same function the click command calls (:mod:`unlocker.cli.status_view`,
:mod:`unlocker.cli.flash_view`), so both paths print the same bytes (tests/cli/test_quick_cli.py).
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    Command = Callable[[], None]

_SERIAL = {"-s": "serial", "--serial": "serial"}
# flashing.plan.SLOT_CHOICES, written out: importing the planner here would cost every command its
# start-up (a test checks the two agree).
SLOT_CHOICES = ("a", "b", "all", "other")


def _language(args: list[str]) -> tuple[str | None, list[str]]:
    """``--lang CODE`` / ``--lang=CODE`` before the command: (code or None, the rest). A bare
    ``--lang`` stays in the rest, where no command matches it."""
    if args[:1] == ["--lang"] and len(args) >= 2:
        return args[1], args[2:]
    if args and args[0].startswith("--lang="):
        return args[0].removeprefix("--lang="), args[1:]
    return None, args


def _value(word: str, names: dict[str, str]) -> tuple[str, str] | None:
    """(option, value) when ``word`` carries its option's value: ``--serial=X``, ``-sX``."""
    name, equals, value = word.partition("=")
    if equals and name.startswith("--") and name in names:
        return names[name], value
    if not word.startswith("--") and word[:2] in names and len(word) > 2:
        return names[word[:2]], word[2:]
    return None


class _Words:
    """What the words after a command say: flags set, options' values, positional arguments."""

    def __init__(self) -> None:
        self.flags: set[str] = set()
        self.values: dict[str, str] = {}
        self.arguments: list[str] = []


def _scan(words: list[str], flags: dict[str, str], valued: dict[str, str], arguments: int) -> _Words | None:
    """The words after a command, when their meaning is plain: each option once, every value
    present and not like an option, exactly ``arguments`` positional ones. None for anything click
    should judge."""
    found = _Words()
    rest = list(words)
    while rest:
        word = rest.pop(0)
        if word in flags:
            if flags[word] in found.flags:
                return None
            found.flags.add(flags[word])
            continue
        if word in valued:
            carried = (valued[word], rest.pop(0)) if rest else None
        elif word.startswith("-"):
            carried = _value(word, valued)
        else:
            found.arguments.append(word)
            continue
        if carried is None:
            return None
        name, value = carried
        if name in found.values or not value or value.startswith("-"):
            return None
        found.values[name] = value
    return found if len(found.arguments) == arguments else None


def _serial(found: _Words) -> str | None:
    # click's envvar: an empty value is unset.
    return found.values.get("serial") or os.environ.get("ANDROID_SERIAL") or None


def _status(words: list[str]) -> Command | None:
    found = _scan(words, {"--json": "as_json"}, _SERIAL, 0)
    if found is None:
        return None
    serial = _serial(found)
    as_json = "as_json" in found.flags

    def run() -> None:
        from unlocker.cli.status_view import show_status

        show_status(serial, as_json)

    return run


_FLASH_FLAGS = {
    "--yes": "yes",
    "-y": "yes",
    "--force-critical": "force_critical",
    "--dry-run": "dry_run",
    "--no-progress": "no_progress",
    "--json": "as_json",
}


def _readable_file(path: str) -> bool:
    """What click's ``Path(exists=True, dir_okay=False)`` accepts without a word (a regular file)."""
    return os.path.isfile(path) and os.access(path, os.R_OK)


def _spelled_as_pathlib_does(path: str) -> str | os.PathLike[str]:
    """``path`` spelled as ``str(pathlib.Path(path))`` spells it, which is what click's path type
    hands the ``flash`` command, so messages naming the image print the same bytes on both paths.
    POSIX spelling is done here (pathlib costs start-up, issue 15): repeated separators and "."
    parts dropped, one or two leading separators kept (POSIX gives two a meaning of their own)."""
    if os.sep != "/" or os.altsep:
        from pathlib import Path  # drives and two separators: pathlib knows them

        return Path(path)
    stripped = path.lstrip("/")
    root = "//" if len(path) - len(stripped) == 2 else "/" if stripped != path else ""
    return (root + "/".join(part for part in stripped.split("/") if part not in ("", "."))) or "."


def _flash(words: list[str]) -> Command | None:
    found = _scan(words, _FLASH_FLAGS, {**_SERIAL, "--slot": "slot"}, 2)
    if found is None:
        return None
    partition, image = found.arguments
    slot = found.values.get("slot")
    if slot is not None and slot not in SLOT_CHOICES:
        return None
    if not _readable_file(image):
        return None
    serial = _serial(found)
    flags = found.flags

    def run() -> None:
        from unlocker.cli.flash_view import flash_image

        flash_image(
            partition,
            _spelled_as_pathlib_does(image),
            slot=slot,
            serial=serial,
            yes="yes" in flags,
            force_critical="force_critical" in flags,
            dry_run="dry_run" in flags,
            no_progress="no_progress" in flags,
            as_json="as_json" in flags,
        )

    return run


_COMMANDS: dict[str, Callable[[list[str]], Command | None]] = {"status": _status, "flash": _flash}


def recognise(args: list[str]) -> Command | None:
    """The quick command ``args`` ask for, ready to run; None when click must parse them."""
    language, rest = _language(args)
    parse = _COMMANDS.get(rest[0]) if rest else None
    command = parse(rest[1:]) if parse is not None else None
    if command is None:
        return None
    if language is not None:
        from unlocker import i18n

        if not i18n.is_shipped(language):
            return None  # click says which languages there are
        i18n.set_language(language)
    return command

"""Translation: every message a person reads goes through ``_()`` (stdlib gettext).

English is the source language. Rules for wrapped messages:

- the argument of ``_()`` is one plain string literal (never an f-string), so the extractor
  (``python -m unlocker.i18n_tools extract``) can collect it; values go in through named
  placeholders: ``_("{phone}: locked").format(phone=name)``;
- tables built at import time mark their strings with ``N_()`` and translate them where they are
  shown, so the language chosen at run time applies;
- a command the person must type is a placeholder filled from :mod:`unlocker.commands`, never
  spelled inside the message, so it stays identical in every language.

Catalogues live in ``unlocker/locale/LANG/LC_MESSAGES/unlocker.mo`` (compiled from the ``.po``
sources beside them when the wheel is built, or by ``python -m unlocker.i18n_tools compile``).
The language comes from ``--lang``, then ``UNLOCKER_LANG``, then ``LANGUAGE``, ``LC_ALL``,
``LC_MESSAGES`` and ``LANG`` (gettext's order).

Right-to-left languages (Persian, Arabic): every value put into a translated message through a
placeholder - commands, paths, serial numbers, numbers, the phone's own words - is wrapped in
Unicode directional isolates (FSI ... PDI) by :meth:`Message.format`. That is the one place
mixed-direction text is handled: a terminal that implements the Unicode bidirectional algorithm
then shows `unlocker unlock` or /dev/bus/usb/001/004 as typed, inside a Persian sentence.
"""

from __future__ import annotations

import os

from unlocker import settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    import gettext as _gettext
    import string
    from pathlib import Path
    from typing import Any

DOMAIN = "unlocker"
# A str, and os.path on the way to a catalogue: pathlib costs start-up time (it imports re,
# fnmatch and urllib), and English, the usual case, reads no file at all. LOCALE_DIR, the Path
# other code uses, is made on first use (module __getattr__ below).
_LOCALE_DIR = os.path.join(os.path.dirname(__file__), "locale")
SOURCE_LANGUAGE = "en"
#: Languages written right to left (the ones we ship, and their neighbours should they come).
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "ckb"})
FSI = "\u2068"  # FIRST STRONG ISOLATE: the value takes the direction of its first letter
PDI = "\u2069"  # POP DIRECTIONAL ISOLATE

_translation: English | SortedCatalogue | None = None
_language = SOURCE_LANGUAGE


def requested_languages(explicit: str | None = None) -> list[str]:
    """The languages asked for, most wanted first: ``explicit`` (``--lang``), ``UNLOCKER_LANG``,
    then the first of LANGUAGE (a colon-separated list), LC_ALL, LC_MESSAGES, LANG that is set.

    ``C`` and ``POSIX`` mean English. Codes are as the environment spells them (``fa_IR.UTF-8``).
    """
    chosen = explicit or settings.get("UNLOCKER_LANG")
    if chosen:
        return [chosen]
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "").strip()
        if value:
            return [item for item in value.split(":") if item]
    return []


def _candidates(code: str) -> list[str]:
    """``fa_IR.UTF-8@x`` -> the catalogue names to try, most specific first (as gettext does)."""
    base = code.split("@")[0].split(".")[0]
    names = [base]
    if "_" in base:
        names.append(base.split("_")[0])
    return names


def _catalogue_file(code: str) -> tuple[str, str] | None:
    """(catalogue name, path of its .mo file) for a language code, or None when none is shipped."""
    for name in _candidates(code):
        path = os.path.join(_LOCALE_DIR, name, "LC_MESSAGES", f"{DOMAIN}.mo")
        if os.path.isfile(path):
            return name, path
    return None


def catalogue_path(code: str) -> Path | None:
    """The compiled catalogue for a language code, or None when it is not shipped (or English)."""
    found = _catalogue_file(code)
    if found is None:
        return None
    from pathlib import Path

    return Path(found[1])


def available_languages() -> list[str]:
    """English and every language with a compiled catalogue, sorted."""
    try:
        names = os.listdir(_LOCALE_DIR)
    except OSError:
        names = []
    found = {
        name
        for name in names
        if not name.startswith(".")  # as the glob this replaces: hidden folders are no languages
        and os.path.exists(os.path.join(_LOCALE_DIR, name, "LC_MESSAGES", f"{DOMAIN}.mo"))
    }
    return [SOURCE_LANGUAGE, *sorted(found - {SOURCE_LANGUAGE})]


def resolve(languages: list[str]) -> str:
    """The first language of ``languages`` we can speak (``en`` when none)."""
    for code in languages:
        if code in ("C", "POSIX") or code.lower().startswith(("c.", "en")):
            return SOURCE_LANGUAGE
        found = _catalogue_file(code)
        if found is not None:
            return found[0]
    return SOURCE_LANGUAGE


def set_language(language: str | None) -> str:
    """Switch the catalogue (``None``: from the environment); returns the language now used.

    Unknown languages fall back to English (:func:`is_shipped` tells whether one is known).
    """
    global _translation, _language
    _language = resolve(requested_languages(language))
    found = _catalogue_file(_language) if _language != SOURCE_LANGUAGE else None
    if found is None:
        _translation = English()
    else:
        with open(found[1], "rb") as f:
            _translation = SortedCatalogue(f.read())
    return _language


class English:
    """The source language: every message is its own translation (gettext's NullTranslations,
    without importing gettext, which compiles regular expressions at import: issue 15)."""

    def gettext(self, message: str) -> str:
        return message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return msgid1 if n == 1 else msgid2


# The magic number that starts a little-endian .mo file (gettext.GNUTranslations.LE_MAGIC).
_MO_MAGIC = 0x950412DE


class SortedCatalogue:
    """A compiled ``.mo`` catalogue, each message looked up where it lies in the file.

    GNUTranslations decodes all of a catalogue's ~1,300 entries when it opens it, which costs a
    command as much start-up time as connecting to the phone; a command shows a few dozen messages.
    The format keeps the messages sorted (``i18n_po.mo_bytes`` and msgfmt both sort them), so
    :meth:`gettext` finds one by binary search (the texts are UTF-8, as ``i18n_po`` writes them). Plural forms go to GNUTranslations, built on the
    first :meth:`ngettext`, which also reads the catalogue's Plural-Forms rule.
    """

    def __init__(self, data: bytes) -> None:
        import struct  # here: English, the usual language, reads no catalogue

        self._data = data
        magic = struct.unpack_from("<I", data)[0]
        order = "<" if magic == _MO_MAGIC else ">"
        if struct.unpack_from(order + "I", data)[0] != _MO_MAGIC:
            raise OSError(0, "Bad magic number")
        self._count, ids_at, strs_at = struct.unpack_from(order + "3I", data, 8)
        self._ids = struct.unpack_from(f"{order}{2 * self._count}I", data, ids_at)  # (length, offset)*
        self._strs = struct.unpack_from(f"{order}{2 * self._count}I", data, strs_at)
        self._plurals: _gettext.GNUTranslations | None = None

    def _lookup(self, key: bytes) -> str | None:
        ids, data = self._ids, self._data
        low, high = 0, self._count
        while low < high:
            middle = (low + high) // 2
            length, offset = ids[2 * middle], ids[2 * middle + 1]
            found = data[offset : offset + length]
            if found == key:
                length, offset = self._strs[2 * middle], self._strs[2 * middle + 1]
                return data[offset : offset + length].decode("utf-8")
            if found < key:
                low = middle + 1
            else:
                high = middle
        return None

    def gettext(self, message: str) -> str:
        found = self._lookup(message.encode("utf-8"))
        return message if found is None else found

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        if self._plurals is None:
            import gettext
            import io

            self._plurals = gettext.GNUTranslations(io.BytesIO(self._data))
        return self._plurals.ngettext(msgid1, msgid2, n)


def is_shipped(code: str) -> bool:
    """Whether ``code`` names English or a language we have a catalogue for."""
    return code in ("C", "POSIX") or code.lower().startswith("en") or _catalogue_file(code) is not None


def _active() -> English | SortedCatalogue:
    if _translation is None:
        set_language(None)
    assert _translation is not None
    return _translation


def language() -> str:
    """The language messages are shown in now: ``en``, ``es``, ``fa``, ..."""
    _active()
    return _language


def is_rtl() -> bool:
    return language() in RTL_LANGUAGES


def isolate(text: str) -> str:
    """``text`` marked as a unit of its own direction in a right-to-left language (else as is)."""
    return f"{FSI}{text}{PDI}" if text and is_rtl() else text


_isolating: string.Formatter | None = None


def _isolating_formatter() -> string.Formatter:
    """str.format, each substituted value (after its !r/!s conversion and format spec) isolated.

    Made on first use: the ``string`` module compiles a regular expression at import, a cost
    only right-to-left languages need to pay."""
    global _isolating
    if _isolating is None:
        import string

        class IsolatingFormatter(string.Formatter):
            def format_field(self, value: Any, format_spec: str) -> str:
                return isolate(format(value, format_spec))

        _isolating = IsolatingFormatter()
    return _isolating


class Message(str):
    """A translated message; ``.format()`` isolates every value in right-to-left languages."""

    __slots__ = ()

    def format(self, *args: Any, **kwargs: Any) -> str:
        if is_rtl():
            return Message(_isolating_formatter().vformat(str(self), args, kwargs))
        return Message(str.format(self, *args, **kwargs))


def _(message: str) -> Message:
    """The translation of ``message`` in the current language (the message itself in English)."""
    return Message(_active().gettext(message))


def ngettext(singular: str, plural: str, n: int) -> Message:
    """The singular or plural form for ``n``, translated."""
    return Message(_active().ngettext(singular, plural, n))


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it now (tables built at import time)."""
    return message


def __getattr__(name: str) -> Any:
    if name == "LOCALE_DIR":  # the folder of the catalogues, as a Path (i18n_tools, tests)
        from pathlib import Path

        return Path(_LOCALE_DIR)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

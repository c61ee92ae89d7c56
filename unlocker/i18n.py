"""Translation: every message a person reads goes through ``_()`` (stdlib gettext).

English is the source language. Rules for wrapped messages:

- the argument of ``_()`` is one plain string literal (never an f-string), so xgettext can
  collect it; values go in through named placeholders: ``_("{phone}: locked").format(phone=name)``;
- tables built at import time mark their strings with ``N_()`` and translate them where they are
  shown, so the language chosen at run time applies;
- a command the person must type is a placeholder filled from :mod:`unlocker.commands`, never
  spelled inside the message, so it stays identical in every language.

Catalogues live in ``unlocker/locale/LANG/LC_MESSAGES/unlocker.mo``; the language comes from
``UNLOCKER_LANG``, then ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` (gettext's order).
"""

from __future__ import annotations

import gettext as _gettext
from pathlib import Path

from unlocker import settings

DOMAIN = "unlocker"
LOCALE_DIR = Path(__file__).parent / "locale"

_translation: _gettext.NullTranslations | None = None


def _languages() -> list[str] | None:
    chosen = settings.get("UNLOCKER_LANG")
    return [chosen] if chosen else None  # None: gettext reads LANGUAGE, LC_ALL, LC_MESSAGES, LANG


def set_language(language: str | None) -> None:
    """Switch the catalogue (``None``: from the environment). Unknown languages fall back to English."""
    global _translation
    languages = [language] if language else _languages()
    _translation = _gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=languages, fallback=True)


def _active() -> _gettext.NullTranslations:
    if _translation is None:
        set_language(None)
    assert _translation is not None
    return _translation


def _(message: str) -> str:
    """The translation of ``message`` in the current language (the message itself in English)."""
    return _active().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, translated."""
    return _active().ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it now (tables built at import time)."""
    return message

"""The knowledge base: what the messages that stop people mean and what to do, in their language.

One data file, ``knowledge.yaml`` beside this module, one entry per problem: the patterns it
matches (bootloader replies, adb and recovery messages, Windows driver errors, the region-lock
screen), the Mi Unlock server codes it explains, and in every language a title, what it means,
the steps to take and a one-line hint. ``unlocker explain`` shows entries; the fastboot client
takes a failure's hint from here, the Mi Unlock flow its code explanations, and the command
line's error printer the explanation of any error it can match: one source for every
explanation.

Texts name commands through placeholders (``{unlock}``) that the entry's ``commands`` table maps
to :mod:`unlocker.commands` constants, so commands stay identical in every language; they are
filled in by :class:`unlocker.i18n.Message`, which isolates them in right-to-left languages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from unlocker import commands, i18n

DATA = Path(__file__).with_name("knowledge.yaml")
#: The languages every entry should have (English is required; the others fall back to it).
LANGUAGES = ("en", "es", "fa", "ar", "ru")
FIELDS = ("title", "meaning", "steps", "hint")

_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "`": "'"})


def normalize(text: str) -> str:
    """Lower case, one space between words, straight quotes: how pasted messages are compared."""
    return _SPACES.sub(" ", text.translate(_QUOTES)).strip().lower()


@dataclass(frozen=True)
class Explanation:
    """One entry as a person reads it, in one language, commands filled in."""

    id: str
    language: str
    title: str
    meaning: str
    steps: tuple[str, ...]
    hint: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "language": self.language,
            "title": self.title,
            "meaning": self.meaning,
            "steps": list(self.steps),
            "hint": self.hint,
        }


@dataclass(frozen=True)
class Entry:
    id: str
    patterns: tuple[re.Pattern[str], ...]
    codes: tuple[int, ...]
    errors: tuple[str, ...]
    commands: dict[str, tuple[str, ...]]
    examples: tuple[str, ...]
    texts: dict[str, dict[str, Any]]

    def match(self, normalized: str) -> re.Match[str] | None:
        """The longest match of one of the entry's patterns in already-normalized text."""
        best = None
        for pattern in self.patterns:
            for found in pattern.finditer(normalized):
                if best is None or len(found.group(0)) > len(best.group(0)):
                    best = found
        for code in self.codes:
            # Alone, or named as a code: a number in a pasted log ("10000 KB") is not a code.
            found = re.fullmatch(rf"\W*{code}\W*", normalized) or re.search(
                rf"(?:code|error|err)\W{{0,3}}{code}(?!\d)", normalized
            )
            if found and (best is None or len(found.group(0)) > len(best.group(0))):
                best = found
        return best

    def command_values(self) -> dict[str, str]:
        return {
            name: commands.show(getattr(commands, spec[0]), *spec[1:]) for name, spec in self.commands.items()
        }

    def explain(self, language: str | None = None) -> Explanation:
        """The entry in ``language`` (default: the current one), each field falling back to English."""
        language = language or i18n.language()
        chosen = self.texts.get(language) or {}
        english = self.texts["en"]
        values = self.command_values()

        def text(field: str) -> Any:
            value = chosen.get(field) or english.get(field)
            return value

        def fill(value: str) -> str:
            return i18n.Message(value).format(**values)

        steps = tuple(fill(step) for step in text("steps") or ())
        hint = text("hint") or (steps[0] if steps else "")
        used = language if chosen else i18n.SOURCE_LANGUAGE
        return Explanation(
            self.id, used, fill(text("title")), fill(text("meaning")), steps, fill(hint) if hint else ""
        )


@lru_cache(maxsize=1)
def entries() -> tuple[Entry, ...]:
    """Every entry of the shipped knowledge base, in file order."""
    return tuple(parse(load_data()))


def load_data(path: Path = DATA) -> list[dict[str, Any]]:
    import yaml  # only when an explanation is needed: most runs never load it

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=loader)  # noqa: S506 - a safe loader
    return list(data or [])


def parse(items: Iterable[dict[str, Any]]) -> list[Entry]:
    found = []
    for item in items:
        found.append(
            Entry(
                id=str(item["id"]),
                patterns=tuple(re.compile(p) for p in item.get("match") or ()),
                codes=tuple(int(c) for c in item.get("codes") or ()),
                errors=tuple(item.get("errors") or ()),
                commands={k: tuple(v) for k, v in (item.get("commands") or {}).items()},
                examples=tuple(item.get("examples") or ()),
                texts=dict(item["text"]),
            )
        )
    return found


def by_id(name: str) -> Entry | None:
    wanted = name.strip().lower()
    return next((e for e in entries() if e.id == wanted), None)


def by_code(code: int) -> Entry | None:
    return next((e for e in entries() if code in e.codes), None)


def search(text: str) -> list[Entry]:
    """The entries ``text`` matches, most specific (longest match) first.

    ``text`` may be an entry id, a server code, or a message as people paste it (with
    ``FAILED (remote: '...')`` around it, odd spacing, several lines). An entry whose match lies
    inside a longer match of another entry is left out (the longer one is more specific).
    """
    exact = by_id(text)
    if exact is not None:
        return [exact]
    normalized = normalize(text)
    hits: list[tuple[Entry, re.Match[str]]] = []
    for entry in entries():
        found = entry.match(normalized)
        if found is not None:
            hits.append((entry, found))
    hits.sort(key=lambda hit: -len(hit[1].group(0)))
    chosen: list[tuple[Entry, re.Match[str]]] = []
    for entry, found in hits:
        inside = any(
            other.start() <= found.start() and found.end() <= other.end() for _entry, other in chosen
        )
        if not inside:
            chosen.append((entry, found))
    return [entry for entry, _found in chosen]


def best(text: str) -> Entry | None:
    found = search(text)
    return found[0] if found else None


def hint_for_text(text: str) -> str | None:
    """The one-line next step for a message (a bootloader's FAIL text), in the current language."""
    entry = best(text)
    return entry.explain().hint if entry else None


def for_error(error: BaseException) -> Entry | None:
    """The entry explaining an error: by its server ``code``, the phone's own words
    (``device_message``), its class, or the words of what caused it (library and OS texts,
    which are not translated). Our own translated message is not matched: its words change with
    the language."""
    code = getattr(error, "code", None)
    if isinstance(code, int):
        entry = by_code(code)
        if entry is not None:
            return entry
    device_message = getattr(error, "device_message", None)
    if isinstance(device_message, str):
        entry = best(device_message)
        if entry is not None:
            return entry
    names = {cls.__name__ for cls in type(error).__mro__}
    for entry in entries():
        if names & set(entry.errors):
            return entry
    for cause in _causes(error):
        entry = best(str(cause))
        if entry is not None:
            return entry
    return None


def _causes(error: BaseException) -> Sequence[BaseException]:
    found: list[BaseException] = []
    current = error.__cause__ or error.__context__
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found

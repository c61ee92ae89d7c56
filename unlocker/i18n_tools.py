"""Maintain the translation catalogues (for developers and translators; pure Python, any OS).

    python -m unlocker.i18n_tools extract   # the template unlocker/locale/unlocker.pot from the code
    python -m unlocker.i18n_tools merge     # bring every LANG .po up to the template
    python -m unlocker.i18n_tools update    # both of the above
    python -m unlocker.i18n_tools compile   # .po -> .mo beside them (the wheel build does this too)
    python -m unlocker.i18n_tools check [LANG ...]  # what is missing or broken, per language
    python -m unlocker.i18n_tools new LANG  # start a catalogue for another language

Messages are found the way tests/test_i18n_wrapped.py expects them to be written: the literal
argument of ``_()``, ``N_()`` and the first two of ``ngettext()`` in every module of the package.
A comment line starting with ``# Translators:`` right above such a call is passed on to
translators. References name the file only (no line numbers), so the template changes only when
messages do, not whenever code moves. Merging keeps every translation whose message is unchanged; translations of
messages that left the code stay at the end of the file as obsolete (``#~``) entries and come
back by themselves if the message returns.
"""

from __future__ import annotations

import ast
import string
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from unlocker import i18n_po
from unlocker.i18n import DOMAIN, LOCALE_DIR
from unlocker.i18n_po import Catalogue, Entry

PACKAGE = Path(__file__).resolve().parent
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
TRANSLATORS = "# Translators:"

#: Plural rules of the languages we ship (gettext's Plural-Forms header).
PLURAL_FORMS = {
    "es": "nplurals=2; plural=(n != 1);",
    "fa": "nplurals=2; plural=(n > 1);",
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
}
LANGUAGE_NAMES = {"es": "Spanish", "fa": "Persian", "ar": "Arabic", "ru": "Russian"}


def _header_text(language: str | None) -> str:
    lines = [
        "Project-Id-Version: unlocker",
        f"Language: {language or ''}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 8bit",
        "Plural-Forms: " + (PLURAL_FORMS.get(language or "", "nplurals=INTEGER; plural=EXPRESSION;")),
    ]
    return "".join(line + "\n" for line in lines)


# --- extract --------------------------------------------------------------------------------


def _translator_comment(lines: list[str], lineno: int) -> list[str]:
    """``# Translators:`` comment lines directly above line ``lineno`` (1-based)."""
    found: list[str] = []
    index = lineno - 2
    while index >= 0 and lines[index].strip().startswith("#"):
        found.insert(0, lines[index].strip())
        index -= 1
    for position, text in enumerate(found):
        if text.startswith(TRANSLATORS):
            return [t.lstrip("#").strip() for t in found[position:]]
    return []


def messages_in_source(source: str, reference: str) -> list[Entry]:
    """The messages marked in one module, in order of appearance."""
    tree = ast.parse(source, filename=reference)
    lines = source.splitlines()
    found: list[tuple[int, Entry]] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        count = {"_": 1, "N_": 1, "ngettext": 2}.get(node.func.id)
        if count is None or len(node.args) < count:
            continue
        texts = node.args[:count]
        if not all(isinstance(t, ast.Constant) and isinstance(t.value, str) for t in texts):
            continue  # _(variable): a message marked with N_() elsewhere
        values = [t.value for t in texts]  # type: ignore[attr-defined]
        entry = Entry(
            values[0],
            msgid_plural=values[1] if count == 2 else None,
            msgstr=["", ""] if count == 2 else [""],
            extracted=_translator_comment(lines, node.lineno),
            references=[reference],
        )
        if any(i18n_po.placeholders(v) for v in values):
            entry.flags = ["python-brace-format"]
        found.append((node.lineno, entry))
    return [entry for _line, entry in sorted(found, key=lambda pair: pair[0])]


def extract(package: Path = PACKAGE) -> Catalogue:
    """The template: every marked message of the package, first appearance first."""
    by_key: dict[str, Entry] = {}
    root = package.parent
    for path in sorted(package.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        reference = path.relative_to(root).as_posix()
        for entry in messages_in_source(path.read_text(encoding="utf-8"), reference):
            known = by_key.get(entry.key)
            if known is None:
                by_key[entry.key] = entry
            else:
                known.references += [r for r in entry.references if r not in known.references]
                known.extracted += [c for c in entry.extracted if c not in known.extracted]
    header = Entry("", msgstr=[_header_text(None)])
    return Catalogue(header, list(by_key.values()))


# --- merge ----------------------------------------------------------------------------------


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def languages() -> list[str]:
    """The languages with a ``.po`` catalogue in the source tree."""
    return sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def _plural_count(language: str) -> int:
    forms = PLURAL_FORMS.get(language, "nplurals=2;")
    return int(forms.split("nplurals=")[1].split(";")[0])


def merge(template: Catalogue, catalogue: Catalogue, language: str) -> Catalogue:
    """``catalogue`` brought up to ``template``: same messages and order, translations kept."""
    old = {e.key: e for e in catalogue.entries}  # obsolete ones too: a message may come back
    entries = []
    for source in template.entries:
        previous = old.pop(source.key, None)
        plural = source.msgid_plural is not None
        msgstr = list(previous.msgstr) if previous else []
        if plural:
            msgstr = (msgstr + [""] * _plural_count(language))[: _plural_count(language)]
        else:
            msgstr = msgstr[:1] or [""]
        flags = list(source.flags)
        if previous and previous.fuzzy:
            flags.insert(0, "fuzzy")
        entries.append(
            Entry(
                source.msgid,
                msgid_plural=source.msgid_plural,
                msgstr=msgstr,
                comments=previous.comments if previous else [],
                extracted=source.extracted,
                references=source.references,
                flags=flags,
            )
        )
    for gone in old.values():
        if any(gone.msgstr):
            gone.obsolete = True
            gone.references = []
            entries.append(gone)
    header = catalogue.header if catalogue.header.msgstr[0] else Entry("", msgstr=[_header_text(language)])
    return Catalogue(header, entries)


# --- check ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    language: str
    msgid: str
    problem: str

    def __str__(self) -> str:
        text = self.msgid if len(self.msgid) < 70 else self.msgid[:67] + "..."
        return f"{self.language}: {self.problem}: {text!r}"


def _formats(text: str, names: Iterable[str]) -> bool:
    try:
        text.format(**dict.fromkeys(names, "x"))
        list(string.Formatter().parse(text))
    except (ValueError, KeyError, IndexError):
        return False
    return True


def check_catalogue(template: Catalogue, catalogue: Catalogue, language: str) -> list[Problem]:
    """Messages of ``template`` that ``catalogue`` lacks, marks fuzzy, or translates with other
    placeholders (a translation may drop a placeholder only in a plural form, never add one)."""
    problems = []
    have = catalogue.by_key()
    for source in template.entries:
        entry = have.get(source.key)
        if entry is None or not any(entry.msgstr):
            problems.append(Problem(language, source.msgid, "not translated"))
            continue
        if entry.fuzzy:
            problems.append(Problem(language, source.msgid, "fuzzy (needs review)"))
            continue
        if not all(entry.msgstr):
            problems.append(Problem(language, source.msgid, "a plural form is missing"))
            continue
        expected = i18n_po.placeholders(source.msgid)
        if source.msgid_plural is not None:
            expected |= i18n_po.placeholders(source.msgid_plural)
        for text in entry.msgstr:
            found = i18n_po.placeholders(text)
            wrong = found != expected if source.msgid_plural is None else not found <= expected
            if wrong or ("python-brace-format" in source.flags and not _formats(text, expected)):
                shown = ", ".join(sorted(found ^ expected)) or "braces"
                problems.append(Problem(language, source.msgid, f"placeholders differ ({shown})"))
                break
    return problems


def check(languages_to_check: Iterable[str] | None = None) -> list[Problem]:
    template = extract()
    problems = []
    for language in languages_to_check or languages():
        path = po_path(language)
        if not path.is_file():
            problems.append(Problem(language, "", "no catalogue"))
            continue
        problems += check_catalogue(template, i18n_po.read(path), language)
    return problems


# --- command line ---------------------------------------------------------------------------


def _main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    action, rest = argv[0], argv[1:]
    if action in ("extract", "update"):
        changed = i18n_po.write(TEMPLATE, extract())
        print(f"{TEMPLATE}: {'updated' if changed else 'unchanged'}")
    if action in ("merge", "update"):
        template = i18n_po.read(TEMPLATE)
        for language in rest or languages():
            path = po_path(language)
            merged = merge(template, i18n_po.read(path), language)
            print(f"{path}: {'updated' if i18n_po.write(path, merged) else 'unchanged'}")
    elif action == "new":
        if len(rest) != 1:
            print("usage: python -m unlocker.i18n_tools new LANG", file=sys.stderr)
            return 2
        path = po_path(rest[0])
        if path.exists():
            print(f"{path} exists already", file=sys.stderr)
            return 1
        empty = Catalogue(Entry("", msgstr=[_header_text(rest[0])]), [])
        i18n_po.write(path, merge(i18n_po.read(TEMPLATE), empty, rest[0]))
        print(f"{path}: created")
    elif action == "compile":
        for mo in i18n_po.compile_tree(LOCALE_DIR, domain=DOMAIN):
            print(mo)
    elif action == "check":
        problems = check(rest or None)
        for problem in problems:
            print(problem)
        counts = {language: 0 for language in rest or languages()}
        for problem in problems:
            counts[problem.language] = counts.get(problem.language, 0) + 1
        print(", ".join(f"{language}: {n} problem(s)" for language, n in counts.items()))
        return 1 if problems else 0
    elif action not in ("extract", "update"):
        print(f"unknown action {action!r}\n{__doc__}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

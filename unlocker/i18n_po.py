"""Read and write gettext ``.po`` catalogues and compile them to ``.mo``, in pure Python.

GNU gettext's tools are not on every computer that builds unlocker (Windows, macOS, minimal
containers), so the wheel build (``setup.py``) and ``python -m unlocker.i18n_tools`` use this
module instead of msgfmt/msgmerge. It imports nothing from unlocker, so ``setup.py`` can load it
by path before the package is installed.

Supported: msgid, msgid_plural, msgstr, msgstr[N], translator comments (``#``), extracted
comments (``#.``), references (``#:``), flags (``#,``) and obsolete entries (``#~``). Not needed
here and not supported: msgctxt.
"""

from __future__ import annotations

import array
import ast
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

MAGIC = 0x950412DE
_PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)(?:[!:][^{}]*)?\}(?!\})")


@dataclass
class Entry:
    msgid: str
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=lambda: [""])
    comments: list[str] = field(default_factory=list)  # translator comments, without "# "
    extracted: list[str] = field(default_factory=list)  # "#." comments for translators
    references: list[str] = field(default_factory=list)  # file:line
    flags: list[str] = field(default_factory=list)
    obsolete: bool = False

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        return not self.fuzzy and all(self.msgstr) and bool(self.msgstr)

    @property
    def key(self) -> str:
        return self.msgid if self.msgid_plural is None else f"{self.msgid}\0{self.msgid_plural}"


@dataclass
class Catalogue:
    header: Entry
    entries: list[Entry]

    def by_key(self) -> dict[str, Entry]:
        return {e.key: e for e in self.entries if not e.obsolete}


def placeholders(text: str) -> set[str]:
    """The named ``{placeholders}`` of a message (``{{`` and ``}}`` are literal braces)."""
    return set(_PLACEHOLDER.findall(text))


# --- reading --------------------------------------------------------------------------------


def _unquote(token: str, where: str) -> str:
    try:
        value = ast.literal_eval(token)
    except (SyntaxError, ValueError) as e:
        raise ValueError(f"{where}: not a quoted string: {token}") from e
    if not isinstance(value, str):
        raise ValueError(f"{where}: not a quoted string: {token}")
    return value


def parse(text: str, name: str = "<po>") -> Catalogue:
    """A catalogue from ``.po`` text; raises ValueError naming the line on malformed input."""
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None  # which field continuation lines extend
    pending = Entry("")  # comments seen before the next msgid

    def finish() -> None:
        nonlocal current
        if current is not None:
            entries.append(current)
        current = None

    for number, raw in enumerate(text.splitlines(), 1):
        where = f"{name}:{number}"
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            continue
        if line.startswith("#") and not obsolete:
            if current is not None and target is not None:
                finish()
                target = None
            kind, _, rest = line.partition(" ")
            if kind == "#.":
                pending.extracted.append(rest)
            elif kind == "#:":
                pending.references += rest.split()
            elif kind == "#,":
                pending.flags += [f.strip() for f in rest.split(",") if f.strip()]
            elif kind == "#":
                pending.comments.append(rest)
            continue
        keyword, _, value = line.partition(" ")
        if line.startswith('"'):
            if current is None or target is None:
                raise ValueError(f"{where}: a string outside an entry")
            part = _unquote(line, where)
            if target[0] == "msgid":
                current.msgid += part
            elif target[0] == "msgid_plural":
                current.msgid_plural = (current.msgid_plural or "") + part
            else:
                current.msgstr[target[1]] += part
            continue
        if keyword == "msgid":
            finish()
            current = Entry(
                _unquote(value, where),
                msgstr=[],
                comments=pending.comments,
                extracted=pending.extracted,
                references=pending.references,
                flags=pending.flags,
                obsolete=obsolete,
            )
            pending = Entry("")
            target = ("msgid", 0)
        elif keyword == "msgid_plural" and current is not None:
            current.msgid_plural = _unquote(value, where)
            target = ("msgid_plural", 0)
        elif keyword == "msgstr" and current is not None:
            current.msgstr = [_unquote(value, where)]
            target = ("msgstr", 0)
        elif keyword.startswith("msgstr[") and keyword.endswith("]") and current is not None:
            index = int(keyword[7:-1])
            while len(current.msgstr) <= index:
                current.msgstr.append("")
            current.msgstr[index] = _unquote(value, where)
            target = ("msgstr", index)
        elif keyword == "msgctxt":
            raise ValueError(f"{where}: msgctxt is not supported")
        else:
            raise ValueError(f"{where}: unexpected line: {raw}")
    finish()
    header = next((e for e in entries if e.msgid == "" and not e.obsolete), Entry("", msgstr=[""]))
    return Catalogue(header, [e for e in entries if e is not header])


def read(path: Path) -> Catalogue:
    return parse(path.read_text(encoding="utf-8"), str(path))


def header_fields(catalogue: Catalogue) -> dict[str, str]:
    found = {}
    for line in catalogue.header.msgstr[0].splitlines():
        key, sep, value = line.partition(":")
        if sep:
            found[key.strip()] = value.strip()
    return found


# --- writing --------------------------------------------------------------------------------


def _quote(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\t", "\\t")
        .replace("\r", "\\r")
        .replace("\n", "\\n")
    )
    return f'"{escaped}"'


def _field(keyword: str, text: str, prefix: str = "") -> list[str]:
    """``keyword "text"``, split after each newline like msgmerge does, so diffs stay readable."""
    if "\n" not in text.rstrip("\n"):
        return [f"{prefix}{keyword} {_quote(text)}"]
    pieces = text.splitlines(keepends=True)
    return [f'{prefix}{keyword} ""', *(f"{prefix}{_quote(piece)}" for piece in pieces)]


def format_entry(entry: Entry) -> str:
    prefix = "#~ " if entry.obsolete else ""
    lines = [f"# {c}".rstrip() for c in entry.comments]
    lines += [f"#. {c}" for c in entry.extracted]
    if entry.references and not entry.obsolete:
        lines.append("#: " + " ".join(entry.references))
    if entry.flags:
        lines.append("#, " + ", ".join(entry.flags))
    lines += _field("msgid", entry.msgid, prefix)
    if entry.msgid_plural is not None:
        lines += _field("msgid_plural", entry.msgid_plural, prefix)
        for index, text in enumerate(entry.msgstr):
            lines += _field(f"msgstr[{index}]", text, prefix)
    else:
        lines += _field("msgstr", entry.msgstr[0] if entry.msgstr else "", prefix)
    return "\n".join(lines)


def format_catalogue(catalogue: Catalogue) -> str:
    blocks = [format_entry(catalogue.header)]
    blocks += [format_entry(e) for e in catalogue.entries if not e.obsolete]
    blocks += [format_entry(e) for e in catalogue.entries if e.obsolete]
    return "\n\n".join(blocks) + "\n"


def write(path: Path, catalogue: Catalogue) -> bool:
    """Write ``catalogue`` to ``path``; returns whether the file changed."""
    text = format_catalogue(catalogue)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


# --- compiling ------------------------------------------------------------------------------


def mo_bytes(catalogue: Catalogue) -> bytes:
    """The GNU ``.mo`` image of the translated, non-fuzzy entries (and the header)."""
    pairs = {"": catalogue.header.msgstr[0] if catalogue.header.msgstr else ""}
    for entry in catalogue.entries:
        if entry.obsolete or not entry.translated:
            continue
        pairs[entry.key] = "\0".join(entry.msgstr)
    keys = sorted(pairs)  # sorted by msgid, as the format expects for binary search
    ids = [k.encode("utf-8") for k in keys]
    strs = [pairs[k].encode("utf-8") for k in keys]
    count = len(keys)
    ids_start = 7 * 4 + 16 * count  # header, two offset tables, then the strings
    offsets_ids: list[int] = []
    offsets_strs: list[int] = []
    blob = bytearray()
    for data in ids:
        offsets_ids += [len(data), ids_start + len(blob)]
        blob += data + b"\0"
    for data in strs:
        offsets_strs += [len(data), ids_start + len(blob)]
        blob += data + b"\0"
    header = array.array("I", [MAGIC, 0, count, 7 * 4, 7 * 4 + 8 * count, 0, 0])
    tables = array.array("I", offsets_ids + offsets_strs)
    if header.itemsize != 4:  # pragma: no cover - "I" is 4 bytes on every platform Python runs on
        raise RuntimeError("array('I') is not 32-bit here")
    return header.tobytes() + tables.tobytes() + bytes(blob)


def compile_file(po: Path, mo: Path) -> bool:
    """Compile ``po`` into ``mo``; returns whether ``mo`` changed."""
    data = mo_bytes(read(po))
    if mo.is_file() and mo.read_bytes() == data:
        return False
    mo.parent.mkdir(parents=True, exist_ok=True)
    # Atomically: another process (a parallel test worker, a running unlocker) may read it now.
    tmp = mo.with_name(f"{mo.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, mo)
    return True


def compile_tree(locale_dir: Path, out_dir: Path | None = None, domain: str = "unlocker") -> list[Path]:
    """Compile every ``LANG/LC_MESSAGES/DOMAIN.po`` under ``locale_dir`` (into ``out_dir``, same layout)."""
    written = []
    for po in sorted(locale_dir.glob(f"*/LC_MESSAGES/{domain}.po")):
        mo = (out_dir or locale_dir) / po.relative_to(locale_dir).with_suffix(".mo")
        compile_file(po, mo)
        written.append(mo)
    return written

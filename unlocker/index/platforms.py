"""Platform names: what some bootloaders report as ``getvar product`` instead of the codename.

MediaTek's LK bootloader often answers with its reference-board name (``k6895v1_64``), which
every phone on that chip shares. The data lives in ``firmware_index/platforms.yaml`` (schema
``schema/platforms.schema.json``): named platforms with where they were seen and the index's
devices known to report them, and name patterns. :func:`platform_of` reads only that small file,
so ``unlocker status`` stays fast; :func:`validate_platforms` is part of ``unlocker index
validate``.

The shipped data is also kept as a small Python table beside this module (``platform_table.py``,
made by ``python -m unlocker.index.platforms``), which :func:`platform_of` imports: ``status`` then
needs neither the YAML parser nor the schema checker, nor ``json`` (which imports ``re``), and the
table is compiled to bytecode like any module. A test keeps the table equal to the YAML.
"""

from __future__ import annotations

import os

from unlocker.i18n import _
from unlocker.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.resources.abc import Traversable
    from pathlib import Path
    from re import Match, Pattern
    from typing import Any

    from unlocker.index.yamlnodes import Issue

FILE = "platforms.yaml"
TABLE = os.path.join(os.path.dirname(__file__), "platform_table.py")
# Where a pattern's literal start ends: a character with a meaning of its own in a regular expression.
_SPECIAL = frozenset(".^$*+?{}[]()|\\")


class Platform(Record):
    """What a reported platform name is: the chip family, and which devices it may be."""

    name: str  # as the bootloader reported it
    soc_vendor: str
    soc: str | None  # None for names recognised only by a pattern
    codenames: tuple[str, ...] = ()  # devices of the index known to report it
    fastbootd_products: tuple[str, ...] = ()  # what fastbootd reported on phones where it was seen


def literal_start(source: str) -> str:
    """The text every name that ``source`` matches (from its start, as ``re.match``) begins with;
    "" when that cannot be told without the regular expression (alternatives, inline flags...)."""
    if "|" in source:
        return ""  # "^k1|x" also matches "x..."
    body = source.removeprefix("^")
    end = 0
    while end < len(body) and body[end] not in _SPECIAL:
        end += 1
    if end < len(body) and body[end] in "*?{":
        end -= 1  # that character may repeat zero times ("ab?" asks only for "a")
    return body[: max(end, 0)]


class NamePattern:
    """A regular expression for platform names, compiled on its first use and only for names that
    start with its literal start: most products cannot match, and ``re`` costs ``status`` about
    8 ms to import (issue 15: a fast start)."""

    __slots__ = ("pattern", "prefix", "_compiled")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.prefix = literal_start(pattern)
        self._compiled: Pattern[str] | None = None

    def match(self, name: str) -> Match[str] | None:
        """``re.match`` of the pattern on ``name``."""
        if not name.startswith(self.prefix):
            return None
        if self._compiled is None:
            import re

            self._compiled = re.compile(self.pattern)
        return self._compiled.match(name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NamePattern) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __repr__(self) -> str:
        return f"NamePattern({self.pattern!r})"


class Platforms(Record):
    names: dict[str, Platform]
    patterns: tuple[tuple[NamePattern, str], ...]  # (pattern, soc_vendor)
    lines: dict[str, int]  # name -> line in platforms.yaml

    def lookup(self, product: str | None) -> Platform | None:
        """The platform ``product`` names, or None when it may well be a codename."""
        if not product:
            return None
        name = product.strip()
        known = self.names.get(name) or next(
            (p for n, p in self.names.items() if n.lower() == name.lower()), None
        )
        if known is not None:
            return Platform(name, known.soc_vendor, known.soc, known.codenames, known.fastbootd_products)
        for pattern, soc_vendor in self.patterns:
            if pattern.match(name):
                return Platform(name, soc_vendor, None)
        return None


EMPTY = Platforms({}, (), {})


def read_platforms(root: Traversable | Path | None = None) -> tuple[Platforms, list[Issue]]:
    """The platform data of an index directory and its problems (a missing file is no problem:
    an index without platform names simply recognises none)."""
    # The YAML reader, the schema checker and re: only for the full read, never for platform_of.
    import re

    from unlocker.index.schema import validate_node
    from unlocker.index.shipped import shipped_root
    from unlocker.index.yamlnodes import (
        Issue,
        YamlSyntaxError,
        compose,
        get,
        line_of,
        mapping_items,
        to_python,
    )

    base = root if root is not None else shipped_root()
    entry = base.joinpath(FILE)
    if not entry.is_file():
        return EMPTY, []
    try:
        node = compose(entry.read_text(encoding="utf-8"), FILE)
    except YamlSyntaxError as e:
        return EMPTY, [e.issue]
    except UnicodeDecodeError as e:
        return EMPTY, [Issue(FILE, 0, "", _("not UTF-8 text ({reason})").format(reason=e.reason))]
    issues = validate_node(node, "platforms", FILE)
    if issues:
        return EMPTY, issues
    data: dict[str, Any] = to_python(node)
    names = {}
    lines = {}
    for name, key_node, _value in mapping_items(get(node, "names")):
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$", name):
            issues.append(
                Issue(FILE, line_of(key_node), f"names.{name}", _("is not a name a bootloader can report"))
            )
            continue
        entry_data = data["names"][name]
        lines[name] = line_of(key_node)
        names[name] = Platform(
            name,
            entry_data["soc_vendor"],
            entry_data["soc"],
            tuple(entry_data["codenames"]),
            tuple(s["fastbootd_product"] for s in entry_data["seen_on"] if s.get("fastbootd_product")),
        )
    patterns = []
    patterns_node = get(node, "patterns")
    for i, item in enumerate(data["patterns"]):
        try:
            re.compile(item["pattern"])  # refused here, rather than at a phone's status
            patterns.append((NamePattern(item["pattern"]), item["soc_vendor"]))
        except re.error as e:
            item_node = patterns_node.value[i] if patterns_node is not None else None
            issues.append(
                Issue(
                    FILE,
                    line_of(get(item_node, "pattern")),
                    f"patterns[{i}].pattern",
                    _("is not a regular expression: {problem}").format(problem=e),
                )
            )
    return Platforms(names, tuple(patterns), lines), issues


def to_table(platforms: Platforms) -> dict[str, Any]:
    """``platforms`` as the table :func:`from_table` reads back (names and patterns)."""
    return {
        "names": {
            name: {
                "soc_vendor": p.soc_vendor,
                "soc": p.soc,
                "codenames": list(p.codenames),
                "fastbootd_products": list(p.fastbootd_products),
            }
            for name, p in platforms.names.items()
        },
        "patterns": [[pattern.pattern, soc_vendor] for pattern, soc_vendor in platforms.patterns],
    }


def from_table(table: dict[str, Any]) -> Platforms:
    names = {
        name: Platform(
            name,
            entry["soc_vendor"],
            entry["soc"],
            tuple(entry["codenames"]),
            tuple(entry["fastbootd_products"]),
        )
        for name, entry in table["names"].items()
    }
    patterns = tuple((NamePattern(pattern), soc_vendor) for pattern, soc_vendor in table["patterns"])
    # No line numbers: only `index validate` reports them, from the YAML.
    return Platforms(names, patterns, {})


_shipped: Platforms | None = None


def shipped_platforms() -> Platforms:
    """The shipped platform data, from its table (problems in the YAML are reported by ``unlocker
    index validate``; should a package be built without the table, the YAML is read instead)."""
    global _shipped
    if _shipped is None:
        try:
            from unlocker.index.platform_table import TABLE as table
        except ModuleNotFoundError:
            _shipped, _issues = read_platforms()
        else:
            _shipped = from_table(table)
    return _shipped


def platform_of(product: str | None) -> Platform | None:
    """The platform a reported ``product`` names (shipped data), or None when it may be a codename."""
    return shipped_platforms().lookup(product)


def validate_platforms(
    platforms: Platforms, devices: dict[str, Any], aliases: dict[str, list[str]]
) -> list[Issue]:
    """Cross-checks with the devices: listed codenames exist, and no codename or alias of a device
    looks like a platform name (it would never be recognised as that device)."""
    from unlocker.index.yamlnodes import Issue

    issues = []
    for name, platform in platforms.names.items():
        for codename in platform.codenames:
            if codename not in devices:
                issues.append(
                    Issue(
                        FILE,
                        platforms.lines.get(name, 0),
                        f"names.{name}.codenames",
                        _("no device file {file}").format(file=f"devices/{codename}.yaml"),
                    )
                )
    for reported in [*devices, *aliases]:
        platform = platforms.lookup(reported)
        if platform is not None:
            issues.append(
                Issue(
                    FILE,
                    0,
                    "",
                    _(
                        "'{name}' is a device's codename or alias in the index, and also a platform name"
                    ).format(name=reported),
                )
            )
    return issues


def table_source(platforms: Platforms) -> str:
    """The text of ``platform_table.py`` for ``platforms``: one literal, laid out as ``ruff format``
    leaves it (every item on its own line, ending with a comma)."""
    return (
        '"""The shipped platform names (firmware_index/platforms.yaml) as unlocker status reads them.\n\n'
        "Made by `python -m unlocker.index.platforms`: edit platforms.yaml, not this file.\n"
        '"""\n\n'
        f"TABLE = {_literal(to_table(platforms), '')}\n"
    )


def _literal(value: object, indent: str) -> str:
    import json  # its strings are Python's too, double-quoted as ruff writes them

    inner = indent + "    "
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = "".join(f"{inner}{json.dumps(k)}: {_literal(v, inner)},\n" for k, v in sorted(value.items()))
        return "{\n" + items + indent + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + "".join(f"{inner}{_literal(v, inner)},\n" for v in value) + indent + "]"
    if value is None or isinstance(value, bool):
        return repr(value)  # json would write null, true, false
    return json.dumps(value)


def write_table(path: str | os.PathLike[str] = TABLE) -> None:
    """Rewrite the shipped table from the shipped ``platforms.yaml`` (after editing it)."""
    platforms, _issues = read_platforms()
    with open(path, "w", encoding="utf-8", newline="\n") as table:
        table.write(table_source(platforms))


if __name__ == "__main__":  # python -m unlocker.index.platforms: after editing platforms.yaml
    write_table()
    print(TABLE)

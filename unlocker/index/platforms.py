"""Platform names: what some bootloaders report as ``getvar product`` instead of the codename.

MediaTek's LK bootloader often answers with its reference-board name (``k6895v1_64``), which
every phone on that chip shares. The data lives in ``firmware_index/platforms.yaml`` (schema
``schema/platforms.schema.json``): named platforms with where they were seen and the index's
devices known to report them, and name patterns. :func:`platform_of` reads only that small file,
so ``unlocker status`` stays fast; :func:`validate_platforms` is part of ``unlocker index
validate``.

The shipped data is also kept as a small JSON table beside this module (``platform_table.json``,
made by ``python -m unlocker.index.platforms``), which :func:`platform_of` reads: ``status`` then
needs neither the YAML parser nor the schema checker. A test keeps the table equal to the YAML.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from unlocker.i18n import _

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from unlocker.index.yamlnodes import Issue

FILE = "platforms.yaml"
TABLE = Path(__file__).with_name("platform_table.json")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


class Platform(NamedTuple):
    """What a reported platform name is: the chip family, and which devices it may be."""

    name: str  # as the bootloader reported it
    soc_vendor: str
    soc: str | None  # None for names recognised only by a pattern
    codenames: tuple[str, ...] = ()  # devices of the index known to report it
    fastbootd_products: tuple[str, ...] = ()  # what fastbootd reported on phones where it was seen


class Platforms(NamedTuple):
    names: dict[str, Platform]
    patterns: tuple[tuple[re.Pattern[str], str], ...]  # (pattern, soc_vendor)
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
    # The YAML reader and the schema checker: only for the full read, never for platform_of.
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
        if not _NAME.match(name):
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
            patterns.append((re.compile(item["pattern"]), item["soc_vendor"]))
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
    """``platforms`` as the JSON table :func:`from_table` reads back (names and patterns)."""
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
    patterns = tuple((re.compile(pattern), soc_vendor) for pattern, soc_vendor in table["patterns"])
    # No line numbers: only `index validate` reports them, from the YAML.
    return Platforms(names, patterns, {})


@cache
def shipped_platforms() -> Platforms:
    """The shipped platform data, from its table (problems in the YAML are reported by ``unlocker
    index validate``; should a package be built without the table, the YAML is read instead)."""
    try:
        return from_table(json.loads(TABLE.read_text(encoding="utf-8")))
    except FileNotFoundError:
        platforms, _issues = read_platforms()
        return platforms


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


def write_table(path: Path = TABLE) -> None:
    """Rewrite the shipped table from the shipped ``platforms.yaml`` (after editing it)."""
    platforms, _issues = read_platforms()
    path.write_text(json.dumps(to_table(platforms), indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":  # python -m unlocker.index.platforms: after editing platforms.yaml
    write_table()
    print(TABLE)

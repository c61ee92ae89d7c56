"""Load the firmware index (shipped in the wheel, or any directory) and check it whole.

``validate_index`` never raises on bad data: it returns every problem with file and line, so
``unlocker index validate`` can list them all at once. ``load_index`` refuses an index with
problems (IndexInvalid) so queries never work from half-read data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

try:  # Python >= 3.11
    from importlib.resources.abc import Traversable
except ImportError:  # pragma: no cover - Python 3.10
    from importlib.abc import Traversable

from unlocker import commands
from unlocker.errors import IndexInvalid
from unlocker.i18n import _
from unlocker.index.methods import ACTIONS, MethodError, artefacts_needed, expand
from unlocker.index.model import Device, Method, Rom
from unlocker.index.platforms import read_platforms, validate_platforms
from unlocker.index.schema import validate_node
from unlocker.index.shipped import shipped_root
from unlocker.index.yamlnodes import Issue, YamlSyntaxError, compose, get, line_of, mapping_items, to_python
from unlocker.settings import VARIABLES

__all__ = ["Index", "IndexInvalid", "index_invalid", "load_index", "place", "shipped_root", "validate_index"]

SECTIONS = (("devices", "device"), ("roms", "rom"), ("methods", "method"))
#: ``Index.where`` of the shipped index (a stable value for --json; people read :func:`place`).
SHIPPED = "the shipped index"
#: The UNLOCKER_* names a ROM's ``builds_api.env`` may use (the ones unlocker reads).
_KNOWN_VARIABLES = frozenset(v.name for v in VARIABLES)


def place(where: str) -> str:
    """``Index.where`` as a person reads it (the shipped index is named in their language)."""
    return _("the shipped index") if where == SHIPPED else where


@dataclass
class Index:
    devices: dict[str, Device] = field(default_factory=dict)
    roms: dict[str, Rom] = field(default_factory=dict)
    methods: dict[str, Method] = field(default_factory=dict)
    aliases: dict[str, list[str]] = field(default_factory=dict)  # alias -> codenames
    where: str = SHIPPED

    def roms_for(self, codename: str) -> list[Rom]:
        return [rom for rom in self.roms.values() if rom.supports(codename)]


@dataclass
class _Doc:
    file: str  # path relative to the index root, e.g. devices/alioth.yaml
    stem: str
    node: yaml.Node | None
    data: Any


def _yaml_files(root: Traversable, section: str) -> list[Traversable]:
    folder = root.joinpath(section)
    if not folder.is_dir():
        return []
    return sorted((f for f in folder.iterdir() if f.name.endswith((".yaml", ".yml"))), key=lambda f: f.name)


def _read_section(root: Traversable, section: str, kind: str, issues: list[Issue]) -> list[_Doc]:
    docs = []
    for entry in _yaml_files(root, section):
        rel = f"{section}/{entry.name}"
        try:
            node = compose(entry.read_text(encoding="utf-8"), rel)
        except YamlSyntaxError as e:
            issues.append(e.issue)
            continue
        except UnicodeDecodeError as e:
            issues.append(Issue(rel, 0, "", _("not UTF-8 text ({reason})").format(reason=e.reason)))
            continue
        problems = validate_node(node, kind, rel)
        issues.extend(problems)
        if problems:
            continue
        stem = entry.name.rsplit(".", 1)[0]
        docs.append(_Doc(rel, stem, node, to_python(node)))
    return docs


def validate_index(root: Traversable | Path | None = None) -> tuple[Index, list[Issue]]:
    """Read and check an index directory; returns what could be read and every problem found."""
    base: Traversable | Path = root if root is not None else shipped_root()
    issues: list[Issue] = []
    if isinstance(base, Path) and not base.is_dir():
        issues.append(Issue(str(base), 0, "", _("is not a directory")))
        return Index(where=str(base)), issues
    docs = {section: _read_section(base, section, kind, issues) for section, kind in SECTIONS}
    index = Index(where=SHIPPED if root is None else str(root))
    _check_methods(index, docs["methods"], issues)
    _check_devices(index, docs["devices"], issues)
    # A device file with its own problems is not reported again as "missing" by every ROM.
    broken = {i.file.split("/", 1)[1].rsplit(".", 1)[0] for i in issues if i.file.startswith("devices/")}
    _check_roms(index, docs["roms"], issues, broken)
    platforms, platform_issues = read_platforms(base)
    issues.extend(platform_issues)
    issues.extend(validate_platforms(platforms, index.devices, index.aliases))
    if not docs["devices"] and not any(i.file.startswith("devices/") for i in issues):
        issues.append(Issue("devices/", 0, "", _("no device files found")))
    issues.sort()
    return index, issues


def load_index(root: Traversable | Path | None = None) -> Index:
    """The whole index, checked; raises IndexInvalid when any file has a problem."""
    index, issues = validate_index(root)
    if issues:
        raise index_invalid(index.where, issues)
    return index


def _check_methods(index: Index, docs: list[_Doc], issues: list[Issue]) -> None:
    for doc in docs:
        if doc.data["name"] != doc.stem:
            issues.append(_at(doc, "name", _("must match the file name ('{name}')").format(name=doc.stem)))
            continue
        index.methods[doc.stem] = Method.from_data(doc.data, doc.file)
    for doc in docs:
        steps_node = get(doc.node, "steps")
        for i, raw in enumerate(doc.data["steps"]):
            step_node = steps_node.value[i] if isinstance(steps_node, yaml.SequenceNode) else None
            issues.extend(_step_issues(doc.file, step_node, f"steps[{i}]", raw, index.methods))
    for name in index.methods:
        try:
            expand(name, index.methods, _ANY_DEVICE)
        except MethodError as e:
            issues.append(Issue(index.methods[name].file, 0, "steps", str(e)))


def _step_issues(
    file: str, node: yaml.Node | None, field: str, raw: dict[str, Any], methods: dict[str, Method]
) -> Iterable[Issue]:
    actions = [a for a in ACTIONS if a in raw]
    if len(actions) != 1:
        yield Issue(
            file,
            line_of(node),
            field,
            _("needs exactly one of {actions} (found {found})").format(
                actions=", ".join(ACTIONS), found=", ".join(actions) or _("none")
            ),
        )
        return
    action = actions[0]
    if action == "use" and raw["use"] not in methods:
        yield Issue(
            file,
            line_of(get(node, "use")),
            f"{field}.use",
            _("no install method named '{name}'").format(name=raw["use"]),
        )
    if "for_each" in raw and action != "flash":
        yield Issue(file, line_of(node), f"{field}.for_each", _("for_each only applies to flash steps"))
    uses_item = isinstance(raw[action], dict) and "$item" in raw[action].values()
    if uses_item and "for_each" not in raw:
        yield Issue(file, line_of(node), field, _("'$item' needs for_each"))
    if "confirm" in raw and action != "instruct":
        yield Issue(file, line_of(node), f"{field}.confirm", _("confirm only applies to instruct steps"))


def _at(doc: _Doc, key: str, message: str) -> Issue:
    return Issue(doc.file, line_of(get(doc.node, key)), key, message)


def _check_devices(index: Index, docs: list[_Doc], issues: list[Issue]) -> None:
    # Codenames are unique (case-insensitively: files must survive macOS/Windows checkouts). An
    # alias may be shared by devices that report the same product (a TV box and its tablet
    # mode), but may not be another device's codename.
    owners: dict[str, _Doc] = {}
    for doc in docs:
        codename = str(doc.data["codename"])
        if codename != doc.stem:
            message = _("'{codename}' must match the file name ('{file}')").format(
                codename=codename, file=f"{doc.stem}.yaml"
            )
            issues.append(_at(doc, "codename", message))
            continue
        first = owners.get(codename.lower())
        if first is not None:
            where = f"{first.file}:{line_of(get(first.node, 'codename'))}"
            message = _("'{codename}' is already the codename in {where}").format(
                codename=codename, where=where
            )
            issues.append(_at(doc, "codename", message))
            continue
        owners[codename.lower()] = doc
    for doc in docs:
        codename = str(doc.data["codename"])
        if owners.get(codename.lower()) is not doc:
            continue
        ok = True
        for alias in doc.data.get("aliases") or ():
            other = owners.get(str(alias).lower())
            if other is not None and other is not doc:
                message = _("alias '{alias}' is the codename of {file}").format(alias=alias, file=other.file)
                issues.append(_at(doc, "aliases", message))
                ok = False
        device = Device.from_data(doc.data, doc.file)
        for method in device.install_methods:
            if method not in index.methods:
                message = _("no install method named '{name}' in {folder}").format(
                    name=method, folder="methods/"
                )
                issues.append(_at(doc, "install_method", message))
                ok = False
        if ok:
            index.devices[codename] = device
            for alias in device.aliases:
                index.aliases.setdefault(alias, []).append(codename)


def _check_roms(index: Index, docs: list[_Doc], issues: list[Issue], broken: set[str]) -> None:
    for doc in docs:
        if doc.data["id"] != doc.stem:
            issues.append(_at(doc, "id", _("must match the file name ('{name}')").format(name=doc.stem)))
            continue
        rom = Rom.from_data(doc.data, doc.file)
        before = len(issues)
        issues.extend(_builds_api_issues(doc))
        devices_node = get(doc.node, "devices")
        for codename, key_node, _value in mapping_items(devices_node):
            field = f"devices.{codename}"
            if codename in broken:
                continue
            if codename not in index.devices:
                issues.append(Issue(doc.file, line_of(key_node), field, _unknown_device(index, codename)))
                continue
            target = rom.devices[codename].get("builds_codename")
            if target and target not in index.devices:
                issues.append(Issue(doc.file, line_of(key_node), field, _unknown_device(index, target)))
            issues.extend(_artefact_issues(index, rom, index.devices[codename], doc.file, line_of(key_node)))
        builds_node = get(doc.node, "builds")
        for i, build in enumerate(rom.builds):
            node = builds_node.value[i] if isinstance(builds_node, yaml.SequenceNode) else None
            if not rom.supports(build.codename):
                issues.append(
                    Issue(
                        doc.file,
                        line_of(node),
                        f"builds[{i}].codename",
                        _("'{codename}' is not in {field}").format(codename=build.codename, field="devices"),
                    )
                )
            for f in build.files:
                if f.artefact not in rom.artefacts:
                    issues.append(
                        Issue(
                            doc.file,
                            line_of(node),
                            f"builds[{i}]",
                            _("artefact '{artefact}' is not defined").format(artefact=f.artefact),
                        )
                    )
        if len(issues) == before:
            index.roms[rom.id] = rom


def _builds_api_issues(doc: _Doc) -> Iterable[Issue]:
    """The variable that overrides a ROM's API address must be one unlocker.settings knows."""
    api = doc.data.get("builds_api")
    env = api.get("env") if isinstance(api, dict) else None
    if env and env not in _KNOWN_VARIABLES:
        yield Issue(
            doc.file,
            line_of(get(get(doc.node, "builds_api"), "env")),
            "builds_api.env",
            _("'{name}' is not an environment variable unlocker reads (add it to {table} first)").format(
                name=env, table="unlocker.settings.VARIABLES"
            ),
        )


def _artefact_issues(index: Index, rom: Rom, device: Device, file: str, line: int) -> Iterable[Issue]:
    """Every artefact the device's install method reads must be defined by the ROM or the method."""
    for name in device.install_methods:
        method = index.methods.get(name)
        if method is None or not method.automated:
            continue
        try:
            steps = expand(name, index.methods, device)
        except MethodError as e:
            yield Issue(file, line, f"devices.{device.codename}", str(e))
            continue
        provided = set(rom.artefacts)
        for step_method in {s.method for s in steps}:
            provided.update(index.methods[step_method].artefacts)
        for artefact in artefacts_needed(steps):
            if artefact not in provided:
                yield Issue(
                    file,
                    line,
                    f"devices.{device.codename}",
                    _(
                        "install method '{method}' needs artefact '{artefact}', which neither {rom} "
                        "nor the method defines"
                    ).format(method=name, artefact=artefact, rom=rom.name),
                )


def _unknown_device(index: Index, codename: str) -> str:
    return _("no device file {file}").format(file=f"devices/{codename}.yaml")


# A device on which every condition-free path can be walked, to find cycles and unknown `use`.
_ANY_DEVICE = Device.from_data(
    {
        "codename": "any",
        "names": ["any"],
        "vendor": "any",
        "recovery_partition": "recovery",
        "install_method": "any",
        "boot_stack": [],
        "unlock": {"method": "unknown"},
    },
    "",
)


def index_invalid(where: str, issues: list[Issue]) -> IndexInvalid:
    """The error for an index with problems: the first few in the message, the command listing all."""
    first = "; ".join(str(i) for i in issues[:3])
    if len(issues) > 3:
        text = _("the firmware index in {where} has {count} problem(s): {first} (and {more} more)")
    else:
        text = _("the firmware index in {where} has {count} problem(s): {first}")
    command = commands.show(commands.INDEX_VALIDATE, *(() if where == SHIPPED else (where,)))
    return IndexInvalid(
        text.format(where=place(where), count=len(issues), first=first, more=len(issues) - 3),
        issues,
        hint=_("Run {command} to list them all.").format(command=command),
    )

"""Load the firmware index (shipped in the wheel, or any directory) and check it whole.

``validate_index`` never raises on bad data: it returns every problem with file and line, so
``unlocker index validate`` can list them all at once. ``load_index`` refuses an index with
problems (IndexInvalid) so queries never work from half-read data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

try:  # Python >= 3.11
    from importlib.resources.abc import Traversable
except ImportError:  # pragma: no cover - Python 3.10
    from importlib.abc import Traversable

from unlocker.errors import IndexInvalid
from unlocker.i18n import _
from unlocker.index import methods as method_steps
from unlocker.index.model import Device, Method, Rom
from unlocker.index.schema import validate_node
from unlocker.index.yamlnodes import Issue, YamlSyntaxError, compose, get, line_of, mapping_items, to_python

SECTIONS = (("devices", "device"), ("roms", "rom"), ("methods", "method"))


@dataclass
class Index:
    devices: dict[str, Device] = field(default_factory=dict)
    roms: dict[str, Rom] = field(default_factory=dict)
    methods: dict[str, Method] = field(default_factory=dict)
    aliases: dict[str, list[str]] = field(default_factory=dict)  # alias -> codenames
    where: str = "the shipped index"

    def roms_for(self, codename: str) -> list[Rom]:
        return [rom for rom in self.roms.values() if rom.supports(codename)]


@dataclass
class _Doc:
    file: str  # path relative to the index root, e.g. devices/alioth.yaml
    stem: str
    node: yaml.Node | None
    data: Any


def shipped_root() -> Traversable:
    """The index installed with the package (firmware_index/, read with importlib.resources)."""
    try:
        return resources.files("firmware_index")
    except (NotADirectoryError, TypeError):
        # An editable install made before firmware_index/ became a package maps it as a namespace
        # package that importlib.resources cannot read; its directory on disk is the same data.
        import firmware_index

        for entry in firmware_index.__path__:
            if Path(entry).is_dir():
                return Path(entry)
        raise


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
            issues.append(Issue(rel, 0, "", f"not UTF-8 text ({e.reason})"))
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
        issues.append(Issue(str(base), 0, "", "is not a directory"))
        return Index(where=str(base)), issues
    docs = {section: _read_section(base, section, kind, issues) for section, kind in SECTIONS}
    index = Index(where="the shipped index" if root is None else str(root))
    _check_methods(index, docs["methods"], issues)
    _check_devices(index, docs["devices"], issues)
    # A device file with its own problems is not reported again as "missing" by every ROM.
    broken = {i.file.split("/", 1)[1].rsplit(".", 1)[0] for i in issues if i.file.startswith("devices/")}
    _check_roms(index, docs["roms"], issues, broken)
    if not docs["devices"] and not any(i.file.startswith("devices/") for i in issues):
        issues.append(Issue("devices/", 0, "", "no device files found"))
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
            issues.append(_at(doc, "name", f"must match the file name ('{doc.stem}')"))
            continue
        index.methods[doc.stem] = Method.from_data(doc.data, doc.file)
    for doc in docs:
        steps_node = get(doc.node, "steps")
        for i, raw in enumerate(doc.data["steps"]):
            step_node = steps_node.value[i] if isinstance(steps_node, yaml.SequenceNode) else None
            issues.extend(_step_issues(doc.file, step_node, f"steps[{i}]", raw, index.methods))
    for name in index.methods:
        try:
            method_steps.expand(name, index.methods, _ANY_DEVICE)
        except method_steps.MethodError as e:
            issues.append(Issue(index.methods[name].file, 0, "steps", str(e)))


def _step_issues(
    file: str, node: yaml.Node | None, field: str, raw: dict[str, Any], methods: dict[str, Method]
) -> Iterable[Issue]:
    actions = [a for a in method_steps.ACTIONS if a in raw]
    if len(actions) != 1:
        yield Issue(
            file,
            line_of(node),
            field,
            f"needs exactly one of {', '.join(method_steps.ACTIONS)} (found {actions})",
        )
        return
    action = actions[0]
    if action == "use" and raw["use"] not in methods:
        yield Issue(
            file, line_of(get(node, "use")), f"{field}.use", f"no install method named '{raw['use']}'"
        )
    if "for_each" in raw and action != "flash":
        yield Issue(file, line_of(node), f"{field}.for_each", "for_each only applies to flash steps")
    uses_item = isinstance(raw[action], dict) and "$item" in raw[action].values()
    if uses_item and "for_each" not in raw:
        yield Issue(file, line_of(node), field, "'$item' needs for_each")
    if "confirm" in raw and action != "instruct":
        yield Issue(file, line_of(node), f"{field}.confirm", "confirm only applies to instruct steps")


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
            issues.append(_at(doc, "codename", f"'{codename}' must match the file name ('{doc.stem}.yaml')"))
            continue
        first = owners.get(codename.lower())
        if first is not None:
            where = f"{first.file}:{line_of(get(first.node, 'codename'))}"
            issues.append(_at(doc, "codename", f"'{codename}' is already the codename in {where}"))
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
                issues.append(_at(doc, "aliases", f"alias '{alias}' is the codename of {other.file}"))
                ok = False
        device = Device.from_data(doc.data, doc.file)
        for method in device.install_methods:
            if method not in index.methods:
                issues.append(_at(doc, "install_method", f"no install method named '{method}' in methods/"))
                ok = False
        if ok:
            index.devices[codename] = device
            for alias in device.aliases:
                index.aliases.setdefault(alias, []).append(codename)


def _check_roms(index: Index, docs: list[_Doc], issues: list[Issue], broken: set[str]) -> None:
    for doc in docs:
        if doc.data["id"] != doc.stem:
            issues.append(_at(doc, "id", f"must match the file name ('{doc.stem}')"))
            continue
        rom = Rom.from_data(doc.data, doc.file)
        before = len(issues)
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
                        f"'{build.codename}' is not in devices",
                    )
                )
            for f in build.files:
                if f.artefact not in rom.artefacts:
                    issues.append(
                        Issue(
                            doc.file, line_of(node), f"builds[{i}]", f"artefact '{f.artefact}' is not defined"
                        )
                    )
        if len(issues) == before:
            index.roms[rom.id] = rom


def _artefact_issues(index: Index, rom: Rom, device: Device, file: str, line: int) -> Iterable[Issue]:
    """Every artefact the device's install method reads must be defined by the ROM or the method."""
    for name in device.install_methods:
        method = index.methods.get(name)
        if method is None or not method.automated:
            continue
        try:
            steps = method_steps.expand(name, index.methods, device)
        except method_steps.MethodError as e:
            yield Issue(file, line, f"devices.{device.codename}", str(e))
            continue
        provided = set(rom.artefacts)
        for step_method in {s.method for s in steps}:
            provided.update(index.methods[step_method].artefacts)
        for artefact in method_steps.artefacts_needed(steps):
            if artefact not in provided:
                yield Issue(
                    file,
                    line,
                    f"devices.{device.codename}",
                    f"install method '{name}' needs artefact '{artefact}', which neither {rom.name} "
                    "nor the method defines",
                )


def _unknown_device(index: Index, codename: str) -> str:
    return f"no device file devices/{codename}.yaml"


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
    first = "; ".join(str(i) for i in issues[:3])
    more = _(" (and {count} more)").format(count=len(issues) - 3) if len(issues) > 3 else ""
    return IndexInvalid(
        _("the firmware index in {where} has {count} problem(s): {first}{more}").format(
            where=where, count=len(issues), first=first, more=more
        ),
        issues,
        hint=_("Run {command} to list them all.").format(command=f"`unlocker index validate {where}`"),
    )

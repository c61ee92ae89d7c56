"""The package's layers only point down, and no modules import each other in a circle.

Every ``import`` counts, wherever it stands (module level, inside a function, under
TYPE_CHECKING): a deferred import is still a dependency a newcomer has to understand.
The one exception is the package's facade, ``unlocker/__init__.py``, which re-exports the
public API lazily (``__getattr__``) and is itself imported by everything for ``__version__``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "unlocker"

# Top-level modules every layer may use: they import nothing above themselves.
BASE = {
    "errors",
    "i18n",
    "i18n_po",
    "i18n_tools",
    "settings",
    "paths",
    "http",
    "commands",
    "knowledge",
    "filelock",
    "record",
}

# layer -> the layers it may import (BASE is always allowed). Read top to bottom as
# "cli uses everything; transport uses nothing but the base".
ALLOWED: dict[str, set[str]] = {
    "transport": set(),
    "sparse": set(),
    "index": set(),
    "download": set(),
    "xiaomi": set(),
    "fastboot": {"transport"},
    "adb": {"transport"},
    "device": {"transport", "fastboot", "adb", "index"},
    "flashing": {"transport", "fastboot", "device", "sparse"},
    "unlock": {"transport", "fastboot", "device", "xiaomi", "index"},
    "install": {"transport", "fastboot", "adb", "device", "sparse", "flashing", "unlock", "xiaomi", "index", "download", "stock"},
    "stock": {"transport", "fastboot", "device", "sparse", "flashing", "index", "download"},
    "support": {"transport", "fastboot", "adb", "device", "index", "xiaomi", "download", "install"},
    # The virtual phone shares the protocols' parsers, never their clients (see EMULATOR_MAY_USE).
    "emulator": {"sparse"},
    "api": {"transport", "fastboot", "adb", "device", "sparse", "flashing", "unlock", "xiaomi", "index", "download", "install"},
    "cli": {
        "transport", "fastboot", "adb", "device", "sparse", "flashing", "unlock", "xiaomi", "index",
        "download", "install", "support", "emulator", "api", "stock",
    },
}  # fmt: skip
EMULATOR_MAY_USE = {
    "unlocker.fastboot.protocol",
    "unlocker.fastboot.variables",
    "unlocker.adb.message",
    "unlocker.adb.pubkey",
    "unlocker.adb.banner",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str | None:
    """'unlocker.fastboot.client' -> 'fastboot'; base modules -> 'base'; the facade -> None."""
    parts = module.split(".")
    if parts[0] != "unlocker":
        return None
    if len(parts) == 1:
        return None
    if parts[1] == "__main__":
        return "cli"  # `python -m unlocker` is the command line
    return "base" if parts[1] in BASE else parts[1]


def imports_of(path: Path) -> set[str]:
    """Every unlocker module ``path`` imports, resolved to the module (not the name) imported."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("unlocker"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if not target.startswith("unlocker"):
                continue
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                # `from unlocker.x import y` imports module unlocker.x.y when y is a module
                found.add(candidate if _is_module(candidate) else target)
    return found


def _is_module(name: str) -> bool:
    relative = Path(*name.split(".")[1:])
    return (ROOT / relative).with_suffix(".py").exists() or (ROOT / relative / "__init__.py").exists()


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def graph() -> dict[str, set[str]]:
    modules = all_modules()
    return {
        name: {m for m in imports_of(path) if m in modules and m != name} for name, path in modules.items()
    }


def layer_violations(edges: dict[str, set[str]]) -> list[str]:
    problems = []
    for source, targets in sorted(edges.items()):
        source_layer = layer_of(source)
        if source_layer is None:
            continue  # the facade
        for target in sorted(targets):
            target_layer = layer_of(target)
            if target_layer is None:
                if source_layer != "base" and target == "unlocker":
                    continue  # `from unlocker import __version__`
                if target == "unlocker":
                    continue
            if target_layer in (source_layer, "base"):
                continue
            if source_layer == "emulator" and target in EMULATOR_MAY_USE:
                continue
            if source_layer == "base" or target_layer not in ALLOWED.get(source_layer, set()):
                problems.append(f"{source} ({source_layer}) imports {target} ({target_layer})")
    return problems


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), the facade left out."""
    edges = {k: {t for t in v if t != "unlocker"} for k, v in edges.items() if k != "unlocker"}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_layers_point_down() -> None:
    problems = layer_violations(graph())
    assert not problems, "upward imports:\n" + "\n".join(problems)


def test_no_import_cycles() -> None:
    found = cycles(graph())
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_every_layer_is_known() -> None:
    layers = {layer_of(m) for m in all_modules()} - {None, "base"}
    assert layers <= set(ALLOWED), f"add {layers - set(ALLOWED)} to ALLOWED in this test"


# --- the checker itself must be able to fail ------------------------------------------------


def test_checker_sees_an_upward_import() -> None:
    edges = {"unlocker.transport.tcp": {"unlocker.fastboot.client"}, "unlocker.fastboot.client": set()}
    assert layer_violations(edges) == [
        "unlocker.transport.tcp (transport) imports unlocker.fastboot.client (fastboot)"
    ]


def test_checker_sees_the_emulator_using_the_client() -> None:
    edges = {
        "unlocker.emulator.session": {"unlocker.fastboot.protocol", "unlocker.fastboot.client"},
    }
    assert layer_violations(edges) == [
        "unlocker.emulator.session (emulator) imports unlocker.fastboot.client (fastboot)"
    ]


@pytest.mark.parametrize(
    "edges",
    [
        {
            "unlocker.index.loader": {"unlocker.index.schema"},
            "unlocker.index.schema": {"unlocker.index.loader"},
        },
        {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}},
    ],
)
def test_checker_sees_a_cycle(edges: dict[str, set[str]]) -> None:
    assert cycles(edges)


def test_imports_inside_functions_count(tmp_path: Path) -> None:
    source = ROOT / "transport" / "select.py"
    assert "unlocker.transport.usb" in imports_of(source)  # imported inside make_transport

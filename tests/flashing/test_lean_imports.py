"""The flash engine's own modules import no costly standard module when loaded (issue 15).

`unlocker flash` loads these modules on every run; typing, collections (collections.abc, array),
re, pathlib, shutil and the like cost 2 to 14 ms of start-up each. Type-only imports sit under
``if TYPE_CHECKING:`` and rare paths import inside their functions; this checks each module's
source, so a module is held to it whatever the modules it imports load.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import unlocker

PACKAGE = Path(unlocker.__file__).parent
FLASH_PATH = [
    *(
        f"flashing/{n}.py"
        for n in ("__init__", "avb", "critical", "image", "plan", "preflight", "progress", "engine")
    ),
    *(
        f"sparse/{n}.py"
        for n in (
            "__init__",
            "crc",
            "fileranges",
            "format",
            "reader",
            "extents",
            "writer",
            "resparse",
            "sequence",
        )
    ),
]
COSTLY = {
    "typing", "enum", "socket", "signal", "re", "json", "pathlib", "platformdirs", "threading",
    "collections", "functools", "contextlib", "tempfile", "shutil", "selectors", "weakref", "random",
    "urllib", "ipaddress", "fnmatch", "array", "copy", "dataclasses", "inspect",
}  # fmt: skip


def _imported_at_load(body: list[ast.stmt]) -> list[tuple[int, str]]:
    """(line, module) of the imports that run when the module is loaded: not in functions, not
    under ``if TYPE_CHECKING:`` (its ``else`` runs)."""
    found = []
    for node in body:
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, node.module or ""))
        elif isinstance(node, ast.If):
            checking = isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
            found += _imported_at_load(node.orelse) + ([] if checking else _imported_at_load(node.body))
        elif isinstance(node, (ast.ClassDef, ast.With, ast.For, ast.While)):
            found += _imported_at_load(node.body)
        elif isinstance(node, ast.Try):
            for part in (node.body, *(h.body for h in node.handlers), node.orelse, node.finalbody):
                found += _imported_at_load(part)
    return found


@pytest.mark.parametrize("module", FLASH_PATH)
def test_flash_module_imports_nothing_costly_when_loaded(module: str) -> None:
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    costly = [(line, name) for line, name in _imported_at_load(tree.body) if name.split(".")[0] in COSTLY]
    assert costly == []


def test_the_check_sees_imports_that_run() -> None:
    source = (
        "import os, re\nTYPE_CHECKING = False\nif TYPE_CHECKING:\n    import typing\nelse:\n    import json\n"
        "class A:\n    from array import array\ndef f():\n    import shutil\n"
    )
    assert [name for _line, name in _imported_at_load(ast.parse(source).body)] == [
        "os",
        "re",
        "json",
        "array",
    ]

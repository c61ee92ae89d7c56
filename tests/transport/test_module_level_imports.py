"""The transports and the fastboot client import nothing costly when they load (issue 15).

``status`` and ``flash`` load these modules on every run; each standard module below costs 1 to
13 ms of start-up (typing pulls re, collections, functools, contextlib; socket and signal pull
enum). Imports of them belong inside the rare function that needs them, or under TYPE_CHECKING.
USB (``transport/usb.py``) is not on the quick path. The whole commands are checked by
tests/test_structure_for_speed.py; this names the module that brings one in.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import unlocker

COSTLY = {
    "typing", "enum", "socket", "signal", "re", "json", "pathlib", "platformdirs", "threading",
    "collections", "functools", "contextlib", "tempfile", "shutil", "selectors", "weakref", "random",
    "urllib", "ipaddress", "fnmatch", "array", "copy",
}  # fmt: skip

PACKAGE = Path(unlocker.__file__).parent
MODULES = sorted(
    path.relative_to(PACKAGE).as_posix()
    for area in ("transport", "fastboot")
    for path in (PACKAGE / area).glob("*.py")
    if path.name != "usb.py"
)


def _run_time_imports(tree: ast.Module) -> set[str]:
    """Top-level names of what the module imports when it loads: module-level statements,
    ``if TYPE_CHECKING:`` bodies aside, function bodies never run at import."""
    found: set[str] = set()
    statements = list(tree.body)
    while statements:
        node = statements.pop()
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.If):
            if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                statements.extend(node.body)
            statements.extend(node.orelse)
        elif isinstance(node, (ast.Try, ast.With, ast.ClassDef)):
            statements.extend(node.body)
            if isinstance(node, ast.Try):
                statements.extend(node.orelse + node.finalbody)
                for handler in node.handlers:
                    statements.extend(handler.body)
    return found


@pytest.mark.parametrize("module", MODULES)
def test_loading_imports_no_costly_standard_module(module: str) -> None:
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    assert sorted(_run_time_imports(tree) & COSTLY) == []


def test_the_check_sees_an_import_at_load_and_not_one_for_types() -> None:
    tree = ast.parse(
        "import os, re\nTYPE_CHECKING = False\nif TYPE_CHECKING:\n    import typing\nelse:\n    import json\n"
        "class A:\n    from enum import Enum\ndef f():\n    import socket\n"
    )
    assert _run_time_imports(tree) == {"os", "re", "json", "enum"}

"""Structural properties that keep unlocker fast and flat in memory (issue 15).

Timings belong in benchmarks/; these tests check the shapes that make the timings possible:
what is imported at start-up, how many sparse pieces live at once, that cutting is linear.
"""

from __future__ import annotations

import ast
import gc
import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import pytest

from unlocker.sparse.extents import Extent, ImageLayout
from unlocker.sparse.format import FILL, RAW
from unlocker.sparse.resparse import iter_pieces
from unlocker.sparse.writer import SparseStream

MiB = 1024 * 1024


HEAVY = {"tqdm", "requests", "yaml", "cryptography", "usb", "libusb_package"}


def _modules_after(*args: str, env: dict[str, str] | None = None, bare: bool = False) -> set[str]:
    """The modules loaded once `unlocker ARGS` has run (through the console script's entry).

    ``bare``: without the site module, whose import hooks (an editable install's among them) load
    modules of their own; the checkout comes from PYTHONPATH (``env``)."""
    code = (
        "import sys\n"
        f"sys.argv = ['unlocker', *{list(args)!r}]\n"
        "from unlocker.cli.main import main\n"
        "try:\n    main()\n"
        "except SystemExit as e:\n    assert not e.code, e.code\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    flags = ["-S"] if bare else []
    run = subprocess.run([sys.executable, *flags, "-c", code], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    return set(run.stderr.split())


@pytest.mark.parametrize("args", [("--version",), ("--help",)])
def test_start_up_imports_no_heavy_dependencies(args: tuple[str, ...]) -> None:
    loaded = {m.split(".")[0] for m in _modules_after(*args)}
    assert not loaded & HEAVY


def test_version_imports_nothing_else() -> None:
    """`--version` is answered by the entry module: no click, no i18n, no settings."""
    loaded = _modules_after("--version")
    assert {m for m in loaded if m.startswith("unlocker")} == {
        "unlocker",
        "unlocker.cli",
        "unlocker.cli.main",
    }
    assert "click" not in loaded and "typing" not in loaded


def test_help_imports_no_command_module() -> None:
    """`--help` lists the commands from the registry; their modules (and what they import) stay unloaded."""
    loaded = _modules_after("--help")
    commands = {m for m in loaded if m.startswith("unlocker.cli.") and m.endswith(("_cmds", "_cmd"))}
    assert commands == set()
    assert not {
        m for m in loaded if m.startswith(("unlocker.index.", "unlocker.device.", "unlocker.fastboot"))
    }


# Standard modules that cost start-up time and that status and flash need not load: dataclasses
# imports inspect (and ast, dis, tokenize); gettext and string compile regular expressions at
# import (English needs no catalogue; only right-to-left languages need string's Formatter); the
# IDNA codec is for host names that are not ASCII.
NOT_AT_START = {"dataclasses", "inspect", "gettext", "string", "encodings.idna"}


@pytest.mark.parametrize("extra", [(), ("--json",)])
def test_status_over_tcp_loads_only_what_it_uses(phone_factory, cli_env, extra: tuple[str, ...]) -> None:
    """`status` of a phone on TCP: no click, no USB stack, no YAML (index, knowledge base), no HTTP,
    and none of the standard modules it does not need (decimal, hashlib, datetime)."""
    p = phone_factory("xiaomi-mtk", unlocked=True)  # publishes no anti-rollback: a getvar FAILs
    loaded = _modules_after("status", "-s", p.name, *extra, env={**cli_env, "UNLOCKER_LANG": "en"})
    assert not {m.split(".")[0] for m in loaded} & (HEAVY | {"click", "decimal", "hashlib", "datetime"})
    assert not loaded & NOT_AT_START
    assert not loaded & {
        "unlocker.knowledge",
        "unlocker.index.loader",
        "unlocker.cli.app",
        "unlocker.transport.usb",
    }


@pytest.mark.parametrize("extra", [(), ("--json",), ("--dry-run",)])
def test_flash_over_tcp_loads_no_click(
    phone_factory, cli_env, tmp_path: Path, extra: tuple[str, ...]
) -> None:
    """`flash PARTITION IMAGE` to a phone on TCP runs without click (unlocker.cli.quick), the
    command group and the shared option decorators, and loads none of the heavy dependencies."""
    p = phone_factory("xiaomi-legacy", unlocked=True)
    image = tmp_path / "system.img"
    image.write_bytes(b"\1\2\3\4" * 4096)
    loaded = _modules_after(
        "flash",
        "system",
        str(image),
        "-s",
        p.name,
        "--yes",
        "--no-progress",
        *extra,
        env={**cli_env, "UNLOCKER_LANG": "en"},
    )
    assert "unlocker.cli.flash_view" in loaded
    assert not {m.split(".")[0] for m in loaded} & (HEAVY | {"click"})
    assert not loaded & NOT_AT_START
    assert not loaded & {
        "unlocker.cli.app",
        "unlocker.cli.common",
        "unlocker.cli.flash_cmds",
        "unlocker.transport.usb",
    }


# What status and flash over TCP load beyond the interpreter's own start: about 1 ms for all of
# unlocker's modules is the budget (issue 15: status within 2.0x of `python3 -c pass`), and each
# of these costs 1 to 13 ms, most through what it imports in turn (typing: re, collections,
# functools, contextlib; socket and signal: enum; pathlib: fnmatch, urllib; platformdirs:
# tempfile, random, shutil). array registers itself with collections.abc.
NOT_ON_THE_QUICK_PATH = {
    "typing", "enum", "socket", "signal", "re", "json", "pathlib", "platformdirs", "threading",
    "collections", "functools", "contextlib", "tempfile", "shutil", "selectors", "weakref", "random",
    "urllib", "ipaddress", "fnmatch", "array", "copy",
}  # fmt: skip


@pytest.mark.parametrize("args", [("--version",), ("status",), ("flash",), ("flash", "--dry-run")])
def test_quick_commands_load_only_what_they_use(
    phone_factory, cli_env, tmp_path: Path, args: tuple[str, ...]
) -> None:
    """`--version`, `status -s tcp:...` and `flash PARTITION IMAGE -s tcp:...` (unlocked phone, the
    image sparse) load none of the costly standard modules: with a site that loads nothing, the
    whole command imports only unlocker's modules and small C ones."""
    p = phone_factory("xiaomi-legacy", unlocked=True)
    image = tmp_path / "system.img"
    image.write_bytes(b"\1\2\3\4" * 4096)
    sparse = tmp_path / "system.sparse.img"
    subprocess.run(["img2simg", str(image), str(sparse)], check=True, capture_output=True)
    words = {
        "--version": ["--version"],
        "status": ["status", "-s", p.name],
        "flash": ["flash", "system", str(sparse), "-s", p.name, "--yes", "--no-progress"],
    }[args[0]] + list(args[1:])
    loaded = _modules_after(*words, env={**cli_env, "UNLOCKER_LANG": "en"}, bare=True)
    assert sorted(loaded & NOT_ON_THE_QUICK_PATH) == []
    # Each of unlocker's modules on the path, on its own: what the next change must not add.
    costly = {
        module: found
        for module in sorted(loaded)
        if module.startswith("unlocker")
        and (
            found := [
                name for name in _imported_at_load(_source_tree(module)) if name in NOT_ON_THE_QUICK_PATH
            ]
        )
    }
    assert costly == {}


def _frozen_after(args: list[str], env: dict[str, str], *, as_the_process: bool) -> int:
    """How many objects ``gc.freeze`` set aside once ``unlocker ARGS`` ran through ``main``."""
    call = "main()" if as_the_process else f"main({args!r})"
    code = (
        f"import gc, sys\nsys.argv = ['unlocker', *{args!r}]\nfrom unlocker.cli.main import main\n"
        f"try:\n    {call}\nexcept SystemExit:\n    pass\nprint(gc.get_freeze_count(), file=sys.stderr)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    return int(run.stderr.split()[-1])


def test_the_last_collection_is_spared_only_when_a_quick_command_ends_the_process(
    phone_factory, cli_env
) -> None:
    """The console script's status and flash freeze what is alive (Python's last full collection
    at exit would only walk the modules); a caller in a longer-lived process, and every command
    of the click shell (which may leave files to finalize), keeps its collections."""
    p = phone_factory("xiaomi-legacy", unlocked=True)
    env = {**cli_env, "UNLOCKER_LANG": "en"}
    assert _frozen_after(["status", "-s", p.name], env, as_the_process=True) > 0
    assert _frozen_after(["status", "-s", p.name], env, as_the_process=False) == 0
    assert _frozen_after(["status", "-s", p.name, "--json", "--json"], env, as_the_process=True) == 0


def _source_tree(module: str) -> ast.Module:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None
    return ast.parse(Path(spec.origin).read_text(encoding="utf-8"))


def _imported_at_load(tree: ast.Module) -> list[str]:
    """Top-level names of the modules an import loads when the module does: module-level
    statements, class bodies and the like, not functions, not ``if TYPE_CHECKING:`` bodies."""
    found = []
    statements = list(tree.body)
    while statements:
        node = statements.pop(0)
        if isinstance(node, ast.Import):
            found += [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append(node.module.split(".")[0])
        elif isinstance(node, ast.If):
            checking = isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
            statements += ([] if checking else node.body) + node.orelse
        elif isinstance(node, (ast.ClassDef, ast.With, ast.For, ast.While)):
            statements += node.body
        elif isinstance(node, ast.Try):
            statements += node.body + node.orelse + node.finalbody
            for handler in node.handlers:
                statements += handler.body
    return found


def test_the_import_check_sees_imports_that_run_at_load() -> None:
    source = (
        "import os, re.x\nTYPE_CHECKING = False\nif TYPE_CHECKING:\n    import typing\nelse:\n    import json\n"
        "class A:\n    from array import array\ntry:\n    import a\nexcept ImportError:\n    import b\n"
        "def f():\n    import shutil\n"
    )
    assert sorted(_imported_at_load(ast.parse(source))) == ["a", "array", "b", "json", "os", "re"]


def _layout(extents: int) -> ImageLayout:
    # Alternating RAW and FILL runs of one block: the worst case for the number of chunks.
    items = [Extent(RAW if i % 2 else FILL, i, 1, i * 4096, b"\1\2\3\4") for i in range(extents)]
    return ImageLayout(4096, extents, items)


def _cut_seconds(extents: int) -> float:
    layout = _layout(extents)
    start = time.process_time()
    for _piece in iter_pieces(layout, 64 * 1024):
        pass
    return time.process_time() - start


def test_cutting_is_linear_in_extents() -> None:
    small, large = _cut_seconds(50_000), _cut_seconds(500_000)
    # Ten times the extents may cost about ten times the CPU (a quadratic cut costs a hundred).
    assert large < 25 * max(small, 0.005), (small, large)
    assert large < 3.0


def test_one_piece_at_a_time_during_a_flash(phone_factory, run_cli, tmp_path: Path, monkeypatch) -> None:
    """Sparse pieces are made as they are sent, so memory does not grow with their number."""
    from unlocker.device.connect import connect_fastboot
    from unlocker.device.facts import read_facts
    from unlocker.flashing import engine
    from unlocker.flashing.image import inspect_image
    from unlocker.flashing.plan import plan_flash

    p = phone_factory("xiaomi-legacy", unlocked=True, max_download_size=MiB)
    image = tmp_path / "system.img"
    image.write_bytes(bytes(range(256)) * (6 * MiB // 256))
    live: list[int] = []
    original = engine._send

    def counting_send(*args: object, **kwargs: object) -> None:
        gc.collect()
        live.append(sum(1 for o in gc.get_objects() if isinstance(o, SparseStream)))
        original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_send", counting_send)
    with connect_fastboot(p.name) as client:
        plan = plan_flash(read_facts(client, partitions=["system"]), "system", inspect_image(image))
        result = engine.execute(client, plan, confirm=lambda _q: None, reconnect=lambda: client)
    assert result.pieces >= 6 and len(live) == result.pieces
    assert max(live) <= 2, live
    assert p.partition("system") == image.read_bytes()

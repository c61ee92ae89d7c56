"""Every command, with hostile arguments: never a traceback, never "this is a bug".

The commands come from ``unlocker.cli.registry.COMMANDS`` (with the subcommands of groups) and their
parameters from click, so a command added later is covered without touching this file. Each
case sets one parameter to one hostile value (a missing path, a folder where a file belongs, a
crafted image, a huge number, unicode, an empty string) on top of a baseline that reaches as far
into the command as possible without a phone: phones are a closed TCP port, Xiaomi's and the ROM
projects' servers too, and the virtual phone's port is taken. Runs in-process (fast); every path
stays inside the test's temporary directory.
"""

from __future__ import annotations

import importlib
import io
import signal
import socket
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from unlocker.cli import app as cli_app
from unlocker.cli import main as cli_main
from unlocker.cli.registry import COMMANDS

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGALRM as a watchdog")

# Seconds one case may take; a command that waits longer on hostile input is a defect too.
CASE_SECONDS = 20


class CaseTimeout(BaseException):
    """Raised by the watchdog (a BaseException, so the CLI's bug handler does not swallow it)."""


@dataclass(frozen=True)
class Case:
    path: tuple[str, ...]  # command words, e.g. ("sparse", "convert")
    args: tuple[str, ...]

    def __str__(self) -> str:
        return "unlocker " + " ".join([*self.path, *(repr(a) if not a or " " in a else a for a in self.args)])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _huge_blocks_image(path: Path) -> None:
    """A valid sparse image of 64 MiB blocks that expands to 64 TiB: one DONT_CARE chunk."""
    blocks = 1 << 20
    header = struct.pack("<IHHHHIIII", 0xED26FF3A, 1, 0, 28, 12, 64 << 20, blocks, 1, 0)
    path.write_bytes(header + struct.pack("<HHII", 0xCAC3, 0, blocks, 12))


@dataclass
class Bench:
    root: Path  # everything the cases touch lives here
    closed: int  # a TCP port nobody listens on
    taken: int  # a TCP port held on every address (the virtual phone cannot listen there)
    plain: Path  # a small raw image

    def baseline(self, path: tuple[str, ...], param: click.Parameter) -> list[str] | None:
        """A harmless, plausible value for a parameter the case does not attack (None: leave it out)."""
        name = param.name or ""
        if name == "serial":
            return [f"tcp:127.0.0.1:{self.closed}"]
        if path == ("emulate",):
            return {"port": [str(self.taken)], "host": ["127.0.0.1"]}.get(name)
        if path == ("login",) and name == "user":
            return ["owner@example.com"]
        if not param.required:
            return None
        values = {
            "name": "product",
            "partition": "boot",
            "slot": "a",
            "codename": "alioth",
            "url": f"http://127.0.0.1:{self.closed}/rom.zip",
            "sha256": "0" * 64,
            "output": str(self.root / "out.img"),
        }
        if isinstance(param.type, click.Path):
            return [values.get(name, str(self.plain))]
        return [values.get(name, "x")]

    def flags(self, path: tuple[str, ...]) -> list[str]:
        """Flags that take the baseline further (past a prompt or a missing confirmation)."""
        return {("login",): ["--password-stdin"], ("unlock",): ["--yes"]}.get(path, [])

    def hostile(self, param: click.Parameter) -> list[str]:
        r = self.root
        paths = [
            str(r / "no-such-folder" / "file.img"),  # a missing folder
            str(r),  # a folder where a file belongs
            str(self.plain),  # a file where a folder belongs
            str(r / "garbage.img"),
            str(r / "empty.img"),
            str(r / "huge-blocks.simg"),
            str(r / "ünïcødé-名前-🚀" / "📱.img"),
            str(r / ("x" * 300)),  # longer than any file name may be
            "",
        ]
        numbers = ["-1", "0", str(2**64), "8589934592", "1e9", "ünï", ""]
        texts = ["", "ünïcødé-名前-🚀", "\u202egnp.exe", "../../x", "/..", "x" * 5000, "-", " "]
        if param.name == "serial":
            return [
                "",
                "tcp:",
                "tcp::",
                f"tcp:127.0.0.1:{2**20}",
                "tcp:[::1",
                "tcp:" + "x" * 300,
                "usb:999-999",
            ]
        if param.name == "port":  # 0 is a valid choice (a free port): the virtual phone would serve
            return ["-1", "65536", str(2**64), "ünï", ""]
        if param.name == "host":  # no name that would need a DNS lookup
            return ["", "x" * 300]
        if param.name == "url":
            return ["", "ünïcødé", f"http://127.0.0.1:{self.closed}/a/..", "ftp://127.0.0.1/x", "http://[::1"]
        if isinstance(param.type, click.Path):
            return paths
        if isinstance(param.type, (click.types.IntParamType, click.types.FloatParamType)):
            return numbers
        if isinstance(param.type, click.Choice):
            return ["", "ünïcødé", "x" * 300]
        return texts + numbers[:3]


@pytest.fixture
def bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bench]:
    closed = _free_port()
    blocker = socket.socket(socket.AF_INET6 if socket.has_ipv6 else socket.AF_INET)
    if blocker.family == socket.AF_INET6:
        blocker.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # every IPv4 and IPv6 address
    blocker.bind(("::" if blocker.family == socket.AF_INET6 else "0.0.0.0", 0))
    blocker.listen()
    root = tmp_path / "bench"
    cwd = root / "a" / "b" / "c"  # relative paths with ../.. stay inside the bench
    cwd.mkdir(parents=True)
    plain = root / "plain.img"
    plain.write_bytes(bytes(range(256)) * 32)
    (root / "garbage.img").write_bytes(b"\x3a\xff\x26\xed" + bytes(range(256)) * 4)
    (root / "empty.img").write_bytes(b"")
    _huge_blocks_image(root / "huge-blocks.simg")
    for kind in ("CONFIG", "CACHE", "STATE"):
        monkeypatch.setenv(f"UNLOCKER_{kind}_DIR", str(root / kind.lower()))
    dead = f"http://127.0.0.1:{closed}"
    for name in ("UNLOCKER_MI_ACCOUNT_URL", "UNLOCKER_MI_UNLOCK_URL"):
        monkeypatch.setenv(name, dead)
    monkeypatch.setenv("UNLOCKER_LINEAGE_API_URL", dead)
    monkeypatch.setenv("UNLOCKER_CRDROID_OTA_URL", dead)
    for name in ("UNLOCKER_DEBUG", "ANDROID_SERIAL", "UNLOCKER_LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(cwd)
    # Downloads retry a refused connection with pauses; one attempt shows the argument handling.
    monkeypatch.setattr(importlib.import_module("unlocker.download.fetch"), "ATTEMPTS_PER_URL", 1)
    monkeypatch.setattr(cli_app, "_debug", False)
    # The index loads in about a second; the cases ask for the same shipped index many times.
    import unlocker.index

    shipped = unlocker.index.load_index()
    monkeypatch.setattr(
        unlocker.index, "load_index", lambda root=None: shipped if root is None else _load(root)
    )
    try:
        yield Bench(root, closed, blocker.getsockname()[1], plain)
    finally:
        blocker.close()


def _load(root):  # noqa: ANN001, ANN202 - a pass-through for copies given by path
    from unlocker.index.loader import load_index

    return load_index(root)


def commands() -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command the CLI has, subcommands of groups included."""
    ctx = click.Context(cli_app.cli)
    for name in COMMANDS:
        command = cli_app.cli.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            for sub_name, sub in command.commands.items():
                yield (name, sub_name), sub
        else:
            yield (name,), command


def _build(
    bench: Bench,
    path: tuple[str, ...],
    params: list[click.Parameter],
    target: click.Parameter | None,
    value: str | None,
) -> tuple[str, ...]:
    """The arguments of one case: ``target`` set to ``value``, the others at their baseline."""
    options: list[str] = []
    positional: list[str] = []
    for param in params:
        values = [value] if param is target and value is not None else bench.baseline(path, param)
        if values is None:
            continue
        if isinstance(param, click.Argument):
            positional += values
        else:
            for v in values:
                options += [param.opts[0], v]
    flags = bench.flags(path)
    # "--" ends the options, so a hostile value such as "-" stays an argument
    return (*options, *flags, "--", *positional) if positional else (*options, *flags)


def cases(bench: Bench) -> Iterator[Case]:
    for path, command in commands():
        params = [
            p
            for p in command.params
            if p.name != "help" and not (isinstance(p, click.Option) and (p.is_flag or p.hidden))
        ]
        yield Case(path, _build(bench, path, params, None, None))
        for param in params:
            for value in bench.hostile(param):
                yield Case(path, _build(bench, path, params, param, value))


def _run(case: Case, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO("not-the-password\n"))

    def timeout(signum: int, frame: object) -> None:
        raise CaseTimeout(str(case))

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.setitimer(signal.ITIMER_REAL, CASE_SECONDS)
    try:
        cli_main.main([*case.path, *case.args])
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    out, err = capsys.readouterr()
    return code, out + err


def test_every_command_survives_hostile_arguments(bench: Bench, capsys, monkeypatch) -> None:
    seen: set[tuple[str, ...]] = set()
    failures = []
    count = 0
    for case in cases(bench):
        seen.add(case.path)
        count += 1
        try:
            code, output = _run(case, capsys, monkeypatch)
        except CaseTimeout:
            capsys.readouterr()
            failures.append(f"{case}: still running after {CASE_SECONDS} s")
            continue
        lines = output.strip().splitlines()
        problem = None
        if "Traceback" in output or "this is a bug in unlocker" in output:
            problem = lines[-1] if lines else output
        elif code not in (0, 1, 2, 3):
            problem = f"exit code {code}"
        elif code == 1 and not any(line.startswith("unlocker: ") for line in lines):
            problem = "failed without an 'unlocker: ...' line"
        if problem:
            failures.append(f"{case}: {problem}")
    assert not failures, f"{len(failures)} of {count} cases:\n" + "\n".join(failures)
    assert not (bench.root / "state" / "crashes").exists()  # the bug handler never ran
    assert {p[0] for p in seen} == set(COMMANDS)  # every command was tried

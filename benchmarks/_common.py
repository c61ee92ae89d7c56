"""Shared helpers for the benchmark scripts (not tests: they print figures, they do not assert)."""

from __future__ import annotations

import argparse
import atexit
import functools
import hashlib
import os
import platform
import shutil
import statistics
import struct
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

MiB = 1024 * 1024
GiB = 1024 * MiB
ROOT = Path(__file__).resolve().parent.parent

# Our commands keep their config, state (phone locks, journals) and cache in a throw-away directory,
# the same fresh start for every run of a script, and nothing of the person's own is touched.
# Helpers started by a script (e.g. download.py's server) inherit it and make none of their own.
_DIRS = [f"UNLOCKER_{name}_DIR" for name in ("CONFIG", "STATE", "CACHE")]
if not all(name in os.environ for name in _DIRS):
    _HOME = Path(tempfile.mkdtemp(prefix="bench-home-"))
    atexit.register(shutil.rmtree, _HOME, True)
    for _name in _DIRS:
        os.environ.setdefault(_name, str(_HOME / _name.split("_")[1].lower()))


def machine(title: str) -> None:
    """The first lines of every script's output: what was measured, and on what."""
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        fastboot = subprocess.run(["fastboot", "--version"], capture_output=True, text=True).stdout
        fastboot = fastboot.splitlines()[0] if fastboot else "not found"
    except OSError:
        fastboot = "not found"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    python = installed_python()
    print(f"== {title}")
    print(
        f"machine: {cpu}, {os.cpu_count()} cores; Python {platform.python_version()}; {fastboot}; "
        f"{platform.system()} {platform.release()}; load average {load}"
    )
    print(f"unlocker: this checkout installed as `pip install .` installs it (not editable), run by {python}")


@functools.cache
def installed_python() -> Path:
    """An interpreter with this checkout installed the way the README installs it, built once per
    source state (untimed) and kept in the temporary directory.

    A development checkout is usually an editable install, whose import hook costs every start of
    Python (ours and ``python3 -c pass`` alike) about 30 ms and imports modules unlocker would
    otherwise load itself; users run a regular install. So: a venv without pip, unlocker installed
    into it by this interpreter's pip from a wheel built here (no network), its bytecode compiled
    as pip compiles it, and unlocker's dependencies taken from this interpreter's site-packages
    through a plain path entry.
    """
    digest = hashlib.sha256()
    for path in sorted([ROOT / "pyproject.toml", *(ROOT / "unlocker").rglob("*")]):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    home = Path(tempfile.gettempdir()) / f"unlocker-bench-install-{digest.hexdigest()[:16]}"
    python = home / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if (home / "ready").exists():
        return python
    shutil.rmtree(home, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(home)], check=True)
    quiet = {**os.environ, "PYTHONWARNINGS": "ignore"}
    wheels = home / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--wheel-dir", str(wheels), str(ROOT)],
        check=True, env=quiet,
    )  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index",
         *map(str, wheels.glob("*.whl"))],
        check=True, env=quiet,
    )  # fmt: skip
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    Path(purelib, "_benchmark_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "compileall", "-q", str(Path(purelib, "unlocker"))], check=True)
    (home / "ready").touch()
    return python


def rounds_arg(parser: argparse.ArgumentParser, default: int) -> None:
    parser.add_argument(
        "--rounds", type=int, default=default, help=f"paired rounds (default {default}); order alternates"
    )


def unlocker_cmd(*args: str) -> list[str]:
    """The ``unlocker`` command as users run it: the console script of the regular install."""
    return [str(installed_python().with_name("unlocker")), *args]


def python_pass() -> list[str]:
    """``python3 -c pass`` with the interpreter and site set-up our commands run with."""
    return [str(installed_python()), "-c", "pass"]


@contextmanager
def workdir(need: int, prefix: str = "bench-") -> Iterator[Path]:
    """A temporary directory in /dev/shm when it has ``need`` bytes to spare (plus 1 GiB), else in /tmp.

    Inputs in RAM keep disk reads out of the comparison; both clients read the same files.
    """
    shm = Path("/dev/shm")
    base = None
    if shm.is_dir() and shutil.disk_usage(shm).free > need + GiB:
        base = str(shm)
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def make_image(path: Path, size: int) -> None:
    """A realistic mix, in whole 1 MiB blocks: 1/3 random (incompressible), 1/3 zeros, 1/3 one repeated word.

    Sizes are kept a multiple of 4096: Google's fastboot mis-splits raw images that are not.
    """
    blocks = max(3, size // MiB)
    with open(path, "wb") as f:
        for i in range(blocks):
            part = i * 3 // blocks
            f.write(
                os.urandom(MiB)
                if part == 0
                else bytes(MiB)
                if part == 1
                else b"\x12\x34\x56\x78" * (MiB // 4)
            )


_SPARSE_HEADER = struct.Struct("<IHHHHIIII")
_CHUNK_HEADER = struct.Struct("<HHII")
_RAW, _FILL, _DONT_CARE = 0xCAC1, 0xCAC2, 0xCAC3


def make_sparse(raw: Path, sparse: Path) -> None:
    subprocess.run(["img2simg", str(raw), str(sparse)], check=True)


def make_sparse_image(path: Path, size: int) -> None:
    """The sparse image img2simg makes of :func:`make_image`'s content, written directly (no raw copy
    on disk): one RAW chunk of the random third, a FILL of zeros, a FILL of the repeated word."""
    blocks = max(3, size // MiB)
    parts = [sum(1 for i in range(blocks) if i * 3 // blocks == p) for p in range(3)]
    per_mib = MiB // 4096
    with open(path, "wb") as f:
        f.write(_SPARSE_HEADER.pack(0xED26FF3A, 1, 0, 28, 12, 4096, blocks * per_mib, 3, 0))
        f.write(_CHUNK_HEADER.pack(_RAW, 0, parts[0] * per_mib, 12 + parts[0] * MiB))
        for _ in range(parts[0]):
            f.write(os.urandom(MiB))
        f.write(_CHUNK_HEADER.pack(_FILL, 0, parts[1] * per_mib, 16) + bytes(4))
        f.write(_CHUNK_HEADER.pack(_FILL, 0, parts[2] * per_mib, 16) + b"\x12\x34\x56\x78")


def make_many_chunks(path: Path, chunks: int, block: int = 4096) -> None:
    """A sparse image of ``chunks`` one-block chunks: RAW, FILL, RAW, DONT_CARE, ... (no two alike in a row).

    img2simg never writes such an image (it merges runs), but real file systems with scattered
    data do; it is the worst case for anything per chunk (planning, cutting, resparsing).
    """
    # Enough distinct random blocks that the data does not look like a repeating pattern.
    pool = os.urandom(block * 64)
    raw_header = _CHUNK_HEADER.pack(_RAW, 0, 1, _CHUNK_HEADER.size + block)
    dont_care = _CHUNK_HEADER.pack(_DONT_CARE, 0, 1, _CHUNK_HEADER.size)
    with open(path, "wb") as f:
        f.write(
            _SPARSE_HEADER.pack(
                0xED26FF3A, 1, 0, _SPARSE_HEADER.size, _CHUNK_HEADER.size, block, chunks, chunks, 0
            )
        )
        out: list[bytes] = []
        for i in range(chunks):
            if i % 2 == 0:
                k = (i // 2) % 64
                out += (raw_header, pool[k * block : (k + 1) * block])
            elif i % 4 == 1:
                out += (_CHUNK_HEADER.pack(_FILL, 0, 1, _CHUNK_HEADER.size + 4), struct.pack("<I", i))
            else:
                out.append(dont_care)
            if len(out) >= 4096:
                f.write(b"".join(out))
                out.clear()
        f.write(b"".join(out))


@dataclass
class Sample:
    seconds: float
    cpu: float  # user + system seconds of the child and the descendants it waited for


def run(cmd: list[str], env: dict[str, str] | None = None, timeout: float | None = None) -> Sample:
    """Run ``cmd`` to completion, output discarded; wall and CPU time of exactly this child (os.wait4)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        timer = threading.Timer(timeout, proc.kill) if timeout else None
        if timer:
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        if timer:
            timer.cancel()
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if timeout and elapsed >= timeout:
            raise subprocess.TimeoutExpired(cmd, timeout)
        if code:
            err.seek(0)
            raise subprocess.CalledProcessError(code, cmd, stderr=err.read()[-2000:])
    return Sample(elapsed, usage.ru_utime + usage.ru_stime)


def timed(cmd: list[str], **kw: object) -> float:
    return run(cmd, **kw).seconds  # type: ignore[arg-type]


@dataclass
class Paired:
    """n rounds of A (ours) and B (theirs), the order alternating: AB, BA, AB, ..."""

    label: str
    ours: list[Sample] = field(default_factory=list)
    theirs: list[Sample] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        return [a.seconds / b.seconds for a, b in zip(self.ours, self.theirs, strict=True)]

    def row(self, goal: str = "") -> tuple[str, ...]:
        def mm(values: list[float], fmt: str = "{:.3f}") -> str:
            return f"{fmt.format(min(values))} / {fmt.format(statistics.median(values))}"

        return (
            self.label,
            str(len(self.ratios)),
            mm([s.seconds for s in self.ours]),
            mm([s.seconds for s in self.theirs]),
            mm(self.ratios, "{:.2f}"),
            f"{statistics.median(s.cpu for s in self.ours):.3f} / {statistics.median(s.cpu for s in self.theirs):.3f}",
            goal,
        )


PAIRED_HEADER = (
    "what",
    "n",
    "ours s min / median",
    "anchor s min / median",
    "ratio min / median",
    "CPU s median ours / anchor",
    "goal (median ratio)",
)


def paired(
    label: str,
    ours: Callable[[], Sample],
    theirs: Callable[[], Sample],
    rounds: int,
    verbose: bool = True,
) -> Paired:
    """Each callable runs (and may prepare, untimed) one measurement and returns its Sample."""
    result = Paired(label)
    for i in range(rounds):
        if i % 2 == 0:
            a = ours()
            b = theirs()
        else:
            b = theirs()
            a = ours()
        result.ours.append(a)
        result.theirs.append(b)
    if verbose:
        print(f"   {label}: done ({rounds} pairs)", file=sys.stderr, flush=True)
    return result


def paired_table(rows: list[tuple[Paired, str]]) -> None:
    table([PAIRED_HEADER, *[p.row(goal) for p, goal in rows]])


# Measured through a small C parent: Python's subprocess starts children with vfork, and Linux
# records the parent's peak RSS into the child's ru_maxrss at exec (here `true` read 513 MiB from a
# process holding 500 MiB), so os.wait4 from this process would floor every figure at our own peak.
# GNU time takes ru_maxrss from wait4 too, from a process of about 1 MiB.
_TIME = "/usr/bin/time"
_SHIM = """
import os, sys
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ)
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss if os.waitstatus_to_exitcode(status) == 0 else -1)
"""


def peak_rss_mib(cmd: list[str], env: dict[str, str] | None = None) -> float:
    """Peak RSS (ru_maxrss from wait4) of exactly this command's process, in MiB."""
    if os.access(_TIME, os.X_OK):
        with tempfile.NamedTemporaryFile("r", suffix=".rss") as out:
            done = subprocess.run(
                [_TIME, "-f", "%M", "-o", out.name, *cmd],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=env,
            )
            if done.returncode:
                raise subprocess.CalledProcessError(done.returncode, cmd, stderr=done.stderr)
            return int(out.read().split()[-1]) / 1024
    # Without GNU time: a fresh, small interpreter as the parent (its own ~8 MiB is then the floor).
    done = subprocess.run([sys.executable, "-S", "-c", _SHIM, *cmd], capture_output=True, text=True, env=env)
    kib = int(done.stdout or -1)
    if kib < 0:
        raise subprocess.CalledProcessError(1, cmd, stderr=done.stderr)
    return kib / 1024


def rss_floor_note() -> str:
    return f"peak RSS via wait4 ru_maxrss (floor: `true` reads {peak_rss_mib(['true']):.1f} MiB)"


def table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip())
    sys.stdout.flush()


def _listening(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("listening"):
        proc.kill()
        raise RuntimeError(f"the device did not start: {line!r}")
    return line.split()[1]


def start_discard(max_download_size: int, *variables: str) -> tuple[subprocess.Popen[str], str]:
    """benchmarks/discard_device.py in its own process; ``variables`` are NAME=VALUE overrides."""
    cmd = [sys.executable, str(ROOT / "benchmarks" / "discard_device.py")]
    cmd += ["--max-download-size", str(max_download_size)]
    for v in variables:
        cmd += ["--var", v]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return proc, _listening(proc)


def start_emulator(state_dir: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    """`unlocker emulate` in its own process (so only the client is measured); returns it and its -s name."""
    proc = subprocess.Popen(
        unlocker_cmd("emulate", "--port", "0", "--state-dir", str(state_dir), "--unlocked", *args),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().split()[1]


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()

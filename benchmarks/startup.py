"""Start-up time: `unlocker --version`, `--help` and `status` against `python3 -c pass` (issue 15 item 4).

Paired alternating runs: each round runs the anchor and every command once, in an order that
rotates from round to round, so a busy moment of a shared machine hits all of them alike. Ratios
are taken per round (command / anchor of the same round), then the min and median over rounds are
printed, for wall time and for CPU time (user + sys of the child, from `os.wait4`).

`status` asks the discard-only device (benchmarks/discard_device.py), which answers getvar like an
unlocked virtual phone. The command measured is the console script `unlocker` beside the running
interpreter (what people type), importing this checkout's package; the anchor is the same
interpreter running `-c pass`, so both pay for the same `site` and `.pth` start-up. The package
is byte-compiled first (as pip does when it installs), since PYTHONDONTWRITEBYTECODE would
otherwise make every run compile every module again.

Usage: python benchmarks/startup.py [ROUNDS]   (default 20)
"""

from __future__ import annotations

import compileall
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._common import table  # noqa: E402


def _console_script() -> list[str]:
    beside = Path(sys.executable).parent / "unlocker"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("unlocker")
    return [found] if found else [sys.executable, "-m", "unlocker"]


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + sys) of one run of ``cmd``."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} exited with {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for package in ("unlocker", "firmware_index"):
        compileall.compile_dir(ROOT / package, quiet=1)
    device = subprocess.Popen(
        [sys.executable, str(ROOT / "benchmarks" / "discard_device.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert device.stdout is not None
        name = device.stdout.readline().split()[1]
        unlocker = _console_script()
        commands = {
            "python3 -c pass": [sys.executable, "-c", "pass"],
            "unlocker --version": [*unlocker, "--version"],
            "unlocker --help": [*unlocker, "--help"],
            "unlocker status": [*unlocker, "status", "-s", name],
        }
        for cmd in commands.values():  # warm the page cache and the .pyc files
            _run(cmd, env)
        walls: dict[str, list[float]] = {label: [] for label in commands}
        cpus: dict[str, list[float]] = {label: [] for label in commands}
        labels = list(commands)
        for i in range(rounds):
            order = labels[i % len(labels) :] + labels[: i % len(labels)]
            if i % 2:
                order.reverse()
            for label in order:
                wall, cpu = _run(commands[label], env)
                walls[label].append(wall)
                cpus[label].append(cpu)
    finally:
        device.kill()
        device.wait()

    anchor = labels[0]
    rows = [
        ("command", "wall min s", "wall median s", "ratio min/median", "cpu median s", "cpu ratio min/median")
    ]
    for label in labels:
        wall_ratios = [w / a for w, a in zip(walls[label], walls[anchor], strict=True)]
        cpu_ratios = [c / max(a, 1e-3) for c, a in zip(cpus[label], cpus[anchor], strict=True)]
        rows.append(
            (
                label,
                f"{min(walls[label]):.3f}",
                f"{statistics.median(walls[label]):.3f}",
                f"{min(wall_ratios):.2f} / {statistics.median(wall_ratios):.2f}",
                f"{statistics.median(cpus[label]):.3f}",
                f"{min(cpu_ratios):.2f} / {statistics.median(cpu_ratios):.2f}",
            )
        )
    print(f"{rounds} paired alternating rounds; console script: {' '.join(unlocker)}")
    table(rows)


if __name__ == "__main__":
    main()

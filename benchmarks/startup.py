"""Start-up: `unlocker --version`, `--help` and `status` vs `python3 -c pass` (goal: within 2.0x).

Every command runs as the `unlocker` console script does (its entry point, this interpreter); the
anchor is the same interpreter doing nothing. `status` asks the discard-only device (which answers
getvar like an unlocked phone); `fastboot getvar all` against it is printed for information.
Paired alternating rounds; ratio = our time / the anchor's, per pair.

Usage: python benchmarks/startup.py [--rounds N]   (default 20)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import (  # noqa: E402
    MiB,
    machine,
    paired,
    paired_table,
    peak_rss_mib,
    python_pass,
    rounds_arg,
    rss_floor_note,
    run,
    start_discard,
    stop,
    table,
    unlocker_cmd,
)


def modules_loaded(cmd: list[str]) -> list[str]:
    """The modules ``cmd`` (a Python program) imports, in order, as ``-X importtime`` lists them."""
    done = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}, check=True
    )
    return [
        line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")
    ][1:]


def foreign_floor(cmd: list[str], anchor: list[str]) -> list[str]:
    """``python3 -c 'import ...'`` of every module ``cmd`` loads that is not unlocker's own and that
    ``python3 -c pass`` does not load anyway: what the standard library and the dependencies cost
    any program that needs them, before a line of unlocker runs."""
    baseline = set(modules_loaded(anchor))
    foreign = [m for m in modules_loaded(cmd) if m not in baseline and m.split(".")[0] != "unlocker"]
    # -X importtime also lists imports that failed on this system (nt, _winapi, ...): keep those
    # that exist here.
    check = "import importlib.util, sys\nfor m in sys.argv[1:]:\n    try:\n        importlib.util.find_spec(m) and print(m)\n    except ImportError:\n        pass\n"
    found = subprocess.run(
        [anchor[0], "-c", check, *dict.fromkeys(foreign)], capture_output=True, text=True, check=True
    )
    return [anchor[0], "-c", "import " + ", ".join(found.stdout.split())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    rounds_arg(parser, 20)
    args = parser.parse_args()
    machine(
        "start-up: unlocker commands vs python3 -c pass (same interpreter); DEVICE: the discard-only device"
    )
    device, name = start_discard(256 * MiB)
    anchor = python_pass()
    commands = {
        "unlocker --version": unlocker_cmd("--version"),
        "unlocker --help": unlocker_cmd("--help"),
        "unlocker status -s DEVICE": unlocker_cmd("status", "-s", name),
    }
    goals = {"unlocker --help": "(information)"}
    try:
        run(commands["unlocker --version"])  # compile the byte code once, untimed
        rows = [
            (
                paired(
                    f"{label} vs python3 -c pass", lambda cmd=cmd: run(cmd), lambda: run(anchor), args.rounds
                ),
                goals.get(label, "<= 2.0"),
            )
            for label, cmd in commands.items()
        ]
        getvar = ["fastboot", "-s", name, "getvar", "all"]
        rows.append(
            (
                paired(
                    "unlocker status vs fastboot getvar all",
                    lambda: run(commands["unlocker status -s DEVICE"]),
                    lambda: run(getvar),
                    args.rounds,
                ),
                "(information)",
            )
        )
        floor = foreign_floor(commands["unlocker status -s DEVICE"], anchor)
        rows.append(
            (
                paired(
                    f"the {floor[2].count(',') + 1} other modules status loads, alone, vs python3 -c pass",
                    lambda: run(floor),
                    lambda: run(anchor),
                    args.rounds,
                ),
                "(information)",
            )
        )
        paired_table(rows)
        print(f"those modules: {floor[2].removeprefix('import ')}")
        print()
        print(rss_floor_note())
        rss = [("command", "peak RSS MiB (max of 3)")]
        for label, cmd in [*commands.items(), ("python3 -c pass", anchor), ("fastboot getvar all", getvar)]:
            rss.append((label, f"{max(peak_rss_mib(cmd) for _ in range(3)):.1f}"))
        table(rss)
    finally:
        stop(device)


if __name__ == "__main__":
    main()

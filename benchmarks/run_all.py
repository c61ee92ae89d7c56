"""Every benchmark in sequence, each printing its figures beside its anchor, and how long each took.

Defaults: 10 paired rounds for every issue-15 figure (download, the virtual phone's write speed,
sparse conversion; flash with 20 and start-up with 60, whose rounds are short and noisy); the
two long journeys (sideload, whole install) use --long-rounds (default 5; their n is printed).
About 20 minutes on an idle 2-core machine.
`--smoke` runs everything small and twice, to check that the scripts work (figures meaningless).

Usage: python benchmarks/run_all.py [--smoke] [--long-rounds N] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
GiB = 1024**3


def plan(long_rounds: int, smoke: bool) -> list[tuple[str, list[str]]]:
    if smoke:
        return [
            ("startup", ["--rounds", "2"]),
            ("flash_throughput", ["--rounds", "2", "--large", "64", "--small", "32", "--chunks", "4096"]),
            ("flash_memory", ["--runs", "1", "--sizes", "64", "256", "--chunks", "4096"]),
            ("download", ["--rounds", "2", "--size", "64"]),
            ("emulator_write", ["--rounds", "2", "--size", "64"]),
            ("sparse_convert", ["--rounds", "2", "--size", "64"]),
            ("sideload_throughput", ["--rounds", "2", "--size", "64"]),
            ("install_journey", ["--rounds", "2", "--size", "64"]),
            ("stock_memory", ["--xz", "64", "64"]),
        ]
    return [
        # More rounds where one round is short and the machine's noise is large beside it.
        ("startup", ["--rounds", "60"]),
        ("flash_throughput", ["--rounds", "20"]),
        ("flash_memory", ["--runs", "3"]),
        ("download", ["--rounds", "10"]),
        ("emulator_write", ["--rounds", "10"]),
        ("sparse_convert", ["--rounds", "10"]),
        ("sideload_throughput", ["--rounds", str(long_rounds)]),
        ("install_journey", ["--rounds", str(long_rounds)]),
        ("stock_memory", ["--xz", "4096", "512", "2048"]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small sizes, 2 rounds: check the scripts run")
    parser.add_argument(
        "--long-rounds", type=int, default=5, help="rounds of sideload and install (default 5)"
    )
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", help="run only these scripts (names without .py)"
    )
    args = parser.parse_args()
    scripts = plan(args.long_rounds, args.smoke)
    unknown = set(args.only or ()) - {name for name, _ in scripts}
    if unknown:
        parser.error(f"no such benchmark: {', '.join(sorted(unknown))}")
    env = dict(os.environ)
    # Extracted payload images in RAM when there is room for the 4 GiB partition and its copy.
    shm = Path("/dev/shm")
    if "BENCH_OUT" not in env and shm.is_dir() and shutil.disk_usage(shm).free > 6 * GiB:
        env["BENCH_OUT"] = str(shm)
    took: list[tuple[str, str]] = []
    failed = []
    start_all = time.monotonic()
    for name, script_args in scripts:
        if args.only and name not in args.only:
            continue
        cmd = [sys.executable, str(HERE / f"{name}.py"), *script_args]
        print(f"\n$ {' '.join(['python', f'benchmarks/{name}.py', *script_args])}", flush=True)
        start = time.monotonic()
        code = subprocess.run(cmd, env=env).returncode
        seconds = time.monotonic() - start
        took.append((name, f"{seconds:.0f} s" + ("" if code == 0 else f" (FAILED, exit {code})")))
        if code:
            failed.append(name)
        print(f"[{name}: {seconds:.0f} s]", flush=True)
    print(f"\n== time taken (total {time.monotonic() - start_all:.0f} s)")
    for name, seconds in took:
        print(f"{name:<22}{seconds}")
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()

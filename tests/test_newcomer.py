"""A newcomer's first ten minutes: what the README promises and what tests/run.sh does."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="shell scripts")


def test_readme_states_the_python_the_package_requires() -> None:
    version = re.search(r'^requires-python = ">=(\d+\.\d+)"$', (REPO / "pyproject.toml").read_text(), re.M)
    assert version and f"Python {version.group(1)} or newer" in README
    assert "python3-venv" in README and "pipx install ." in README
    assert "```powershell" in README and "only inside the virtualenv" in README


def _stubs(tmp_path: Path, *, uid: int) -> Path:
    """apt-get, sudo and id that only log; dpkg-query that knows the packages in $INSTALLED."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    scripts = {
        "apt-get": 'echo "apt-get $*" >> "$LOG"',
        "sudo": 'echo "sudo" >> "$LOG"; exec "$@"',
        "id": f"echo {uid}",
        "dpkg-query": 'for p in $INSTALLED; do [ "$p" = "${@: -1}" ] && { echo "install ok installed"; exit 0; }; done; exit 1',
    }
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text(f"#!/usr/bin/env bash\n{body}\n")
        path.chmod(0o755)
    return bin_dir


NEEDED = (
    "fastboot adb android-sdk-libsparse-utils umockdev gir1.2-umockdev-1.0 python3-gi libusb-1.0-0 "
    "python3-cryptography python3-yaml"
)


def _packages(
    tmp_path: Path, installed: str, *, uid: int = 1000
) -> tuple[subprocess.CompletedProcess[str], str]:
    log = tmp_path / "log"
    log.touch()
    env = {
        **os.environ,
        "PATH": f"{_stubs(tmp_path, uid=uid)}{os.pathsep}{os.environ['PATH']}",
        "INSTALLED": installed,
        "LOG": str(log),
    }
    r = subprocess.run(
        ["bash", str(REPO / "tests" / "debian_packages.sh"), sys.executable],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    return r, log.read_text()


@posix_only
def test_nothing_is_installed_when_nothing_is_missing(tmp_path: Path) -> None:
    r, log = _packages(tmp_path, NEEDED)
    assert r.returncode == 0 and r.stderr == "" and log == ""  # no apt-get, no sudo prompt


@posix_only
def test_missing_packages_are_named_and_sudo_is_explained(tmp_path: Path) -> None:
    r, log = _packages(tmp_path, NEEDED.replace("umockdev ", ""))
    assert r.returncode == 0
    assert "installing missing Debian packages: umockdev" in r.stderr
    assert "sudo may ask for your password" in r.stderr
    assert log.splitlines() == [
        "sudo",
        "apt-get update -qq",
        "sudo",
        "apt-get install -y -qq --no-install-recommends umockdev",
    ]


@posix_only
def test_root_needs_no_sudo(tmp_path: Path) -> None:
    r, log = _packages(tmp_path, NEEDED.replace("adb ", ""), uid=0)
    assert "sudo" not in r.stderr and "sudo" not in log and log.endswith("--no-install-recommends adb\n")


@posix_only
def test_run_sh_refuses_an_old_python_at_once(tmp_path: Path) -> None:
    old = tmp_path / "python3.8"
    old.write_text('#!/bin/sh\n[ "$1" = "-V" ] && { echo "Python 3.8.10"; exit 0; }\nexit 1\n')
    old.chmod(0o755)
    r = subprocess.run(
        ["bash", str(REPO / "tests" / "run.sh")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON": str(old)},
        timeout=60,
    )
    assert r.returncode == 1 and "needs Python 3.10 or newer" in r.stderr and "Python 3.8.10" in r.stderr


def test_skipped_source_data_tests_say_why_and_where_they_run() -> None:
    from tests.index.test_shipped_index import NO_SOURCE

    assert "source data" in NO_SOURCE and "CI" in NO_SOURCE and "lineage_devices.json" in NO_SOURCE

"""Honest outcomes (issue 9, item 6): when a flash stops, the message says what is known about the
partition (data sent or not, write confirmed or not), and Ctrl+C / SIGTERM exit 130 / 143 saying
what state it may be in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from unlocker.emulator.model import parse_fault

KiB = 1024


def flash_boot(run_cli, p, tmp_path: Path, **env: str):
    image = tmp_path / "boot.img"
    image.write_bytes(os.urandom(64 * KiB))
    return run_cli("flash", "boot", str(image), "--yes", "-s", p.name, env=env or None)


def test_refused_download_means_nothing_was_written(phone_factory, run_cli, tmp_path: Path) -> None:
    p = phone_factory(unlocked=True, faults=[parse_fault("fail:download=no space")])
    r = flash_boot(run_cli, p, tmp_path)
    assert r.returncode == 1
    assert "no data of this piece reached the phone" in r.stderr and "nothing was written" in r.stderr
    assert "boot_a is unchanged" in r.stderr


def test_refused_write_after_the_data_is_not_called_nothing(phone_factory, run_cli, tmp_path: Path) -> None:
    p = phone_factory(unlocked=True, faults=[parse_fault("fail:flash:boot_a=eMMC write error")])
    r = flash_boot(run_cli, p, tmp_path)
    assert r.returncode == 1
    assert "nothing was written" not in r.stderr
    assert "eMMC write error" in r.stderr and "refused to write it" in r.stderr
    assert "may be partly written" in r.stderr


def test_stall_at_flash_says_the_partition_may_have_changed(phone_factory, run_cli, tmp_path: Path) -> None:
    p = phone_factory(unlocked=True, faults=[parse_fault("stall:flash:boot_a")])
    start = time.monotonic()
    r = flash_boot(run_cli, p, tmp_path, UNLOCKER_RESPONSE_TIMEOUT="0.25")
    assert time.monotonic() - start < 20
    assert r.returncode == 1
    assert "nothing was written" not in r.stderr
    assert "no answer to 'flash:boot_a'" in r.stderr and "boot_a may have been changed" in r.stderr


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_during_a_flash(phone_factory, cli_env, tmp_path: Path, sig: int, code: int) -> None:
    p = phone_factory(unlocked=True, faults=[parse_fault("stall:flash:boot_a")])
    image = tmp_path / "boot.img"
    image.write_bytes(os.urandom(64 * KiB))
    proc = subprocess.Popen(
        [sys.executable, "-m", "unlocker", "flash", "boot", str(image), "--yes", "-s", p.name],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env,
    )
    deadline = time.monotonic() + 30
    while not any(c.startswith("flash:") for c in list(p.phone.commands_received)):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert "interrupted" in err and "boot_a may have been changed" in err
    assert "Traceback" not in err


def test_exit_codes_are_documented(run_cli) -> None:
    out = run_cli("--help").stdout
    assert "130" in out and "143" in out and "SIGTERM" in out

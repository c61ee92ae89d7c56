"""`unlocker install` through the CLI on the virtual phone: dry run, usage, a refusal, status, report.

(Every refusal's message is checked in process in test_refusals; a killed process in test_journey_cli.)"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.install.conftest import Published
from tests.install.scripted import ScriptedUI, install, request_for
from unlocker.emulator import parse_fault
from unlocker.errors import UnlockerError

FAST = {"UNLOCKER_INSTALL_TIMEOUT": "2", "UNLOCKER_RESPONSE_TIMEOUT": "2"}


def tree(*roots: Path) -> dict[str, str]:
    """Every file under ``roots`` with its sha256: what 'byte-identical before and after' compares.
    The per-phone lock files are left out: a dry run takes the phone's lock too, and without a
    user runtime dir (no XDG_RUNTIME_DIR here) they live in the state dir's ``run`` folder."""
    found = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.relative_to(root).parts[:2] != ("run", "locks"):
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def test_dry_run_touches_nothing(phone_factory, run_cli, cli_env, alioth_build: Published) -> None:
    phone = phone_factory(unlocked=True)
    state = Path(cli_env["UNLOCKER_STATE_DIR"])
    before = tree(phone.state_dir, state)
    r = run_cli("install", "lineageos", "-s", phone.name, "--dry-run", env={**alioth_build.env, **FAST})
    assert r.returncode == 0, r.stderr
    assert "Step 15/15" in r.stdout and "vendor_boot.img" in r.stdout
    assert "Volume Up + Power" in r.stdout  # what to press for the recovery, from the device's data
    assert "erases: all data on the phone" in r.stdout
    for artefact in alioth_build.images.values():
        assert hashlib.sha256(artefact.read_bytes()).hexdigest() in r.stdout
    assert tree(phone.state_dir, state) == before
    assert not (Path(cli_env["UNLOCKER_CACHE_DIR"]) / "downloads").exists()
    assert alioth_build.server.file_requests() == []  # the build list only, no file
    assert not [c for c in phone.phone.commands_received if not c.startswith("getvar:")]

    as_json = run_cli(
        "install", "lineageos", "-s", phone.name, "--dry-run", "--json", env={**alioth_build.env, **FAST}
    )
    assert as_json.returncode == 0, as_json.stderr
    plan = json.loads(as_json.stdout)
    assert plan["dry_run"] and plan["plan"]["codename"] == "alioth" and len(plan["plan"]["steps"]) == 15
    assert {a["id"] for a in plan["plan"]["artefacts"]} == {"boot", "dtbo", "recovery", "rom_zip"}
    assert tree(phone.state_dir, state) == before


def test_several_roms_exit_2_and_list_them(phone_factory, run_cli, alioth_build: Published) -> None:
    phone = phone_factory(unlocked=True)
    r = run_cli("install", "-s", phone.name, "--dry-run", env=alioth_build.env)
    assert r.returncode == 2
    assert "lineageos" in r.stderr and "crdroid" in r.stderr and "Traceback" not in r.stderr


def test_locked_bootloader_is_refused_before_anything(
    phone_factory, run_cli, cli_env, alioth_build: Published
) -> None:
    phone = phone_factory()  # locked, as it leaves the shop
    r = run_cli("install", "lineageos", "-s", phone.name, "--yes", env={**alioth_build.env, **FAST})
    assert r.returncode == 1
    assert "locked" in r.stderr and "`unlocker unlock`" in r.stderr and "Traceback" not in r.stderr
    assert alioth_build.server.file_requests() == []
    assert not (Path(cli_env["UNLOCKER_STATE_DIR"]) / "installs").exists()
    assert not [c for c in phone.phone.commands_received if not c.startswith("getvar:")]


def test_stopped_install_status_report_and_resume_with_another_phone(
    phone_factory, run_cli, in_process, alioth_build: Published
) -> None:
    running = phone_factory(
        unlocked=True, faults=[parse_fault("fail:flash:dtbo_a=Flashing failed: write error")]
    )
    with pytest.raises(UnlockerError) as caught:
        install(request_for(running), ScriptedUI(running))
    assert "write error" in str(caught.value) and "`unlocker install --resume`" in str(caught.value.hint)

    status = run_cli("install", "--status", "--json")
    journal = json.loads(status.stdout)["installs"][0]
    assert journal["state"] == "stopped" and "write error" in journal["last_error"]
    assert [s["number"] for s in journal["steps"] if s["status"] == "done"] == [1, 2, 3, 4, 5, 6]
    assert journal["phone"]["serial"] == running.phone.serial
    human = run_cli("install", "--status")
    assert "[x] 6. Write boot.img" in human.stdout and "[ ] 7. Write dtbo.img" in human.stdout

    report = run_cli("report", "--no-phone")
    assert running.phone.serial not in report.stdout  # redacted
    installs = json.loads(report.stdout)["installs"]
    assert installs[0]["codename"] == "alioth" and installs[0]["phone"]["serial"].startswith("<id:")
    assert installs[0]["last_error"] and installs[0]["steps"][6]["status"] == "pending"

    stranger = phone_factory(unlocked=True)
    r = run_cli("install", "--resume", "-s", stranger.name, "--yes", env=FAST)
    assert r.returncode == 1
    assert "not the one the unfinished install is for" in r.stderr and "Traceback" not in r.stderr
    assert not [c for c in stranger.phone.commands_received if not c.startswith("getvar:")]

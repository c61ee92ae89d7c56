"""`unlocker guide`: the ways out for a region-locked or disabled phone, adapted to what is seen."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from unlocker import i18n_po, i18n_tools
from unlocker.index import load_index

GUIDE_KEYS = {"phone", "device", "waiting_period", "steps", "cannot"}
_INDEX: list[object] = []


def _shipped_index() -> object:
    """The shipped index, validated once for all these tests (the CLI validates it at every run)."""
    if not _INDEX:
        _INDEX.append(load_index())
    return _INDEX[0]


@pytest.fixture
def run_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """The CLI in this process (the firmware index loads once for all tests), private user dirs."""
    from unlocker import i18n
    from unlocker.cli import main as cli_main

    for kind in ("CONFIG", "CACHE", "STATE"):
        monkeypatch.setenv(f"UNLOCKER_{kind}_DIR", str(tmp_path / kind.lower()))
        (tmp_path / kind.lower()).mkdir()
    monkeypatch.delenv("ANDROID_SERIAL", raising=False)
    monkeypatch.setattr("unlocker.index.load_index", lambda: _shipped_index())

    class Result:
        def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
            self.returncode, self.stdout, self.stderr = returncode, stdout, stderr

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        language = (env or {}).get("LANG", "").split("_")[0]
        argv = (["--lang", language] if language else []) + list(args)
        try:
            with pytest.raises(SystemExit) as exited:
                cli_main.main(argv)
        finally:
            i18n.set_language("en")
        out, err = capsys.readouterr()
        return Result(int(exited.value.code or 0), out, err)

    return run


STEP_KEYS = {"id", "state", "title", "text", "commands"}


def persian(message: str) -> str:
    return i18n_po.read(i18n_tools.po_path("fa")).by_key()[message].msgstr[0]


def guide(run_cli, *args: str, env: dict[str, str] | None = None) -> dict:
    r = run_cli("guide", *args, "--json", env=env)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert set(data) == GUIDE_KEYS
    for step in data["steps"]:
        assert set(step) == STEP_KEYS
    assert len(data["cannot"]) == 3
    return data


def steps(data: dict) -> dict[str, dict]:
    return {step["id"]: step for step in data["steps"]}


def test_locked_xiaomi_phone(phone, run_in_process) -> None:
    data = guide(run_in_process, "-s", phone.name)
    assert data["phone"] == {"name": phone.name, "mode": "bootloader", "product": "alioth", "unlocked": False}
    assert data["device"]["codename"] == "alioth" and data["device"]["unlock_method"] == "mi_unlock"
    assert [s["id"] for s in data["steps"]] == ["vendor-release", "connect", "unlock"]
    found = steps(data)
    assert found["vendor-release"]["state"] == "recommended"  # the least risky way comes first
    assert found["connect"]["state"] == "done"
    unlock = found["unlock"]
    assert unlock["state"] == "possible"
    assert unlock["commands"] == ["unlocker login", "unlocker unlock", "unlocker wait"]
    text = " ".join(unlock["text"])
    for requirement in ("bound to this phone", "SIM card", "waiting period", "quota"):
        assert requirement in text
    assert any("EDL" in line for line in data["cannot"])


def test_unlocked_phone_goes_to_install(unlocked_phone, run_in_process) -> None:
    data = guide(run_in_process, "-s", unlocked_phone.name)
    assert [s["id"] for s in data["steps"]] == ["vendor-release", "connect", "install"]
    install = steps(data)["install"]
    assert install["commands"] == ["unlocker roms alioth", "unlocker install"]


def test_phone_in_recovery_fastbootd(phone_factory, run_in_process) -> None:
    p = phone_factory("fastbootd")
    data = guide(run_in_process, "-s", p.name)
    assert data["phone"]["mode"] == "fastbootd"
    connect = steps(data)["connect"]
    assert "recovery" in connect["title"] and connect["commands"] == ["unlocker reboot bootloader"]


def test_no_phone(run_in_process) -> None:
    data = guide(run_in_process, "-s", "tcp:127.0.0.1:1")
    assert data["phone"] is None and data["device"] is None
    assert [s["id"] for s in data["steps"]] == ["vendor-release", "connect", "unlock", "install"]
    assert steps(data)["connect"]["state"] == "todo"
    assert steps(data)["unlock"]["state"] == "unknown"


def test_no_phone_with_a_codename_the_index_cannot_unlock(run_in_process) -> None:
    index = _shipped_index()
    codename = next(
        c for c, d in sorted(index.devices.items()) if (d.unlock or {}).get("method") == "not_unlockable"
    )
    data = guide(run_in_process, "-s", "tcp:127.0.0.1:1", "--codename", codename)
    assert steps(data)["unlock"]["state"] == "not-possible"


def test_waiting_period_from_the_ledger(phone, run_in_process, tmp_path: Path) -> None:
    ends = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=100)
    record = {
        "hours_left": 100,
        "ends_at": ends.replace(microsecond=0).isoformat(),
        "source": "server",
        "checked_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "product": "alioth",
    }
    (tmp_path / "state" / "mi-unlock-ledger.json").write_text(json.dumps(record))
    data = guide(run_in_process, "-s", phone.name)
    assert data["waiting_period"]["hours_left"] in (99, 100)
    unlock = steps(data)["unlock"]
    assert unlock["state"] == "waiting" and any("hours left" in line for line in unlock["text"])


@pytest.mark.parametrize("fixture", ["phone", "unlocked_phone"])
def test_guide_in_persian(request, run_in_process, fixture: str) -> None:
    p = request.getfixturevalue(fixture)
    r = run_in_process("guide", "-s", p.name, env={"LANG": "fa_IR.UTF-8"})
    assert r.returncode == 0, r.stderr
    assert persian("Ways out for a region-locked or remotely disabled phone, safest first") in r.stdout
    assert persian("Let Xiaomi undo the block") in r.stdout
    assert persian("What cannot be done:") in r.stdout
    # commands stand on their own lines, exactly as they are typed
    assert "\n      unlocker status\n" in r.stdout
    data = json.loads(run_in_process("guide", "-s", p.name, "--json", env={"LANG": "fa_IR.UTF-8"}).stdout)
    assert set(data) == GUIDE_KEYS and data["steps"][0]["id"] == "vendor-release"
    assert data["steps"][0]["title"] == persian("Let Xiaomi undo the block")


def test_guide_in_persian_without_a_phone(run_cli) -> None:
    """As a person runs it: a real process, the language from LANG."""
    r = run_cli("guide", "-s", "tcp:127.0.0.1:1", env={"LANG": "fa_IR.UTF-8"})
    assert r.returncode == 0
    assert persian("Phone: none connected") in r.stdout and persian("Let unlocker see the phone") in r.stdout


def test_guide_in_english_human_output(phone, run_in_process) -> None:
    r = run_in_process("guide", "-s", phone.name)
    assert r.stdout.startswith("Ways out for a region-locked or remotely disabled phone, safest first\n")
    assert "1. Let Xiaomi undo the block [start here]" in r.stdout
    assert "3. Unlock the bootloader with Mi Unlock [possible]" in r.stdout

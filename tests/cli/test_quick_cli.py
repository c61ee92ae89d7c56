"""`unlocker status` and `unlocker flash` run without click in their usual forms
(unlocker.cli.quick); they must print exactly what the click commands print, and leave every
other form to click."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from unlocker.cli import quick
from unlocker.cli.quick import recognise
from unlocker.flashing import plan

# The console script's entry with the quick path switched off: click parses everything.
_CLICK_ONLY = (
    "import sys\n"
    "from unlocker.cli import quick\n"
    "quick.recognise = lambda args: None\n"
    "from unlocker.cli.main import main\n"
    "main(sys.argv[1:])\n"
)


def _both(cli_env: dict[str, str], *args: str, env: dict[str, str] | None = None) -> tuple[object, object]:
    full = {**cli_env, **(env or {})}
    quick = subprocess.run(
        [sys.executable, "-m", "unlocker", *args], capture_output=True, text=True, env=full
    )
    clicks = subprocess.run(
        [sys.executable, "-c", _CLICK_ONLY, *args], capture_output=True, text=True, env=full
    )
    return (quick.returncode, quick.stdout, quick.stderr), (clicks.returncode, clicks.stdout, clicks.stderr)


def test_the_quick_status_prints_what_click_prints(phone_factory, cli_env) -> None:
    p = phone_factory("xiaomi-mtk", unlocked=True)
    for args, env in [
        (("status", "-s", p.name), None),
        (("status", "--json", f"-s{p.name}"), None),
        (("--lang", "fa", "status", f"--serial={p.name}"), None),
        (("status",), {"ANDROID_SERIAL": p.name, "UNLOCKER_LANG": "es"}),
        (("status", "-s", "tcp:127.0.0.1:1"), None),  # nothing listens: the error and its next step
    ]:
        quick, clicks = _both(cli_env, *args, env=env)
        assert quick == clicks, args
        assert quick[0] == (1 if "tcp:127.0.0.1:1" in args else 0), quick


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--help"],
        ["--version", "status"],
        ["status", "--help"],
        ["status", "-h"],
        ["--debug", "status"],
        ["status", "--debug"],
        ["status", "-x"],
        ["status", "-s"],
        ["status", "-s", "--json"],
        ["status", "extra"],
        ["status", "--"],
        ["--lang", "xx", "status"],
        ["--lang"],
        ["statu"],
        ["getvar", "product"],
    ],
)
def test_other_forms_are_left_to_click(args: list[str]) -> None:
    assert recognise(args) is None


def test_the_usual_forms_are_quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANDROID_SERIAL", raising=False)
    for args in (
        ["status"],
        ["status", "-s", "tcp:h"],
        ["status", "-stcp:h", "--json"],
        ["status", "--serial", "x", "--json"],
        ["--lang=en", "status", "--serial=x"],
    ):
        assert recognise(args) is not None, args


# --- flash ------------------------------------------------------------------------------------


def _without_timing(result: object) -> object:
    """How long a write took (seconds, rate) differs between two runs; every other byte may not."""
    code, out, err = result  # type: ignore[misc]
    return code, re.sub(r"\d+\.\d+", "N", out), re.sub(r"\d+\.\d+", "N", err)


def _quick_without_language(args: tuple[str, ...]) -> bool:
    # recognise() applies --lang to this process; the words after it decide whether the form is quick.
    return recognise(list(args[2:] if args[:1] == ("--lang",) else args)) is not None


@pytest.mark.skipif(shutil.which("img2simg") is None, reason="img2simg missing")
def test_the_quick_flash_prints_what_click_prints(phone_factory, cli_env, tmp_path: Path) -> None:
    ab = phone_factory("xiaomi-qcom", unlocked=True)
    legacy = phone_factory("xiaomi-legacy", unlocked=True)
    locked = phone_factory("xiaomi-qcom")
    raw = tmp_path / "boot.img"
    raw.write_bytes(os.urandom(64 * 1024) + bytes(64 * 1024) + b"abcd" * 16 * 1024)
    sparse = tmp_path / "system.simg"
    subprocess.run(["img2simg", str(raw), str(sparse)], check=True)
    (tmp_path / "empty.img").write_bytes(b"")
    cases = [
        (("flash", "boot", str(raw), "-s", ab.name, "--yes"), None, 0),
        (("flash", "system", str(sparse), f"-s{legacy.name}", "-y", "--no-progress"), None, 0),
        (("flash", "--json", "boot", f"--serial={ab.name}", str(raw), "--yes"), None, 0),
        (("flash", "boot", str(raw), "--dry-run"), {"ANDROID_SERIAL": ab.name}, 0),
        (("flash", "system", str(sparse), "-s", legacy.name, "--dry-run", "--json"), None, 0),
        (("flash", "dtbo", str(raw), "-s", ab.name, "--slot", "all", "--yes", "--json"), None, 0),
        (("flash", "boot", str(raw), "--slot=other", "--serial", ab.name, "--dry-run"), None, 0),
        (("flash", "boot", str(raw), "-s", locked.name, "--yes"), None, 1),  # preflight: locked
        (("flash", "nosuch", str(raw), "-s", ab.name, "--yes"), None, 1),
        (("--lang", "fa", "flash", "boot", str(raw), "-s", ab.name, "--yes", "--force-critical"), None, 0),
        (("flash", "boot", str(raw), "-s", ab.name, "--dry-run"), {"UNLOCKER_LANG": "ru"}, 0),
        (("flash", "boot", str(raw), "-s", "tcp:127.0.0.1:1", "--yes"), None, 1),  # nobody there
        (("flash", "boot", f"{tmp_path}//./empty.img", "-s", ab.name, "--yes"), None, 1),  # names the path
    ]
    for args, env, code in cases:
        assert _quick_without_language(args), args
        quick_run, click_run = _both(cli_env, *args, env=env)
        assert _without_timing(quick_run) == _without_timing(click_run), args
        assert quick_run[0] == code, (args, quick_run)
    assert ab.partition("boot_a")[: raw.stat().st_size] == raw.read_bytes()


def _at_a_terminal(command: list[str], env: dict[str, str], answer: bytes) -> tuple[int, bytes, bytes]:
    """Run ``command`` with a terminal on stdin and stderr, ``answer`` typed in advance:
    (exit code, stdout, what the terminal showed)."""
    import pty

    leader, follower = pty.openpty()
    os.write(leader, answer)
    run = subprocess.run(command, stdin=follower, stderr=follower, stdout=subprocess.PIPE, env=env)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the terminal's other end is closed and everything was read
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    return run.returncode, run.stdout, shown


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_the_quick_flash_asks_as_click_asks(phone_factory, cli_env, tmp_path: Path) -> None:
    """Without --yes a person at a terminal is asked with click's own prompt on both paths."""
    p = phone_factory("xiaomi-qcom", unlocked=True)
    image = tmp_path / "boot.img"
    image.write_bytes(b"b" * 8192)
    args = ("--lang", "fa", "flash", "boot", str(image), "-s", p.name)
    assert _quick_without_language(args)
    answers = b"maybe\nn\n"  # click asks again after an answer it does not understand
    quick_run = _at_a_terminal([sys.executable, "-m", "unlocker", *args], cli_env, answers)
    click_run = _at_a_terminal([sys.executable, "-c", _CLICK_ONLY, *args], cli_env, answers)
    assert quick_run == click_run
    assert quick_run[0] == 1 and quick_run[2].count(b"[y/N]: ") == 2, quick_run
    assert not p.phone.partition_path("boot_a").exists()


@pytest.mark.parametrize(
    "path",
    [
        "boot.img", "./boot.img", "a//b/./c.img", "a/b/", "/boot.img", "//boot.img", "///boot.img",
        "////a//b", "/./a", ".", "./", "a/..//b", "../x", ".hidden/.img", "a/.../b", "~/b.img",
    ],
)  # fmt: skip
def test_the_quick_flash_spells_the_image_as_click_does(path: str) -> None:
    """click's path type hands the command a Path; the quick path spells the str the same way."""
    assert str(quick._spelled_as_pathlib_does(path)) == str(Path(path))


def test_the_quick_flash_knows_the_planners_slots() -> None:
    assert quick.SLOT_CHOICES == plan.SLOT_CHOICES


@pytest.mark.parametrize(
    "args",
    [
        ["flash"],
        ["flash", "system"],
        ["flash", "system", "IMG", "extra"],
        ["flash", "--help"],
        ["flash", "system", "IMG", "-h"],
        ["flash", "system", "IMG", "--yes", "--yes"],
        ["flash", "system", "IMG", "-y", "--yes"],
        ["flash", "system", "IMG", "-ys", "tcp:h"],
        ["flash", "system", "IMG", "-s", "a", "--serial", "b"],
        ["flash", "system", "IMG", "--"],
        ["flash", "--", "system", "IMG"],
        ["flash", "-", "IMG"],
        ["flash", "system", "IMG", "-s"],
        ["flash", "system", "IMG", "-s", "-x"],
        ["flash", "system", "IMG", "--serial=-x"],
        ["flash", "system", "IMG", "--serial="],
        ["flash", "system", "IMG", "--slot"],
        ["flash", "system", "IMG", "--slot", "c"],
        ["flash", "system", "IMG", "--slot=A"],
        ["flash", "system", "IMG", "--slot", "a", "--slot", "b"],
        ["flash", "system", "IMG", "--json=1"],
        ["flash", "system", "IMG", "--debug"],
        ["flash", "system", "IMG", "--wipe"],
        ["flash", "system", "MISSING"],
        ["flash", "system", "DIR"],
        ["flash", "system", ""],
        ["--lang", "xx", "flash", "system", "IMG"],
        ["--debug", "flash", "system", "IMG"],
        ["flash-all", "system", "IMG"],
    ],
)
def test_other_flash_forms_are_left_to_click(args: list[str], tmp_path: Path) -> None:
    image = tmp_path / "system.img"
    image.write_bytes(b"x" * 4096)
    names = {"IMG": str(image), "MISSING": str(tmp_path / "missing.img"), "DIR": str(tmp_path)}
    assert recognise([names.get(a, a) for a in args]) is None


def test_the_usual_flash_forms_are_quick(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ANDROID_SERIAL", raising=False)
    image = str(tmp_path / "system.img")
    Path(image).write_bytes(b"x" * 4096)
    for args in (
        ["flash", "system", image],
        ["flash", "system", image, "-s", "tcp:h", "--yes", "--no-progress"],
        ["flash", "-stcp:h", "system", "--json", image, "-y"],
        ["flash", "--slot", "all", "system", image, "--force-critical", "--dry-run"],
        ["flash", "system", "--slot=b", image, "--serial=x", "--dry-run", "--json"],
        ["--lang=en", "flash", "system", image, "--serial", "x"],
    ):
        assert recognise(args) is not None, args

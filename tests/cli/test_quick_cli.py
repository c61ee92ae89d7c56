"""`unlocker status` runs without click in its usual forms (unlocker.cli.quick); it must print
exactly what the click command prints, and leave every other form to click."""

from __future__ import annotations

import subprocess
import sys

import pytest

from unlocker.cli.quick import recognise

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

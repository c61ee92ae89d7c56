"""How the command line reports failures: ours in one line (causes with --debug), bugs as bugs."""

from __future__ import annotations

from pathlib import Path

import pytest

from unlocker.cli import app as cli_app
from unlocker.cli import main as cli_main
from unlocker.cli import status_view
from unlocker.errors import DeviceNotFound


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        cli_main.main(list(args))
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


@pytest.fixture
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for kind in ("CONFIG", "CACHE", "STATE"):
        monkeypatch.setenv(f"UNLOCKER_{kind}_DIR", str(tmp_path / kind.lower()))
    monkeypatch.delenv("UNLOCKER_DEBUG", raising=False)
    monkeypatch.setattr(cli_app, "_debug", False)
    return tmp_path


def _explode(*args: object, **kwargs: object) -> None:
    raise RuntimeError("injected: a bug nobody foresaw")


def test_unexpected_exception_is_one_bug_line(
    private_dirs: Path, unlocked_phone, capsys, monkeypatch
) -> None:
    monkeypatch.setattr(status_view, "status_report", _explode)
    code, out, err = run(capsys, "status", "-s", unlocked_phone.name)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "this is a bug in unlocker (RuntimeError)" in lines[0]
    assert "unlocker report" in lines[0]
    assert "Traceback" not in err
    crashes = list((private_dirs / "state" / "crashes").glob("crash-*.txt"))
    assert len(crashes) == 1 and str(crashes[0]) in lines[0]
    details = crashes[0].read_text()
    assert "Traceback" in details and "injected: a bug nobody foresaw" in details


def test_debug_shows_the_bug_details(private_dirs: Path, unlocked_phone, capsys, monkeypatch) -> None:
    monkeypatch.setattr(status_view, "status_report", _explode)
    code, _out, err = run(capsys, "--debug", "status", "-s", unlocked_phone.name)
    assert code == 1
    assert "this is a bug in unlocker" in err
    assert "Traceback" in err and "injected: a bug nobody foresaw" in err


def test_our_errors_keep_their_cause_for_debug(private_dirs: Path, capsys, monkeypatch) -> None:
    # Nothing listens on port 1: the TCP transport raises DeviceNotFound from the OSError.
    code, _out, err = run(capsys, "getvar", "product", "-s", "tcp:127.0.0.1:1")
    assert code == 1 and len(err.strip().splitlines()) == 2  # error + next step
    assert "caused by" not in err
    monkeypatch.setenv("UNLOCKER_DEBUG", "1")
    code, _out, err = run(capsys, "getvar", "product", "-s", "tcp:127.0.0.1:1")
    assert code == 1
    assert "unlocker: caused by: ConnectionRefusedError" in err


def test_causes_are_chained_not_hidden() -> None:
    from unlocker.transport.tcp import TcpTransport

    with pytest.raises(DeviceNotFound) as caught:
        TcpTransport("127.0.0.1", 1).open()
    assert isinstance(caught.value.__cause__, OSError)


def test_interrupt_exits_130(private_dirs: Path, unlocked_phone, capsys, monkeypatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(status_view, "status_report", interrupted)
    code, _out, err = run(capsys, "status", "-s", unlocked_phone.name)
    assert code == 130 and "interrupted" in err

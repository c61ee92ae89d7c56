"""Mi Unlock as the real servers behave (issue 10) and asking before the quota is spent (issue 9)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.xiaomi.fake_mi_server import PASSWORD, FakeMi
from unlocker.xiaomi.codes import CODES


@pytest.fixture
def mi() -> Iterator[FakeMi]:
    fake = FakeMi()
    yield fake
    fake.close()


@pytest.fixture
def mi_env(mi: FakeMi) -> dict[str, str]:
    return {"UNLOCKER_MI_ACCOUNT_URL": mi.url, "UNLOCKER_MI_UNLOCK_URL": mi.url, "UNLOCKER_MI_TIMEOUT": "1"}


@pytest.fixture
def mi_cli(run_cli, mi_env):
    def run(*args: str, input: str | None = None):
        return run_cli(*args, input=input, env=mi_env)

    return run


@pytest.fixture
def logged_in(mi_cli) -> None:
    r = mi_cli("login", "--user", "owner@example.com", "--password-stdin", input=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr


def test_ledger_is_done_after_the_unlock(mi, mi_cli, logged_in, phone) -> None:
    mi.mode = "wait"
    assert mi_cli("unlock", "-s", phone.name, "--yes").returncode == 3
    assert json.loads(mi_cli("wait", "--json").stdout)["hours_left"] in (70, 71)
    mi.mode = "approve"
    r = mi_cli("unlock", "-s", phone.name, "--yes")
    assert r.returncode == 0, r.stderr
    report = json.loads(mi_cli("wait", "--json").stdout)
    assert report["hours_left"] == 0 and report["source"] == "unlocked"
    human = mi_cli("wait")
    assert human.returncode == 0 and "no waiting period left" in human.stdout


def test_nonce_refusal_is_explained(mi, mi_cli, logged_in, phone) -> None:
    mi.nonce_code = 10002
    r = mi_cli("unlock", "-s", phone.name, "--yes")
    explanation, next_step = CODES[10002]
    assert r.returncode == 1 and "code 10002" in r.stderr
    assert explanation in r.stderr and next_step in r.stderr and "Traceback" not in r.stderr
    assert "/api/v3/ahaUnlock" not in mi.calls


def test_bad_gateway_at_the_service_token_is_not_a_session_problem(mi, mi_cli, logged_in, phone) -> None:
    mi.sts_status = 502
    r = mi_cli("unlock", "-s", phone.name, "--yes")
    error = [line for line in r.stderr.splitlines() if line.startswith(("unlocker: error", "unlocker: next"))]
    assert r.returncode == 1 and len(error) == 2, r.stderr
    assert "HTTP 502" in error[0] and "try again later" in error[1]
    assert "unlocker login" not in r.stderr and "session" not in error[0]


def test_password_from_a_windows_file(mi_cli) -> None:
    r = mi_cli("login", "--user", "owner@example.com", "--password-stdin", input=PASSWORD + "\r\n")
    assert r.returncode == 0, r.stderr


def test_plain_http_overrides_are_warned_about(mi_cli, phone) -> None:
    r = mi_cli("login", "--user", "owner@example.com", "--password-stdin", input=PASSWORD + "\n")
    assert r.returncode == 0
    assert "UNLOCKER_MI_ACCOUNT_URL is a plain http:// address" in r.stderr
    assert "UNLOCKER_MI_UNLOCK_URL is a plain http:// address" in r.stderr


def test_https_overrides_are_not_warned_about(monkeypatch: pytest.MonkeyPatch) -> None:
    from unlocker.xiaomi.session import plain_http_warnings

    monkeypatch.setenv("UNLOCKER_MI_ACCOUNT_URL", "https://account.example")
    monkeypatch.setenv("UNLOCKER_MI_UNLOCK_URL", "HTTP://unlock.example")
    warnings = plain_http_warnings()
    assert len(warnings) == 1 and "UNLOCKER_MI_UNLOCK_URL" in warnings[0]


def _unlock_in_a_terminal(cli_env: dict[str, str], mi_env: dict[str, str], phone: str, answer: str):
    """`unlocker unlock` with a pseudo-terminal as stdin, answering the question with ``answer``."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "unlocker", "unlock", "-s", phone],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**cli_env, **mi_env},
        )
        os.close(slave)
        slave = -1
        os.write(master, answer.encode() + b"\n")  # the terminal keeps the line until it is read
        out, err = proc.communicate(timeout=60)
    finally:
        if slave != -1:
            os.close(slave)
        os.close(master)
    return proc.returncode, out, err


@pytest.mark.skipif(not hasattr(pty, "openpty") or sys.platform == "win32", reason="needs a POSIX terminal")
def test_interactive_no_leaves_the_quota_untouched(mi, cli_env, mi_env, logged_in, phone) -> None:
    mi.mode = "approve"
    code, _out, err = _unlock_in_a_terminal(cli_env, mi_env, phone.name, "n")
    assert code == 1 and "you answered no" in err and "ERASE" in err
    assert "/api/v3/ahaUnlock" not in mi.calls  # the call that counts against the quota never happened
    assert not phone.phone.unlocked


@pytest.mark.skipif(not hasattr(pty, "openpty") or sys.platform == "win32", reason="needs a POSIX terminal")
def test_interactive_yes_asks_then_unlocks(mi, cli_env, mi_env, logged_in, phone) -> None:
    mi.mode = "approve"
    code, out, err = _unlock_in_a_terminal(cli_env, mi_env, phone.name, "y")
    assert code == 0, err
    assert err.index("monthly unlock quota") < err.index("Xiaomi approved the unlock")
    assert mi.calls.count("/api/v3/ahaUnlock") == 1 and phone.phone.unlocked


def test_a_step_only_a_browser_can_do(mi, mi_cli) -> None:
    r = mi_cli("login", "--user", "needsphone", "--password-stdin", input=PASSWORD + "\n")
    assert r.returncode == 1 and "cannot do in a terminal" in r.stderr
    assert "BindAppealOrSafePhone" in r.stderr and "browser" in r.stderr and "Traceback" not in r.stderr
    assert "/identity/list" not in mi.calls

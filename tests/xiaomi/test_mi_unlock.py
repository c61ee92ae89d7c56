"""Mi Unlock end to end: CLI + fake Xiaomi servers on loopback + the virtual phone."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.xiaomi.fake_mi_server import PASS_TOKEN, PASSWORD, SERVICE_TOKEN, SSECURITY, USER_ID, FakeMi
from unlocker.xiaomi.codes import CODES
from unlocker.xiaomi.crypto import (
    decrypt_response,
    encrypt_response,
    sign_request,
    verify_and_decrypt_request,
)


@pytest.fixture
def mi() -> Iterator[FakeMi]:
    fake = FakeMi()
    yield fake
    fake.close()


@pytest.fixture
def mi_cli(run_cli, mi: FakeMi):
    env = {"UNLOCKER_MI_ACCOUNT_URL": mi.url, "UNLOCKER_MI_UNLOCK_URL": mi.url, "UNLOCKER_MI_TIMEOUT": "1"}

    def run(*args: str, input: str | None = None):
        return run_cli(*args, input=input, env=env)

    return run


@pytest.fixture
def logged_in(mi_cli) -> None:
    r = mi_cli("login", "--user", "owner@example.com", "--password-stdin", input=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr


def secrets_absent(*texts: str, extra: tuple[str, ...] = ()) -> None:
    for text in texts:
        for secret in (PASSWORD, PASS_TOKEN, SERVICE_TOKEN, SSECURITY, *extra):
            assert secret not in text


def test_crypto_round_trip() -> None:
    form = sign_request("/api/v3/ahaUnlock", {"data": "e30=", "nonce": "abc", "sid": "x"}, SSECURITY)
    assert set(form) == {"data", "nonce", "sid", "sign", "signature"}
    assert verify_and_decrypt_request("/api/v3/ahaUnlock", form, SSECURITY) == {
        "data": "e30=",
        "nonce": "abc",
        "sid": "x",
    }
    assert decrypt_response(encrypt_response({"code": 0}, SSECURITY), SSECURITY) == {"code": 0}


def test_login_stores_private_session(mi_cli, cli_env) -> None:
    r = mi_cli("login", "--user", "owner@example.com", "--password-stdin", input=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    path = Path(cli_env["UNLOCKER_CONFIG_DIR"]) / "mi-session.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert stored["user_id"] == USER_ID and stored["region"] == "europe"  # detected from the account (DE)
    secrets_absent(r.stdout, r.stderr)
    assert mi_cli("logout").returncode == 0 and not path.exists()


@pytest.mark.parametrize(
    "user,needle", [("owner@example.com", "wrong"), ("captcha", "captcha"), ("twofactor", "wrong")]
)
def test_login_failures(mi_cli, user: str, needle: str) -> None:
    r = mi_cli("login", "--user", user, "--password-stdin", input="not the password\n")
    assert r.returncode == 1 and needle in r.stderr and "Traceback" not in r.stderr
    secrets_absent(r.stdout, r.stderr, extra=("not the password",))


def test_login_with_second_factor(mi, mi_cli, cli_env) -> None:
    """The public clients' sequence (migate login/verify.py): after the code is accepted, follow the
    verify answer's location, then post serviceLoginAuth2 again; only that answer has passToken."""
    # Choose e-mail (2), type a wrong code once, then the right one.
    r = mi_cli("login", "--user", "twofactor", "--password-stdin", input=f"{PASSWORD}\n2\n000000\n123456\n")
    assert r.returncode == 0, r.stderr
    assert mi.ticket_sent_to == "EmailTicket"
    assert "/identity/auth/verifyEmail" in mi.calls and mi.calls.count("/identity/auth/verifyEmail") == 2
    after_verify = mi.calls[len(mi.calls) - mi.calls[::-1].index("/identity/auth/verifyEmail") :]
    assert after_verify[:3] == [
        "/identity/result/check",
        "/pass/serviceLoginAuth2/end",
        "/pass/serviceLoginAuth2",
    ]
    assert mi.calls.count("/pass/serviceLoginAuth2") == 2
    second = mi.second_login_form or {}
    assert second.get("user") == "twofactor" and second.get("_sign") == "s" and second.get("qs") == "q"
    stored = json.loads((Path(cli_env["UNLOCKER_CONFIG_DIR"]) / "mi-session.json").read_text())
    assert stored["user_id"] == USER_ID
    secrets_absent(r.stdout, r.stderr)


def test_second_factor_wrong_code_three_times(mi, mi_cli) -> None:
    r = mi_cli("login", "--user", "twofactor", "--password-stdin", input=f"{PASSWORD}\n1\n1\n2\n3\n")
    assert r.returncode == 1 and "three times" in r.stderr
    assert mi.ticket_sent_to == "PhoneTicket"


def test_waiting_period(mi, mi_cli, logged_in, phone) -> None:
    mi.mode, mi.wait_hour = "wait", 71
    r = mi_cli("unlock", "-s", phone.name, "--yes")
    assert r.returncode == 3, r.stderr
    assert "71 hours left" in r.stderr and "UTC" in r.stderr and "Beijing" in r.stderr and "local" in r.stderr
    assert "re-binding restarts" in r.stderr
    secrets_absent(r.stdout, r.stderr, extra=(phone.phone.token,))
    w = mi_cli("wait", "--json")
    report = json.loads(w.stdout)
    assert set(report) == {"hours_left", "ends_at", "source", "checked_at"}
    assert report["source"] == "server" and report["hours_left"] in (70, 71)
    assert report["ends_at"].endswith("+00:00")
    assert phone.phone.unlocked is False


def test_waiting_period_without_wait_hour(mi, mi_cli, logged_in, phone) -> None:
    mi.mode, mi.wait_hour = "wait-desc", 144
    r = mi_cli("unlock", "-s", phone.name, "--yes")
    assert r.returncode == 3 and "144 hours left" in r.stderr


def test_unlock_applies_signed_data(mi, mi_cli, logged_in, phone) -> None:
    mi.mode = "approve"
    r = mi_cli("unlock", "-s", phone.name, "--yes")
    assert r.returncode == 0, r.stderr
    assert "unlocked" in r.stdout and "ERASE" in r.stderr
    assert phone.phone.unlocked
    unlock_data = mi.sign(mi.tokens_seen[-1])
    secrets_absent(r.stdout, r.stderr, extra=(mi.tokens_seen[-1], unlock_data))
    assert mi.calls.count("/api/v3/ahaUnlock") == 1  # never retried


def test_account_standing_is_reported(mi, mi_cli, logged_in, phone) -> None:
    """The public clients warn when shouldApply is false (the account lacks the permission)."""
    mi.mode, mi.should_apply = "wait", False
    r = mi_cli("unlock", "-s", phone.name, "--yes")
    assert r.returncode == 3 and "should apply" in r.stderr
    assert "/api/v3/unlock/userinfo" in mi.calls


def test_normal_standing_gives_no_warning(mi, mi_cli, logged_in, phone) -> None:
    mi.mode, mi.should_apply = "approve", True
    r = mi_cli("unlock", "-s", phone.name, "--yes")
    assert r.returncode == 0, r.stderr
    assert "should apply" not in r.stderr and phone.phone.unlocked


def test_mediatek_token_lines(mi, mi_cli, logged_in, phone_factory) -> None:
    mi.mode = "approve"
    p = phone_factory("xiaomi-mtk")
    r = mi_cli("unlock", "-s", p.name, "--yes")
    assert r.returncode == 0, r.stderr
    assert p.phone.unlocked and mi.tokens_seen[-1] == p.phone.token


def test_stale_token_leaves_phone_locked(mi, mi_cli, logged_in, phone) -> None:
    mi.mode, mi.stale_token = "approve", "an-old-token-from-before-a-reboot"
    r = mi_cli("unlock", "-s", phone.name, "--yes")
    assert r.returncode == 1
    assert "Token Verify Failed" in r.stderr and "still locked" in r.stderr
    assert not phone.phone.unlocked


@pytest.mark.parametrize("code", sorted(c for c in CODES if c != 20036))
def test_every_known_code_is_explained(mi, mi_cli, logged_in, phone, code: int) -> None:
    mi.mode, mi.code = "code", code
    r = mi_cli("unlock", "-s", phone.name, "--yes")
    assert r.returncode == 1
    explanation, next_step = CODES[code]
    assert f"code {code}" in r.stderr and explanation in r.stderr and next_step in r.stderr
    assert not phone.phone.unlocked


@pytest.mark.parametrize(
    "mode,needle",
    [
        ("html", "web page"),
        ("badb64", "cannot be decoded"),
        ("badpad", "cannot be decoded"),
        ("slow", "in time"),
    ],
)
def test_malformed_and_slow_answers(mi, mi_cli, logged_in, phone, mode: str, needle: str) -> None:
    mi.mode = mode
    r = mi_cli("unlock", "-s", phone.name, "--yes")
    assert r.returncode == 1 and needle in r.stderr and "Traceback" not in r.stderr
    assert not phone.phone.unlocked


def test_unknown_code(mi, mi_cli, logged_in, phone) -> None:
    mi.mode, mi.code = "code", 99999
    r = mi_cli("unlock", "-s", phone.name, "--yes")
    assert r.returncode == 1 and "99999" in r.stderr and "not known" in r.stderr


def test_server_down(mi_cli, logged_in, phone, run_cli) -> None:
    env = {"UNLOCKER_MI_ACCOUNT_URL": "http://127.0.0.1:1", "UNLOCKER_MI_UNLOCK_URL": "http://127.0.0.1:1"}
    r = run_cli("unlock", "-s", phone.name, "--yes", env=env)
    assert r.returncode == 1 and "cannot reach" in r.stderr and "Traceback" not in r.stderr


def test_not_logged_in(mi_cli, phone) -> None:
    r = mi_cli("unlock", "-s", phone.name, "--yes")
    assert r.returncode == 1 and "unlocker login" in r.stderr


def test_fastbootd_is_refused(mi_cli, logged_in, phone_factory) -> None:
    p = phone_factory("fastbootd")
    r = mi_cli("unlock", "-s", p.name, "--yes")
    assert r.returncode == 1 and "fastbootd" in r.stderr and "reboot bootloader" in r.stderr


def test_generic_phone_uses_flashing_unlock(mi_cli, phone_factory) -> None:
    p = phone_factory("generic")
    r = mi_cli("unlock", "-s", p.name, "--yes")
    assert r.returncode == 0, r.stderr
    assert p.phone.unlocked


def test_no_terminal_no_yes(mi_cli, logged_in, phone) -> None:
    r = mi_cli("unlock", "-s", phone.name)
    assert r.returncode == 1 and "--yes" in r.stderr


def test_wait_estimate_is_labelled(mi_cli) -> None:
    r = mi_cli("wait", "--bound-at", "2026-01-01T00:00+00:00", "--json")
    report = json.loads(r.stdout)
    assert report["source"] == "estimate" and report["hours_left"] == 0
    assert report["ends_at"].startswith("2026-01-04T00:00")
    human = mi_cli("wait", "--bound-at", "2026-01-01T00:00+00:00")
    assert "ESTIMATE" in human.stdout


def test_wait_with_nothing_known(mi_cli) -> None:
    r = mi_cli("wait")
    assert r.returncode == 2 and "nothing is known" in r.stderr


def test_tls_verification_is_never_disabled() -> None:
    """No code path may turn certificate checks off (REQUESTS_CA_BUNDLE is the supported way to add CAs)."""
    import unlocker

    root = Path(unlocker.__file__).parent
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if "verify=False" in p.read_text()
        or "CERT_NONE" in p.read_text()
        or "disable_warnings" in p.read_text()
    ]
    assert offenders == []

"""`unlocker report` leaks nothing it promises to redact (issue 9, item 4).

A property test with random serials, home folders, user names and account ids: none of them
survives anywhere in the report (in its JSON, raw or as JSON escapes it), whatever field or free
text carried it; tags are keyed per installation and stable for one phone.
"""

from __future__ import annotations

import json
import os
import string
import tempfile
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unlocker.emulator import EmulatorServer, VirtualPhone
from unlocker.support import report as report_module
from unlocker.support.redact import KEY_FILE, installation_key, tag

SERIALS = st.text(string.ascii_letters + string.digits, min_size=8, max_size=20)
# Letters no tag (hex) can contain, long enough not to be an English word of the report.
# A user name that is also a word of every report ("python", the name of a doctor check) cannot
# be told apart from that word; real ones are (and the redaction still replaces it in free text).
USERS = st.text("ghijklmnopqrstuvwxyz", min_size=6, max_size=12).filter(lambda u: u not in ("python",))
SEGMENTS = st.text(string.ascii_letters + string.digits + " _-.é", min_size=1, max_size=12).filter(
    lambda s: s.strip(" .") == s and s not in (".", "..")
)


def leaked(text: str, value: str) -> bool:
    return value in text or json.dumps(value)[1:-1] in text


def mi_session(config: Path, user_id: str, pass_token: str) -> None:
    config.mkdir(parents=True, exist_ok=True)
    path = config / "mi-session.json"
    path.write_text(json.dumps({"user_id": user_id, "pass_token": pass_token, "device_id": "wb_" + user_id}))
    path.chmod(0o600)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    serial=SERIALS,
    usb_serial=SERIALS,
    user=USERS,
    segments=st.lists(SEGMENTS, min_size=1, max_size=3),
    user_id=st.integers(10**6, 10**12).map(str),
)
def test_nothing_identifying_survives(serial, usb_serial, user, segments, user_id) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp, *segments, user)
        config = home / ".config" / "unlocker"
        token = "T" + serial[::-1] + "x9"
        mi_session(config, user_id, token)
        env = {
            "UNLOCKER_CONFIG_DIR": str(config),
            "UNLOCKER_CACHE_DIR": str(home / ".cache" / "unlocker"),
            "UNLOCKER_STATE_DIR": str(home / ".local" / "state" / "unlocker"),
        }
        usb = [
            SimpleNamespace(serial=usb_serial, usb_id="2717:ff40", path="usb:1-1", product=None, problem=None)
        ]
        phone = VirtualPhone(Path(tmp) / "phone", serial=serial)
        with (
            EmulatorServer(phone) as server,
            mock.patch.dict(os.environ, env),
            mock.patch("unlocker.transport.usb.list_usb_devices", lambda interface: usb),
            mock.patch.object(report_module, "_home", lambda: str(home)),
            mock.patch.object(report_module, "_user", lambda: user),
        ):
            data = report_module.build_report(server.name)
            key = installation_key(config)
        text = json.dumps(data, indent=2)
        assert data["phone"]["reachable"] is True, data["phone"]
        for secret in (serial, usb_serial, str(home), user, user_id, token, phone.token, server.name[4:]):
            assert not leaked(text, secret), secret
        assert data["phone"]["state"]["serial"] == tag(serial, key)  # stable, keyed tags
        assert tag(usb_serial, key) in text  # the USB listing still shows that a phone is there


def test_report_cli_leaks_nothing(phone_factory, run_cli, cli_env, tmp_path: Path) -> None:
    """Through the CLI: the phone's name, serial, home folder and user name are all gone."""
    serial = "Q7ZR4XK9WL2M"
    p = phone_factory(serial=serial)
    home = tmp_path / "home with space" / "alicewonder"
    env = {"HOME": str(home), "USER": "alicewonder", "LOGNAME": "alicewonder"}
    env["UNLOCKER_CONFIG_DIR"] = str(home / ".config" / "unlocker")
    r = run_cli("report", "-s", p.name, env=env)
    assert r.returncode == 0, r.stderr
    for secret in (serial, str(home), "alicewonder", p.name[4:]):
        assert not leaked(r.stdout, secret), secret
    assert json.loads(r.stdout)["phone"]["transport"] == "tcp"
    key_file = home / ".config" / "unlocker" / KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600
    again = run_cli("report", "-s", p.name, env=env)
    assert (
        json.loads(again.stdout)["phone"]["state"]["serial"]
        == json.loads(r.stdout)["phone"]["state"]["serial"]
    )
    other_install = run_cli(
        "report", "-s", p.name, env={**env, "UNLOCKER_CONFIG_DIR": str(tmp_path / "other")}
    )
    assert (
        json.loads(other_install.stdout)["phone"]["state"]["serial"]
        != json.loads(r.stdout)["phone"]["state"]["serial"]
    )

"""The stored Mi account session: private file (0600) in the user's config dir, never printed."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from unlocker import commands, paths, settings
from unlocker.errors import NotLoggedIn, UnlockerError
from unlocker.i18n import _

REGION_HOSTS = {
    "global": "https://unlock.update.intl.miui.com",
    "china": "https://unlock.update.miui.com",
    "india": "https://in-unlock.update.intl.miui.com",
    "russia": "https://ru-unlock.update.intl.miui.com",
    "europe": "https://eu-unlock.update.intl.miui.com",
}
ACCOUNT_URL = "https://account.xiaomi.com"


@dataclass
class AccountSession:
    user_id: str
    pass_token: str = field(repr=False)
    device_id: str
    region: str = "global"

    def __repr__(self) -> str:  # never show secrets, even in a debugger or a traceback
        return f"AccountSession(user_id=<redacted>, region={self.region!r})"


def session_path() -> Path:
    return paths.config_dir() / "mi-session.json"


def save_session(session: AccountSession) -> Path:
    """Write atomically with mode 0600 from the first byte (the file never exists world-readable)."""
    path = session_path()
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(asdict(session), f)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def load_session() -> AccountSession:
    path = session_path()
    if not path.exists():
        raise NotLoggedIn(
            _("you are not logged in to a Mi account"),
            hint=_("Run {command} first.").format(command=commands.show(commands.LOGIN)),
        )
    try:
        data = json.loads(path.read_text())
        return AccountSession(**data)
    except (ValueError, TypeError) as e:
        raise UnlockerError(
            _("the stored Mi session is damaged"),
            hint=_("Run {logout}, then {login}.").format(
                logout=commands.show(commands.LOGOUT), login=commands.show(commands.LOGIN)
            ),
        ) from e


def delete_session() -> bool:
    path = session_path()
    if path.exists():
        path.unlink()
        return True
    return False


def unlock_base_url(region: str) -> str:
    return settings.get("UNLOCKER_MI_UNLOCK_URL") or REGION_HOSTS[region]


def account_base_url() -> str:
    return settings.get("UNLOCKER_MI_ACCOUNT_URL") or ACCOUNT_URL


#: The variables that point unlocker at other Mi servers.
SERVER_OVERRIDES = ("UNLOCKER_MI_ACCOUNT_URL", "UNLOCKER_MI_UNLOCK_URL")


def plain_http_warnings() -> list[str]:
    """One warning per server override set to a plain http:// address (no TLS: the password,
    passToken and service cookies would travel readable). Callers show them before connecting."""
    return [
        _(
            "warning: {variable} is a plain http:// address: the Mi password and session travel "
            "unencrypted. Use https:// unless it is a test server on this computer."
        ).format(variable=name)
        for name in SERVER_OVERRIDES
        if (settings.get(name) or "").lower().startswith("http://")
    ]

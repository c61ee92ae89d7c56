"""Redaction for anything a user may paste into a public chat or forum.

Two passes over a report:

1. by key: values under secret keys (tokens, passwords, cookies) become ``<redacted>``; values
   under identifying keys (serials, account ids, IMEIs) become a keyed tag, and are remembered;
2. a final pass over the whole text, every string of the report wherever it sits (keys, lists,
   free text such as a check's detail or an error message): every remembered value and every
   value the caller names as identifying (USB serials, transport names, the account id) is
   replaced, then e-mail addresses, IMEIs, long token-like runs, the home folder and the user
   name are.

Tags are ``<id:HMAC>``: an HMAC-SHA256 of the value under a random per-installation key kept in
the config dir (mode 0600). Reports from one computer about one phone carry the same tag, so a
volunteer can follow it across reports, but nobody without that key can test guesses against
it (an unkeyed hash of a serial is reversed by brute force in minutes).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# Keys whose values are secret or identify a person or a phone.
SECRET_KEYS = frozenset(
    {
        "token",
        "device_token",
        "passtoken",
        "pass_token",
        "servicetoken",
        "password",
        "unlock_data",
        "encryptdata",
        "ssecurity",
        "cookie",
        "cookies",
    }
)
IDENTIFYING_KEYS = frozenset(
    {
        "serial",
        "serialno",
        "serial_number",
        "user_id",
        "userid",
        "uid",
        "account",
        "account_id",
        "cpuid",
        "imei",
        "imei1",
        "imei2",
        "meid",
        "device_id",
        "deviceid",
        "pcid",
        "email",
    }
)
REDACTED = "<redacted>"
HOME = "~"
USER = "<user>"
KEY_FILE = "report-key"

_LONG_SECRET = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/=_-]{40,}(?![A-Za-z0-9+/=_-])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_IMEI = re.compile(r"(?<!\d)\d{15}(?!\d)")
_MIN_VALUE = 3  # shorter "identifiers" would eat ordinary words; they identify nothing anyway


def installation_key(config_dir: Path) -> bytes:
    """This installation's tag key (created on first use, mode 0600 from the first byte)."""
    path = config_dir / KEY_FILE
    try:
        text = path.read_text(encoding="ascii").strip()
        if len(text) == 64:
            return bytes.fromhex(text)
    except (OSError, ValueError):
        pass
    key = secrets.token_bytes(32)
    config_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key.hex())
    os.replace(tmp, path)
    return key


def tag(value: str, key: bytes) -> str:
    """A stable label for an identifier, meaningless without this installation's key."""
    return "<id:" + hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:12] + ">"


class Redactor:
    def __init__(
        self,
        key: bytes,
        *,
        identifiers: Iterable[str] = (),
        home: str | None = None,
        user: str | None = None,
    ) -> None:
        self.key = key
        self._replace: dict[str, str] = {}
        for value in identifiers:
            self.identify(value)
        self._home = [h for h in {home, os.path.realpath(home) if home else None} if h and len(h) > 1]
        self._user = (
            re.compile(rf"(?<![A-Za-z0-9]){re.escape(user)}(?![A-Za-z0-9])")
            if user and len(user) >= _MIN_VALUE
            else None
        )

    def identify(self, value: object) -> str:
        """Remember ``value`` as identifying; its tag."""
        text = str(value).strip()
        label = tag(text, self.key)
        if len(text) >= _MIN_VALUE:
            self._replace[text] = label
        return label

    def secret(self, value: object) -> None:
        text = str(value).strip()
        if len(text) >= _MIN_VALUE:
            self._replace[text] = REDACTED

    def secret_values(self, values: Iterable[object]) -> None:
        for value in values:
            self.secret(value)

    def redact(self, data: Any) -> Any:
        """A redacted deep copy of ``data``: the key pass, then the whole-text pass."""
        return self._text_pass(self._key_pass(data))

    # --- pass 1: by key ---------------------------------------------------------------------------

    def _key_pass(self, data: Any) -> Any:
        if isinstance(data, dict):
            out: dict[Any, Any] = {}
            for key, value in data.items():
                k = str(key).lower().replace("-", "_")
                if k in SECRET_KEYS and value not in (None, ""):
                    if isinstance(value, (str, int)):
                        self.secret(value)
                    out[key] = REDACTED
                elif k in IDENTIFYING_KEYS and isinstance(value, (str, int)) and value != "":
                    out[key] = self.identify(value)
                else:
                    out[key] = self._key_pass(value)
            return out
        if isinstance(data, list):
            return [self._key_pass(v) for v in data]
        return data

    # --- pass 2: the whole text -------------------------------------------------------------------

    def _text_pass(self, data: Any) -> Any:
        if isinstance(data, dict):
            return {self._key_text(k): self._text_pass(v) for k, v in data.items()}
        if isinstance(data, list):
            return [self._text_pass(v) for v in data]
        if isinstance(data, str):
            return self.scrub(data)
        if isinstance(data, int) and not isinstance(data, bool) and str(data) in self._replace:
            return self._replace[str(data)]
        return data

    def _key_text(self, key: Any) -> Any:
        # Our own keys stay readable; anything identifying inside one still goes.
        return self._known(key) if isinstance(key, str) else key

    def _known(self, text: str) -> str:
        for value in sorted(self._replace, key=len, reverse=True):
            if value in text:
                text = text.replace(value, self._replace[value])
        return text

    def scrub(self, text: str) -> str:
        """One string with every identifier, secret and personal path taken out."""
        text = self._known(text)
        for home in sorted(self._home, key=len, reverse=True):
            text = text.replace(home, HOME)
        text = _EMAIL.sub("<email>", text)
        text = _IMEI.sub(lambda m: self.identify(m.group()), text)
        text = _LONG_SECRET.sub(REDACTED, text)
        if self._user is not None:
            text = self._user.sub(USER, text)
        return text


def redact(data: Any, key: bytes | None = None, **context: Any) -> Any:
    """``data`` redacted with ``Redactor(key, **context)`` (a throwaway key when none is given:
    tags then only match within this one result)."""
    return Redactor(key or secrets.token_bytes(32), **context).redact(data)

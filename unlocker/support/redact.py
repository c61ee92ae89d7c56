"""Redaction for anything a user may paste into a public chat or forum.

Serial numbers become a short keyed hash (the same phone gives the same tag within one report, so a
volunteer can still follow it), tokens and account ids are removed outright.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

# Keys whose values are secret or identify a person or a phone.
SECRET_KEYS = frozenset(
    {
        "token",
        "device_token",
        "passtoken",
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
        "device_id",
        "deviceid",
        "pcid",
    }
)
REDACTED = "<redacted>"

_LONG_SECRET = re.compile(r"\b[A-Za-z0-9+/=_-]{40,}\b")


def tag(value: str) -> str:
    """A stable, non-reversible label for an identifier."""
    return "<id:" + hashlib.sha256(value.encode()).hexdigest()[:8] + ">"


def redact(data: Any) -> Any:
    """A deep copy of ``data`` with secrets removed and identifiers tagged."""
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key, value in data.items():
            k = str(key).lower().replace("-", "_")
            if k in SECRET_KEYS:
                out[key] = REDACTED
            elif k in IDENTIFYING_KEYS and value not in (None, ""):
                out[key] = tag(str(value))
            else:
                out[key] = redact(value)
        return out
    if isinstance(data, list):
        return [redact(v) for v in data]
    if isinstance(data, str):
        # Long base64/hex runs in free text are tokens or signatures far more often than not.
        return _LONG_SECRET.sub(REDACTED, data)
    return data

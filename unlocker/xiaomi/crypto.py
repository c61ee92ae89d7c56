"""Request signing and encryption exactly as Xiaomi's unlock server expects (shared reference 2.3).

1. params (all strings; ``data`` is base64 of JSON) sorted by key;
2. sign = hex HMAC-SHA1(KEY, "POST\\n{path}\\n{k=v&...}");
3. every value, sign included, is AES-128-CBC(key=b64decode(ssecurity), iv="0102030405060708"),
   PKCS#7, base64;
4. signature = base64 SHA1("POST&{path}&{k=enc&...}&{ssecurity}");
5. the response body is base64 of AES-CBC(base64 of the JSON).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from unlocker import commands
from unlocker.errors import ResponseDecodeError
from unlocker.i18n import _

# The PC client's signing key, identical in every public client (MiUnlockTool, XiaoMiToolV2 ports).
SIGN_KEY = b"2tBeoEyJTunmWUGq7bQH2Abn0k2NhhurOaqBfyxCuLVgn4AVj7swcawe53uDUno"
IV = b"0102030405060708"


def _cipher(ssecurity: str) -> Cipher:
    return Cipher(algorithms.AES(base64.b64decode(ssecurity)), modes.CBC(IV))


def encrypt_value(value: str, ssecurity: str) -> str:
    padder = padding.PKCS7(128).padder()
    data = padder.update(value.encode()) + padder.finalize()
    enc = _cipher(ssecurity).encryptor()
    return base64.b64encode(enc.update(data) + enc.finalize()).decode()


def decrypt_value(value: str, ssecurity: str) -> str:
    dec = _cipher(ssecurity).decryptor()
    raw = dec.update(base64.b64decode(value, validate=True)) + dec.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return (unpadder.update(raw) + unpadder.finalize()).decode()


def _joined(params: dict[str, str]) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params))


def sign_request(path: str, params: dict[str, str], ssecurity: str) -> dict[str, str]:
    """The form fields to POST: every value encrypted, plus ``signature``."""
    plain = dict(params)
    plain["sign"] = hmac.new(SIGN_KEY, f"POST\n{path}\n{_joined(params)}".encode(), hashlib.sha1).hexdigest()
    encrypted = {k: encrypt_value(v, ssecurity) for k, v in plain.items()}
    digest = hashlib.sha1(f"POST&{path}&{_joined(encrypted)}&{ssecurity}".encode()).digest()
    encrypted["signature"] = base64.b64encode(digest).decode()
    return encrypted


def verify_and_decrypt_request(path: str, form: dict[str, str], ssecurity: str) -> dict[str, str]:
    """The server side of ``sign_request`` (used by the test server): plain params, or ValueError."""
    fields = dict(form)
    signature = fields.pop("signature", "")
    digest = hashlib.sha1(f"POST&{path}&{_joined(fields)}&{ssecurity}".encode()).digest()
    if not hmac.compare_digest(base64.b64encode(digest).decode(), signature):
        raise ValueError("bad signature")
    plain = {k: decrypt_value(v, ssecurity) for k, v in fields.items()}
    sign = plain.pop("sign", "")
    expected = hmac.new(SIGN_KEY, f"POST\n{path}\n{_joined(plain)}".encode(), hashlib.sha1).hexdigest()
    if not hmac.compare_digest(sign, expected):
        raise ValueError("bad sign")
    return plain


def encrypt_response(obj: dict, ssecurity: str) -> str:
    """What the server sends: AES of the base64 of the JSON (used by the test server)."""
    inner = base64.b64encode(json.dumps(obj).encode()).decode()
    return encrypt_value(inner, ssecurity)


def decrypt_response(body: str, ssecurity: str) -> dict:
    """Decrypt and parse an answer; ResponseDecodeError explains a malformed one."""
    text = body.strip()
    if text.startswith("<"):
        raise ResponseDecodeError(
            _("Xiaomi's unlock server answered with a web page instead of data"),
            hint=_("The server or a network filter is interfering; try again later or from another network."),
        )
    try:
        inner = decrypt_value(text, ssecurity)
        obj = json.loads(base64.b64decode(inner, validate=True))
    except (
        binascii.Error,
        ValueError,
        UnicodeDecodeError,
        RecursionError,
    ) as e:  # RecursionError: absurd nesting
        raise ResponseDecodeError(
            _("Xiaomi's unlock server sent an answer that cannot be decoded"),
            hint=_(
                "Try again later; if it persists, your session may be stale: {logout}, then {login}."
            ).format(logout=commands.show(commands.LOGOUT), login=commands.show(commands.LOGIN)),
        ) from e
    if not isinstance(obj, dict):
        raise ResponseDecodeError(
            _("Xiaomi's unlock server sent an answer of an unexpected shape"),
            hint=_("Try again later; if it persists, share {command} output with a volunteer.").format(
                command=commands.show(commands.REPORT)
            ),
        )
    return obj

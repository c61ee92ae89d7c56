"""This computer's adb keys: which to sign with, which to offer, where they live.

A phone that already trusts Google's adb on this computer trusts ``~/.android/adbkey``; that key
comes first, so such a phone asks nothing new. Our own key pair lives in the config dir
(``adbkey`` mode 0600, ``adbkey.pub`` in Android's format) and is created on first use, only
when no key exists at all. Facts: AOSP adb client/auth.cpp, crypto/rsa_2048_key.cpp
(RSA-2048, e = 65537, PEM, ``adbkey.pub`` = ``<base64> user@host`` without a newline).
"""

from __future__ import annotations

import getpass
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from unlocker.adb import pubkey
from unlocker.errors import UnlockerError
from unlocker.i18n import _

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

KEY_FILE = "adbkey"


@dataclass
class AdbKey:
    path: Path
    private_key: RSAPrivateKey

    def sign(self, token: bytes) -> bytes:
        """``RSA_sign(NID_sha1, token)``: the token is the digest, not hashed again."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, utils

        return self.private_key.sign(token, padding.PKCS1v15(), utils.Prehashed(hashes.SHA1()))

    def public_text(self) -> str:
        numbers = self.private_key.public_key().public_numbers()
        return pubkey.to_text(numbers.n, numbers.e, _comment())


def _comment() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname() or 'unknown'}"


def android_key_path() -> Path:
    """Where Google's adb keeps its private key."""
    return Path.home() / ".android" / KEY_FILE


def own_key_path() -> Path:
    from unlocker import paths

    return paths.config_dir() / KEY_FILE


def load_key(path: Path) -> AdbKey | None:
    """The RSA-2048 key in ``path`` (PEM, PKCS#8 or PKCS#1); None when absent or not usable."""
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return None  # missing, unreadable, encrypted or not PEM: Google's adb would skip it too
    if not isinstance(key, RSAPrivateKey) or key.key_size != pubkey.MODULUS_BITS:
        return None
    return AdbKey(path, key)


def generate_key(path: Path) -> AdbKey:
    """A new RSA-2048 key pair: ``path`` (PEM, mode 0600) and ``path.pub`` (Android's format)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=pubkey.MODULUS_BITS)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.unlink(missing_ok=True)
        # Created 0600 from the start: the private key is never readable by others, not even briefly.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        os.replace(tmp, path)
        adb_key = AdbKey(path, key)
        path.with_name(path.name + ".pub").write_text(adb_key.public_text(), encoding="ascii")
    except OSError as e:
        raise UnlockerError(
            _("cannot write the adb key {path} ({reason})").format(path=path, reason=e.strerror or e),
            hint=_("Check that the folder is writable, or set UNLOCKER_CONFIG_DIR to one that is."),
        ) from e
    return adb_key


def load_keys(*, android_key: Path | None = None, own_key: Path | None = None) -> list[AdbKey]:
    """The keys to try, in order: Google's adb key when present, then ours (created if none exists)."""
    keys = []
    google = load_key(android_key or android_key_path())
    if google is not None:
        keys.append(google)
    path = own_key or own_key_path()
    ours = load_key(path) if path.exists() else None
    if ours is not None:
        keys.append(ours)
    if not keys:
        keys.append(generate_key(path))
    return keys

"""Device tokens and the unlock check, shaped like a Xiaomi bootloader's.

A real Xiaomi token is base64 of 0x55, a version, a length and TLV fields (product, cpuid and a
random part regenerated at every boot), so an unlock signature stops working after a reboot
(shared reference xiaomi-unlock.md 2.4). The emulator reproduces exactly that property.
"""

from __future__ import annotations

import base64
import hashlib
import os


def make_token(product: str, serial: str) -> str:
    """A fresh token: same product and cpuid, new random part (call at every boot)."""
    cpuid = hashlib.sha256(serial.encode()).digest()[:8]
    fields = _tlv(1, product.encode()) + _tlv(2, cpuid) + _tlv(3, os.urandom(16))
    raw = bytes([0x55, 0x01, len(fields)]) + fields
    return base64.b64encode(raw).decode("ascii")


def _tlv(kind: int, value: bytes) -> bytes:
    return bytes([kind, len(value)]) + value


def token_chunks(token: str, size: int = 32) -> list[str]:
    """MediaTek bootloaders print the token over several `token:` lines."""
    return [token[i : i + size] for i in range(0, len(token), size)]


def signature_valid(public_key_pem: bytes, token: str, signature: bytes) -> bool:
    """True when ``signature`` is RSASSA-PKCS1-v1_5 / SHA-256 over the token's ASCII bytes."""
    # Imported here so the rest of the emulator runs on interpreters without `cryptography`.
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = serialization.load_pem_public_key(public_key_pem)
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(signature, token.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True

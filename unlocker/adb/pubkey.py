"""Android's adb public-key format and the check of an AUTH signature, in pure Python.

Shared by the client (which sends its key in this format) and the virtual phone (which reads
keys and checks signatures without ``cryptography``). Facts (AOSP libcrypto_utils
android_pubkey.cpp, adb daemon/auth.cpp and client/auth.cpp; shared reference adb-sideload.md
section 5): the key is 524 little-endian bytes ``modulus_size_words (64), n0inv, n, rr, e``,
base64-encoded and followed by `` user@host``; a signature is PKCS#1 v1.5 over the SHA-1
DigestInfo with the 20-byte token used *as* the digest (``RSA_sign(NID_sha1, token, 20)``).
"""

from __future__ import annotations

import base64
import binascii
import struct

MODULUS_BITS = 2048
MODULUS_BYTES = MODULUS_BITS // 8
MODULUS_WORDS = MODULUS_BYTES // 4
ENCODED_SIZE = 4 + 4 + MODULUS_BYTES + MODULUS_BYTES + 4  # 524
# DER prefix of DigestInfo{ sha1, NULL } before the 20 digest bytes (RFC 8017 section 9.2).
_SHA1_DIGEST_INFO = bytes.fromhex("3021300906052b0e03021a05000414")


def encode(n: int, e: int) -> bytes:
    """The 524-byte ``RSAPublicKey`` struct for modulus ``n`` and exponent ``e`` (2048-bit keys)."""
    if n.bit_length() > MODULUS_BITS or n % 2 == 0:
        raise ValueError("adb keys are odd 2048-bit RSA moduli")
    n0inv = (1 << 32) - pow(n % (1 << 32), -1, 1 << 32)
    rr = pow(2, 2 * MODULUS_BITS, n)
    return (
        struct.pack("<II", MODULUS_WORDS, n0inv)
        + n.to_bytes(MODULUS_BYTES, "little")
        + rr.to_bytes(MODULUS_BYTES, "little")
        + struct.pack("<I", e)
    )


def decode(blob: bytes) -> tuple[int, int]:
    """(n, e) from the 524-byte struct; ValueError for anything else (adbd rejects it too)."""
    if len(blob) != ENCODED_SIZE:
        raise ValueError(f"adb public key is {len(blob)} bytes, not {ENCODED_SIZE}")
    words, _n0inv = struct.unpack_from("<II", blob, 0)
    if words != MODULUS_WORDS:
        raise ValueError(f"adb public key has {words} modulus words, not {MODULUS_WORDS}")
    n = int.from_bytes(blob[8 : 8 + MODULUS_BYTES], "little")
    (e,) = struct.unpack_from("<I", blob, 8 + 2 * MODULUS_BYTES)
    if n % 2 == 0 or e < 3:
        raise ValueError("adb public key is not an RSA key")
    return n, e


def to_text(n: int, e: int, comment: str) -> str:
    """``<base64> <comment>``: the contents of ``adbkey.pub`` and of the AUTH RSAPUBLICKEY payload."""
    return base64.b64encode(encode(n, e)).decode("ascii") + " " + comment


def from_text(text: bytes | str) -> tuple[int, int]:
    """(n, e) from a key line as adbd reads it: the first space- or tab-separated token."""
    raw = text.encode("ascii", "replace") if isinstance(text, str) else text
    token = raw.replace(b"\t", b" ").strip(b"\0 \r\n").split(b" ")[0]
    try:
        blob = base64.b64decode(token, validate=True)
    except binascii.Error as e:
        raise ValueError("adb public key is not base64") from e
    return decode(blob)


def verify(n: int, e: int, token: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is the adb signature of ``token`` by the key (n, e)."""
    size = (n.bit_length() + 7) // 8
    if len(signature) != size or len(token) != 20:
        return False
    value = int.from_bytes(signature, "big")
    if value >= n:
        return False
    message = pow(value, e, n).to_bytes(size, "big")
    suffix = b"\0" + _SHA1_DIGEST_INFO + token
    expected = b"\0\1" + b"\xff" * (size - 2 - len(suffix)) + suffix
    return message == expected

"""The shared wire pieces: message framing, banners, Android public keys, AUTH signatures."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from unlocker.adb import pubkey
from unlocker.adb.banner import make_banner, parse_banner
from unlocker.adb.message import (
    A_CNXN,
    A_OKAY,
    A_WRTE,
    HEADER_SIZE,
    MessageReader,
    checksum,
    encode,
    encode_block_request,
    negotiate,
    parse_block_request,
    parse_header,
)
from unlocker.errors import ProtocolError

# --- messages ---------------------------------------------------------------------------------


def test_header_layout_is_aosp() -> None:
    raw = encode(A_WRTE, 7, 9, b"\x01\x02\xff")
    assert raw[:4] == b"WRTE"  # the command is its 4 ASCII bytes read as a little-endian u32
    assert int.from_bytes(raw[12:16], "little") == 3
    assert int.from_bytes(raw[16:20], "little") == 0x102  # the byte sum, not a CRC
    assert int.from_bytes(raw[20:24], "little") == A_WRTE ^ 0xFFFFFFFF
    assert encode(A_WRTE, 7, 9, b"\x01", with_checksum=False)[16:20] == b"\0\0\0\0"


def test_reader_reassembles_a_stream_cut_anywhere() -> None:
    stream = b"".join(encode(A_WRTE, 1, 2, os.urandom(n)) for n in (0, 1, 4096, 70000)) + encode(A_OKAY, 1, 2)
    whole = MessageReader(peer="t").feed(stream)
    for cut in (1, 7, 24, 25, 16384):
        reader = MessageReader(peer="t")
        got = []
        for offset in range(0, len(stream), cut):
            got += reader.feed(stream[offset : offset + cut])
        assert got == whole and reader.pending == 0
    assert [len(m.data) for m in whole] == [0, 1, 4096, 70000, 0]


def test_reader_refuses_bad_magic_size_and_checksum() -> None:
    raw = bytearray(encode(A_WRTE, 1, 2, b"abc"))
    raw[20] ^= 1
    with pytest.raises(ProtocolError, match="not an adb message"):
        MessageReader(peer="phone").feed(bytes(raw))
    with pytest.raises(ProtocolError, match="over the agreed limit"):
        MessageReader(peer="phone", max_payload=4096).feed(encode(A_WRTE, 1, 2, bytes(4097)))
    damaged = bytearray(encode(A_WRTE, 1, 2, b"abc"))
    damaged[-1] ^= 0x40
    with pytest.raises(ProtocolError, match="wrong checksum"):
        MessageReader(peer="phone").feed(bytes(damaged))
    # Version 0x01000001 carries no checksum: a zero check field is fine then.
    assert MessageReader(peer="p", verify_checksum=False).feed(
        encode(A_WRTE, 1, 2, b"abc", with_checksum=False)
    )
    with pytest.raises(ProtocolError):
        parse_header(b"GARBAGE!" * 3, peer="p")
    assert len(encode(A_CNXN, 1, 2)) == HEADER_SIZE


def test_negotiation_takes_the_smaller_of_both() -> None:
    assert negotiate(0x01000001, 1 << 20, 0x01000000, 4096) == (0x01000000, 4096)
    assert negotiate(0x01000001, 1 << 20, 0x01000001, 256 * 1024) == (0x01000001, 256 * 1024)
    assert checksum(bytes(range(256)) * 4) == 4 * 255 * 128


def test_block_requests_are_eight_digits() -> None:
    assert encode_block_request(18838) == b"00018838"
    assert parse_block_request(b"00018838") == 18838
    assert parse_block_request(b"DONEDONE") is None and parse_block_request(b"123") is None


# --- banners ----------------------------------------------------------------------------------


def test_banner_of_a_modern_recovery() -> None:
    banner = parse_banner(
        b"sideload::ro.product.name=alioth;ro.product.model=M2012K11AG;ro.product.device=alioth;"
        b"features=cmd,shell_v2"
    )
    assert (banner.mode, banner.codename, banner.model) == ("sideload", "alioth", "M2012K11AG")
    assert banner.features == {"cmd", "shell_v2"}


def test_banner_of_android_4_4_and_odd_ones() -> None:
    old = parse_banner(b"recovery::ro.product.name=x;ro.product.model=y;ro.product.device=hammerhead;\0")
    assert (old.mode, old.codename, old.features) == ("recovery", "hammerhead", frozenset())
    assert parse_banner(b"host::features=shell_v2").mode == "host"
    assert parse_banner(b"weird::").mode == "host"
    assert parse_banner(b"device::a=b=c;ro.product.device=z").properties == {"ro.product.device": "z"}
    assert parse_banner(b"bootloader").mode == "bootloader"


def test_made_banners_parse_back() -> None:
    props = {"ro.product.name": "n", "ro.product.model": "m", "ro.product.device": "d"}
    assert parse_banner(make_banner("sideload", props)).properties == props
    assert make_banner("sideload", props, features=None).endswith(b";\0")


# --- keys and signatures ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_key():
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_public_key_format_round_trip(rsa_key) -> None:
    numbers = rsa_key.public_key().public_numbers()
    blob = pubkey.encode(numbers.n, numbers.e)
    assert len(blob) == 524 and blob[:4] == b"\x40\0\0\0"
    n0inv = int.from_bytes(blob[4:8], "little")
    assert (n0inv * numbers.n) % (1 << 32) == (1 << 32) - 1  # n0inv = -1/n mod 2^32
    assert pubkey.decode(blob) == (numbers.n, numbers.e)
    text = pubkey.to_text(numbers.n, numbers.e, "me@host")
    assert len(text.split()[0]) == 700 and text.endswith(" me@host")
    assert pubkey.from_text(text.encode() + b"\0") == (numbers.n, numbers.e)
    with pytest.raises(ValueError):
        pubkey.decode(blob[:-1])
    with pytest.raises(ValueError):
        pubkey.from_text("not-base64!!")


def test_signature_check_matches_rsa_sign_sha1(rsa_key) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, utils

    numbers = rsa_key.public_key().public_numbers()
    token = os.urandom(20)
    signature = rsa_key.sign(token, padding.PKCS1v15(), utils.Prehashed(hashes.SHA1()))
    assert pubkey.verify(numbers.n, numbers.e, token, signature)
    assert not pubkey.verify(numbers.n, numbers.e, os.urandom(20), signature)
    assert not pubkey.verify(numbers.n, numbers.e, token, signature[:-1] + bytes([signature[-1] ^ 1]))
    # A signature over the *hash* of the token (what a careless client does) is not adb's.
    hashed = rsa_key.sign(token, padding.PKCS1v15(), hashes.SHA1())
    assert not pubkey.verify(numbers.n, numbers.e, token, hashed)


@pytest.mark.google_tools
@pytest.mark.skipif(shutil.which("adb") is None, reason="Debian 'adb' not installed")
def test_our_public_key_text_is_googles(tmp_path: Path) -> None:
    """`adb keygen` writes adbkey and adbkey.pub: our encoding of its key is byte for byte its .pub."""
    from unlocker.adb.auth import load_key

    key_path = tmp_path / "adbkey"
    subprocess.run(["adb", "keygen", str(key_path)], check=True, capture_output=True, timeout=30)
    google_pub = (tmp_path / "adbkey.pub").read_text().split()[0]
    key = load_key(key_path)
    assert key is not None
    assert key.public_text().split()[0] == google_pub
    assert len(base64.b64decode(google_pub)) == 524

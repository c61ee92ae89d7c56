"""This computer's adb keys: our own pair (0600, Android's .pub), and Google's ~/.android/adbkey first."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from unlocker.adb import pubkey
from unlocker.adb.auth import generate_key, load_keys


def test_first_use_creates_a_private_key_only_we_can_read(tmp_path: Path) -> None:
    own = tmp_path / "config" / "adbkey"
    keys = load_keys(android_key=tmp_path / "nothing", own_key=own)
    assert [k.path for k in keys] == [own]
    assert stat.S_IMODE(own.stat().st_mode) == 0o600
    assert own.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    pub = (tmp_path / "config" / "adbkey.pub").read_text()
    assert not pub.endswith("\n")  # as Google's adb writes it
    assert pubkey.from_text(pub) == pubkey.from_text(keys[0].public_text())
    # Used again, not replaced.
    assert load_keys(android_key=tmp_path / "nothing", own_key=own)[0].public_text() == keys[0].public_text()


def test_googles_key_comes_first_and_ours_is_not_created(tmp_path: Path, session_key: Path) -> None:
    android = tmp_path / "home" / ".android" / "adbkey"
    android.parent.mkdir(parents=True)
    android.write_bytes(session_key.read_bytes())
    own = tmp_path / "config" / "adbkey"
    keys = load_keys(android_key=android, own_key=own)
    assert [k.path for k in keys] == [android]
    assert not own.exists()  # a phone that trusts Google's adb needs nothing new
    generate_key(own)
    assert [k.path for k in load_keys(android_key=android, own_key=own)] == [android, own]


def test_unusable_key_files_are_skipped(tmp_path: Path) -> None:
    android = tmp_path / "adbkey"
    android.write_text("not a key")
    own = tmp_path / "own" / "adbkey"
    assert [k.path for k in load_keys(android_key=android, own_key=own)] == [own]


def test_signatures_verify_with_the_published_key(tmp_path: Path) -> None:
    (key,) = load_keys(android_key=tmp_path / "none", own_key=tmp_path / "adbkey")
    token = os.urandom(20)
    n, e = pubkey.from_text(key.public_text())
    assert pubkey.verify(n, e, token, key.sign(token))

"""File locks and the holder's note, written without the json module: the note must stay the JSON
earlier versions wrote and read (two versions may meet at one lock)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from unlocker import filelock

HOSTILE = [
    "",
    "unlocker flash boot boot.img",
    'say "hello"',
    "C:\\Users\\me\\boot.img",
    "tab\tnew\nline\rcr\bbs\fff\x00nul\x1fus\x7fdel",
    "séríal ß Ünïcode",
    "فلش کردن پارتیشن",
    "emoji 📱 and astral 𝄞",
    "lone surrogate \udcff from an undecodable argument",
    "\u2028\u2029\ufeff\uffff",
    "".join(chr(c) for c in range(0, 0x800, 7)),
]


@pytest.mark.parametrize("text", HOSTILE)
def test_strings_are_written_as_json_writes_them(text: str) -> None:
    assert filelock._json_string(text) == json.dumps(text)
    assert json.loads(filelock._json_string(text)) == text


@pytest.mark.parametrize("command", HOSTILE[1:])
def test_the_note_is_the_json_of_earlier_versions(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["unlocker", *command.split(" ")])
    path = tmp_path / "x.lock"
    with filelock.holding(path, lambda holder: RuntimeError(holder)):
        written = path.read_bytes()
        note = json.loads(written)
        assert written == json.dumps(note).encode()
        assert list(note) == ["pid", "command", "since"]
        assert note["command"] == "unlocker " + command
        assert filelock.read_note(path) == note
        assert filelock.read_note(str(path)) == note
    assert path.read_bytes() == b""  # released: the note is gone


def test_a_held_lock_refuses_with_the_holders_note(tmp_path: Path) -> None:
    import subprocess

    path = tmp_path / "locks" / "x.lock"
    code = (
        "import sys\n"
        "from unlocker import filelock\n"
        f"f = filelock.open_locked({str(path)!r}, RuntimeError)\n"
        "print('held', flush=True)\n"
        "sys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, 'quote"d', "back\\slash"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(Path(__file__).parent.parent)},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"

        class Busy(Exception):
            pass

        with pytest.raises(Busy) as refused:
            filelock.open_locked(path, lambda note: Busy(note))
        note = refused.value.args[0]
        assert note["pid"] == holder.pid
        assert note["command"] == 'unlocker quote"d back\\slash'
    finally:
        holder.communicate("", timeout=10)


def test_unreadable_notes_are_empty(tmp_path: Path) -> None:
    assert filelock.read_note(tmp_path / "missing") == {}
    (tmp_path / "garbage").write_bytes(b"{not json")
    assert filelock.read_note(tmp_path / "garbage") == {}
    (tmp_path / "list").write_text("[1, 2]")
    assert filelock.read_note(tmp_path / "list") == {}

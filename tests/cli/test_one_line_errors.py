"""The tracebacks users met (issue 10, item 8), each now one line saying what happened and what next."""

from __future__ import annotations

import errno
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

from unlocker.cli.main import main
from unlocker.errors import FileAccessError


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def one_line(err: str) -> list[str]:
    lines = err.strip().splitlines()
    assert "Traceback" not in err and "this is a bug" not in err, err
    assert lines[0].startswith("unlocker: error: ") and all(line.startswith("unlocker: ") for line in lines)
    return lines


def _sparse(path: Path, block_size: int, blocks: int) -> Path:
    """A sparse image of one DONT_CARE chunk: ``blocks`` blocks of ``block_size`` bytes."""
    header = struct.pack("<IHHHHIIII", 0xED26FF3A, 1, 0, 28, 12, block_size, blocks, 1, 0)
    path.write_bytes(header + struct.pack("<HHII", 0xCAC3, 0, blocks, 12))
    return path


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UNLOCKER_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("UNLOCKER_DEBUG", raising=False)
    return tmp_path / "state"


@pytest.mark.parametrize("command", ["expand", "convert"])
def test_output_into_a_missing_folder(tmp_path: Path, state: Path, capsys, command: str) -> None:
    image = _sparse(tmp_path / "in.simg", 4096, 4) if command == "expand" else tmp_path / "in.img"
    if command == "convert":
        image.write_bytes(os.urandom(8192))
    code, _out, err = run(capsys, "sparse", command, str(image), str(tmp_path / "missing" / "out.img"))
    lines = one_line(err)
    assert code == 1 and f"the folder {tmp_path / 'missing'} does not exist" in lines[0]
    assert "Create it first" in lines[1]
    assert not state.exists()  # no crash report was written


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_expanding_beyond_what_the_file_system_holds(tmp_path: Path, cli_env: dict[str, str]) -> None:
    """Like a 64 TiB image on ext4 (16 TiB per file) or 4 GiB on FAT32: a file-size limit (EFBIG)."""
    import resource

    image = _sparse(tmp_path / "huge.simg", 64 * 1024 * 1024, 4)  # 256 MiB of nothing
    output = tmp_path / "out.img"

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))  # files stop at 1 MiB

    r = subprocess.run(
        [sys.executable, "-m", "unlocker", "sparse", "expand", str(image), str(output)],
        capture_output=True,
        text=True,
        env=cli_env,
        preexec_fn=limit,
        timeout=60,
    )
    lines = one_line(r.stderr)
    assert r.returncode == 1 and "File too large" in lines[0] and "cannot hold a file this large" in lines[1]
    assert not output.exists() and not Path(str(output) + ".part").exists()


def test_absurd_block_size_is_refused_at_once(tmp_path: Path, capsys) -> None:
    image = tmp_path / "in.img"
    image.write_bytes(os.urandom(100_000))
    started = time.monotonic()
    code, _out, err = run(
        capsys, "sparse", "convert", str(image), str(tmp_path / "o.simg"), "--block-size", "8589934592"
    )
    assert code == 2 and "--block-size" in err and "at most 67108864" in err and "Traceback" not in err
    assert time.monotonic() - started < 5  # refused before reading (it used to allocate 8 GiB per block)


@pytest.mark.parametrize("tail", ["/..", "/.", "/../"])
def test_download_url_naming_no_file(tmp_path: Path, state: Path, capsys, tail: str) -> None:
    code, _out, err = run(
        capsys, "download", "http://127.0.0.1:1/roms" + tail, "--sha256", "0" * 64, "-o", str(tmp_path)
    )
    lines = one_line(err)
    assert code == 2 and "cannot tell a file name" in lines[0] and "--name" in lines[0]


def test_download_address_that_is_no_address(tmp_path: Path, capsys) -> None:
    code, _out, err = run(capsys, "download", "http://[::1/x.zip", "--sha256", "0" * 64, "-o", str(tmp_path))
    assert code == 2 and "is not an http(s) address" in one_line(err)[0]


def test_phone_host_name_that_cannot_be_encoded(capsys) -> None:
    code, _out, err = run(capsys, "getvar", "product", "-s", "tcp:" + "x" * 300)
    assert code == 1 and "cannot connect" in one_line(err)[0]


@pytest.mark.parametrize(
    "number,needle",
    [
        (errno.EACCES, "permissions"),
        (errno.ENOSPC, "disk is full"),
        (errno.EFBIG, "FAT32"),
        (errno.EISDIR, "That is a folder"),
        (errno.ENAMETOOLONG, "too long"),
        (errno.EIO, "Check the path"),
    ],
)
def test_file_access_errors_say_what_to_do(tmp_path: Path, number: int, needle: str) -> None:
    error = FileAccessError.from_os_error(OSError(number, os.strerror(number), str(tmp_path / "f.img")))
    assert str(error) == f"cannot use {tmp_path / 'f.img'}: {os.strerror(number)}"
    assert needle in (error.hint or "")
    bare = FileAccessError.from_os_error(OSError(number, os.strerror(number)))
    assert str(bare) == f"the operating system refused: {os.strerror(number)}" and needle in (bare.hint or "")

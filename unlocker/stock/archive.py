"""Reading a .tgz (or .tar) firmware archive safely, in one forward pass, never trusting it.

Every entry must be a folder or a regular file with a plain relative name: absolute paths,
``..``, links, devices, FIFOs and sparse members refuse the whole archive before anything is
written. What the archive may unpack to is bounded twice: the sizes its headers declare must
be believable for its compressed size, and the bytes actually read may never run past what the
headers declared (so a gzip stream that grows without end is stopped as it grows, not after).
The gzip trailer (CRC and length) is always read, so a damaged or truncated download is caught
before a single byte reaches a phone.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from unlocker import commands
from unlocker.errors import PackageError
from unlocker.i18n import _

PIECE = 1024 * 1024
HEAD = 28  # enough to tell a sparse image and its expanded size
MAX_TEXT = 1024 * 1024
# An archive may not claim to unpack to more than this many times its own size (with a floor
# for tiny archives). Firmware barely compresses (Xiaomi ROMs unpack to well under 3x); zeros
# compress about 1000x, which is how an archive that "expands to terabytes" is made.
MAX_RATIO = 50
RATIO_FLOOR = 1024 * 1024 * 1024
# Bytes tarfile legitimately reads beyond declared data: headers, long-name and PAX records,
# the end-of-archive blocks and read-ahead of one record.
_PER_MEMBER = 4096
_SLACK = 1024 * 1024
# What may follow the tar's end inside the gzip stream (record padding): more is not a tar.
_MAX_TRAILER = 1024 * 1024

Progress = Callable[[int], None]


@dataclass(frozen=True)
class Member:
    name: str  # relative to the archive's top folder, '/'-separated
    size: int
    head: bytes = b""  # first bytes (kept for files under images/)


@dataclass
class ArchiveIndex:
    path: Path
    root: str  # the top folder every entry lives in ('' when entries are at the top)
    members: dict[str, Member] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    compressed_size: int = 0

    @property
    def declared_size(self) -> int:
        return sum(m.size for m in self.members.values())


def _hostile(path: Path, entry: str, why: str) -> PackageError:
    return PackageError(
        _("{file} is refused: entry '{entry}' {why}").format(file=path.name, entry=entry, why=why),
        hint=_(
            "A real firmware package holds only folders and plain files; get the package from "
            "the vendor's site. Nothing was written."
        ),
    )


def _damaged(path: Path, reason: object) -> PackageError:
    return PackageError(
        _("{file} is damaged or truncated: {reason}").format(file=path.name, reason=reason),
        hint=_("Download it again (its size must match the vendor's). Nothing was written."),
    )


def check_name(path: Path, name: str) -> str:
    """The entry's name as a safe relative path, or PackageError."""
    if "\x00" in name or "\\" in name:
        raise _hostile(path, name, _("has a name with characters no package uses"))
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise _hostile(path, name, _("has an absolute path (it would be written outside the target)"))
    parts = [p for p in PurePosixPath(name).parts if p != "."]
    if ".." in parts:
        raise _hostile(path, name, _("climbs out of the target folder with '..'"))
    return "/".join(parts)


class _Counted(io.RawIOBase):
    """The raw file, counting bytes read (for progress over the compressed size)."""

    def __init__(self, f: BinaryIO, progress: Progress | None) -> None:
        self.f = f
        self.progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = self.f.readinto(buffer)  # type: ignore[attr-defined]
        if n and self.progress:
            self.progress(n)
        return n or 0


class _Budget:
    """The decompressed tar stream, refusing to deliver more than the headers so far allow."""

    def __init__(self, f: BinaryIO, path: Path) -> None:
        self.f = f
        self.path = path
        self.delivered = 0
        self.allowed = _SLACK

    def allow(self, size: int) -> None:
        self.allowed += -(-size // 512) * 512 + _PER_MEMBER

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n if n >= 0 else PIECE)
        self.delivered += len(data)
        if self.delivered > self.allowed:
            raise PackageError(
                _("{file} is refused: it unpacks to more data than its entries declare").format(
                    file=self.path.name
                ),
                hint=_("The archive is damaged or was made to harm: do not use it. Nothing was written."),
            )
        return data


@contextmanager
def _open_tar(path: Path, progress: Progress | None) -> Iterator[tuple[tarfile.TarFile, _Budget, BinaryIO]]:
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by the `with raw` below
    except OSError as e:
        raise PackageError(_("cannot read {file}: {reason}").format(file=path, reason=e.strerror or e)) from e
    with raw:
        magic = raw.read(2)
        raw.seek(0)
        counted = io.BufferedReader(_Counted(raw, progress), PIECE)
        stream: BinaryIO = gzip.GzipFile(fileobj=counted, mode="rb") if magic == b"\x1f\x8b" else counted  # type: ignore[assignment]
        budget = _Budget(stream, path)
        try:
            tar = tarfile.open(fileobj=budget, mode="r|")  # type: ignore[call-overload]  # noqa: SIM115
        except (tarfile.TarError, OSError, EOFError) as e:
            raise PackageError(
                _("{file} is not a tar archive (a .tgz fastboot ROM or .tar)").format(file=path.name),
                hint=_("{command} says what the file is.").format(
                    command=commands.show(commands.INSPECT, "FILE")
                ),
            ) from e
        try:
            yield tar, budget, stream
        finally:
            tar.close()


def _members(
    path: Path, tar: tarfile.TarFile, budget: _Budget, compressed: int
) -> Iterator[tuple[tarfile.TarInfo, str]]:
    """Each regular file with its checked name; refuses the archive at the first bad entry."""
    declared = 0
    seen: set[str] = set()
    limit = max(RATIO_FLOOR, MAX_RATIO * compressed)
    try:
        for info in tar:
            name = check_name(path, info.name)
            if info.issym() or info.islnk():
                raise _hostile(path, info.name, _("is a link (links can point outside the target)"))
            if info.isdev() or info.isfifo():
                raise _hostile(path, info.name, _("is a device or pipe, not a file"))
            if info.issparse():
                raise _hostile(path, info.name, _("is a sparse entry, which can unpack to any size"))
            if info.isdir():
                continue
            if not info.isreg():
                raise _hostile(path, info.name, _("is not a plain file or folder"))
            declared += info.size
            if declared > limit:
                raise PackageError(
                    _(
                        "{file} is refused: its entries claim {size} bytes, far more than a {compressed}-byte "
                        "archive can hold"
                    ).format(file=path.name, size=declared, compressed=compressed),
                    hint=_("The archive is damaged or was made to harm: do not use it. Nothing was written."),
                )
            if name in seen:
                raise _hostile(path, info.name, _("appears twice (the second copy would replace the first)"))
            seen.add(name)
            budget.allow(info.size)
            yield info, name
    except (tarfile.TarError, EOFError, gzip.BadGzipFile, OSError, ValueError) as e:
        raise _damaged(path, e) from e


def _finish(path: Path, stream: BinaryIO) -> None:
    """Read what follows the tar's end to the end of the gzip stream, which checks its CRC."""
    left = _MAX_TRAILER
    try:
        while piece := stream.read(64 * 1024):
            left -= len(piece)
            if left < 0:
                raise _damaged(path, _("data follows the end of the archive"))
    except (EOFError, gzip.BadGzipFile, OSError, ValueError) as e:
        raise _damaged(path, e) from e


def _root_of(names: list[str]) -> str:
    firsts = {n.split("/", 1)[0] for n in names}
    if len(firsts) == 1 and all("/" in n for n in names):
        return firsts.pop()
    return ""


def scan(
    path: Path,
    *,
    keep_text: Callable[[str], bool],
    keep_head: Callable[[str], bool],
    progress: Progress | None = None,
) -> ArchiveIndex:
    """Walk the whole archive once: entry names and sizes, small text files the caller asks for
    (``keep_text(name)``, names relative to the top folder) and the first bytes of others."""
    compressed = path.stat().st_size
    full: list[tuple[str, int, bytes, str | None]] = []
    with _open_tar(path, progress) as (tar, budget, stream):
        for info, name in _members(path, tar, budget, compressed):
            relative = name.split("/", 1)[1] if "/" in name else name
            text = head = None
            # Both guesses at the top folder are asked: the top folder is known only at the end.
            if keep_text(relative) or keep_text(name):
                if info.size > MAX_TEXT:
                    raise PackageError(
                        _("{entry} in {file} is too large for what it claims to be").format(
                            entry=name, file=path.name
                        )
                    )
                text = _read_member(path, tar, info, MAX_TEXT).decode("utf-8", errors="replace")
            elif keep_head(relative) or keep_head(name):
                head = _read_member(path, tar, info, HEAD)
            full.append((name, info.size, head or b"", text))
        _finish(path, stream)
    root = _root_of([n for n, *_rest in full])
    index = ArchiveIndex(path, root, compressed_size=compressed)
    for name, size, head, text in full:
        relative = name[len(root) + 1 :] if root else name
        index.members[relative] = Member(relative, size, head)
        if text is not None:
            index.texts[relative] = text
    return index


def _read_member(path: Path, tar: tarfile.TarFile, info: tarfile.TarInfo, limit: int) -> bytes:
    f = tar.extractfile(info)
    if f is None:
        raise _damaged(path, info.name)
    try:
        return f.read(min(limit, info.size))
    except (tarfile.TarError, EOFError, OSError, ValueError) as e:
        raise _damaged(path, e) from e


def extract(
    index: ArchiveIndex,
    wanted: set[str],
    target: Path,
    *,
    progress: Progress | None = None,
) -> dict[str, Path]:
    """Write the ``wanted`` entries (names relative to the top folder) under ``target``, which
    the caller has checked has room for them. Returns name -> file. Nothing is written outside
    ``target``: names were checked, folders are made here, and files are created new, never
    through an existing link."""
    path = index.path
    written: dict[str, Path] = {}
    with _open_tar(path, progress) as (tar, budget, stream):
        for info, name in _members(path, tar, budget, index.compressed_size):
            relative = name[len(index.root) + 1 :] if index.root else name
            if relative not in wanted:
                continue
            expected = index.members.get(relative)
            if expected is None or expected.size != info.size:
                raise _damaged(path, _("the archive changed while it was being read"))
            destination = target.joinpath(*relative.split("/"))
            try:
                destination.parent.mkdir(parents=True, exist_ok=True)
                _copy_member(path, tar, info, destination, expected)
            except OSError as e:  # writing failed (reading errors are PackageErrors by now)
                from unlocker.stock.workspace import write_failed

                raise write_failed(destination, e) from e
            written[relative] = destination
        _finish(path, stream)
    missing = sorted(wanted - set(written))
    if missing:
        raise _damaged(path, _("entries disappeared: {entries}").format(entries=", ".join(missing)))
    return written


def _copy_member(
    path: Path, tar: tarfile.TarFile, info: tarfile.TarInfo, destination: Path, expected: Member
) -> None:
    source = tar.extractfile(info)
    if source is None:
        raise _damaged(path, info.name)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(destination, flags, 0o600)
    copied = 0
    with os.fdopen(fd, "wb") as out:
        while True:
            try:
                piece = source.read(PIECE)
            except (tarfile.TarError, EOFError, OSError, ValueError) as e:
                raise _damaged(path, e) from e
            if not piece:
                break
            if copied == 0 and expected.head and piece[: len(expected.head)] != expected.head:
                raise _damaged(path, _("the archive changed while it was being read"))
            copied += len(piece)
            if copied > info.size:  # tarfile never does this; the check costs nothing
                raise _damaged(path, _("an entry holds more data than it declares"))
            out.write(piece)
    if copied != info.size:
        raise _damaged(path, _("{entry} is shorter than it declares").format(entry=info.name))

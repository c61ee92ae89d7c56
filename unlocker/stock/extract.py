"""Writing a partition image from a full payload: operations streamed, every hash checked.

For each operation, in order (AOSP update_engine install_operation_executor / ota_extractor):
read its blob, check the blob's SHA-256 from the manifest, decode it (REPLACE as is, REPLACE_BZ
bzip2, REPLACE_XZ xz, REPLACE_ZSTD zstd) and write the result across its destination extents in
list order; ZERO and DISCARD leave zeros. The image is cut to the partition's size and its
SHA-256 must equal the manifest's ``new_partition_info.hash`` before anyone may use it.

Memory stays bounded: blobs are read in 1 MiB pieces and decoders are asked for at most 1 MiB
at a time, so a compressed bomb cannot fill RAM, and output beyond an operation's extents is
refused as soon as it appears.
"""

from __future__ import annotations

import bz2
import contextlib
import errno
import hashlib
import lzma
import os
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from unlocker.errors import PackageError
from unlocker.i18n import _
from unlocker.stock.payload import (
    DISCARD,
    FULL_OPERATIONS,
    REPLACE,
    REPLACE_BZ,
    REPLACE_XZ,
    REPLACE_ZSTD,
    SPARSE_HOLE,
    ZERO,
    Extent,
    Operation,
    PartitionUpdate,
    Payload,
    operation_name,
)

PIECE = 1024 * 1024
_ZEROS = bytes(PIECE)

Progress = Callable[[int], None]


class _Decompressor(Protocol):
    needs_input: bool
    eof: bool
    unused_data: bytes

    def decompress(self, data: bytes, max_length: int = -1) -> bytes: ...


@dataclass(frozen=True)
class PayloadSource:
    """Where payload.bin's bytes are: an open file and the offset payload.bin starts at (0 for a
    bare payload.bin, the stored entry's data offset inside an OTA zip)."""

    file: BinaryIO
    base: int = 0
    size: int | None = None

    def read_at(self, offset: int, length: int) -> Iterator[bytes]:
        """``length`` bytes from ``offset`` (relative to payload.bin), in pieces."""
        if self.size is not None and offset + length > self.size:
            raise PackageError(
                _("the payload is truncated: an operation's data lies past its end"),
                hint=_("Download the package again."),
            )
        self.file.seek(self.base + offset)
        left = length
        while left:
            piece = self.file.read(min(PIECE, left))
            if not piece:
                raise PackageError(
                    _("the payload is truncated: an operation's data lies past its end"),
                    hint=_("Download the package again."),
                )
            left -= len(piece)
            yield piece


def zstd_decompressor() -> _Decompressor | None:
    """A zstd decoder with lzma's interface, from Python 3.14's compression.zstd or the
    zstandard package; None when neither is installed."""
    try:
        from compression import zstd  # type: ignore[import-not-found]

        return zstd.ZstdDecompressor()  # type: ignore[no-any-return]
    except ImportError:
        pass
    try:
        import zstandard  # type: ignore[import-not-found]
    except ImportError:
        return None
    return _ZstandardAdapter(zstandard)


class _ZstandardAdapter:
    """zstandard's decompressobj has no output limit, so it is fed small steps: a zstd block
    holds at most 128 KiB, so 1 KiB of input yields at most a few tens of MiB."""

    STEP = 1024

    def __init__(self, module: Any) -> None:
        self._obj = module.ZstdDecompressor().decompressobj()
        self._pending = memoryview(b"")
        self.needs_input = True
        self.eof = False
        self.unused_data = b""

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        if data:
            self._pending = memoryview(bytes(self._pending) + data) if self._pending else memoryview(data)
        out = bytearray()
        while self._pending and not self.eof and (max_length < 0 or len(out) < max_length):
            step, self._pending = self._pending[: self.STEP], self._pending[self.STEP :]
            out += self._obj.decompress(bytes(step))
            self.eof = bool(getattr(self._obj, "eof", False))
        if self.eof:
            self.unused_data = bytes(getattr(self._obj, "unused_data", b"")) + bytes(self._pending)
            self._pending = memoryview(b"")
        self.needs_input = not self._pending
        return bytes(out)


def _decoder(op: Operation, partition: str) -> _Decompressor | None:
    if op.type == REPLACE:
        return None
    if op.type == REPLACE_BZ:
        return bz2.BZ2Decompressor()
    if op.type == REPLACE_XZ:
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ)
    if op.type == REPLACE_ZSTD:
        decoder = zstd_decompressor()
        if decoder is None:
            raise PackageError(
                _("{partition} is compressed with zstd, which this Python cannot read").format(
                    partition=partition
                ),
                hint=_(
                    "Install the 'zstandard' package (pip install zstandard) and run the same command again."
                ),
            )
        return decoder
    raise AssertionError(op.type)


class _ExtentWriter:
    """Writes a stream across an operation's extents, in list order."""

    def __init__(self, dst: BinaryIO, extents: list[Extent], block_size: int, image: _Image) -> None:
        self.dst = dst
        self.spans = [(e.start_block * block_size, e.num_blocks * block_size) for e in extents]
        self.capacity = sum(length for _, length in self.spans)
        self.index = 0
        self.used = 0  # bytes written into the current span
        self.total = 0
        self.image = image

    def write(self, data: bytes, partition: str) -> None:
        if self.total + len(data) > self.capacity:
            raise PackageError(
                _("{partition}: an operation decodes to more data than its destination holds").format(
                    partition=partition
                ),
                hint=_("The package is damaged: download it again."),
            )
        view = memoryview(data)
        while view:
            start, length = self.spans[self.index]
            room = length - self.used
            if room == 0:
                self.index += 1
                self.used = 0
                continue
            n = min(room, len(view))
            self.image.write_at(start + self.used, view[:n])
            self.used += n
            self.total += n
            view = view[n:]


class _Image:
    """The output file plus a running SHA-256 while writes arrive in order (the usual case for a
    full payload); out-of-order writes switch to hashing the finished file once.

    Writing and hashing run in a second thread, fed through a short queue, while the caller
    decompresses: both release the GIL, so extraction costs about as much as the slower of
    decompression and disk writes rather than their sum. Memory stays bounded by the queue.
    """

    QUEUE = 8  # pieces of at most 1 MiB in flight

    def __init__(self, dst: BinaryIO, size: int) -> None:
        self.dst = dst
        self.size = size
        self.hasher = hashlib.sha256()
        self.hashed = 0  # bytes [0, hashed) are in the hasher
        self.in_order = True
        self.end = 0  # high-water mark of written bytes
        self._queue: queue.Queue[tuple[int, int, memoryview | None] | None] = queue.Queue(self.QUEUE)
        self._error: BaseException | None = None
        self._worker = threading.Thread(target=self._work, name="payload-writer", daemon=True)
        self._worker.start()

    # --- called by the extracting thread ----------------------------------------------------

    def write_at(self, offset: int, data: memoryview) -> None:
        self._put((offset, len(data), data))

    def zero(self, offset: int, length: int) -> None:
        """ZERO/DISCARD: bytes never written are zeros already (the file is new); bytes written by
        an earlier operation are overwritten."""
        self._put((offset, length, None))

    def _put(self, item: tuple[int, int, memoryview | None]) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(item)

    def stop(self) -> None:
        """Let the writer finish what is queued (also after an error elsewhere)."""
        if self._worker.is_alive():
            self._queue.put(None)
            self._worker.join()

    def finish(self) -> bytes:
        self.stop()
        if self._error is not None:
            raise self._error
        self.dst.truncate(self.size)
        self.dst.flush()
        if self.in_order:
            self._hash_zeros(self.size - self.hashed)
            return self.hasher.digest()
        hasher = hashlib.sha256()
        self.dst.seek(0)
        while piece := self.dst.read(PIECE):
            hasher.update(piece)
        return hasher.digest()

    # --- the writer thread ------------------------------------------------------------------

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is not None:
                continue  # keep draining so the extracting thread never blocks
            offset, length, data = item
            try:
                if data is None:
                    self._write_zeros(offset, length)
                else:
                    self._write(offset, data)
            except BaseException as e:  # handed to the extracting thread, raised there
                self._error = e

    def _write(self, offset: int, data: memoryview) -> None:
        if self.in_order and offset != self.hashed:
            if offset > self.hashed and offset >= self.end:
                self._hash_zeros(offset - self.hashed)  # a gap never written reads as zeros
            else:
                self.in_order = False
        if self.dst.tell() != offset:
            self.dst.seek(offset)
        self.dst.write(data)
        if self.in_order:
            self.hasher.update(data[: max(0, self.size - self.hashed)])
            self.hashed += len(data)
        self.end = max(self.end, offset + len(data))

    def _write_zeros(self, offset: int, length: int) -> None:
        overlap = min(self.end, offset + length) - offset
        if overlap > 0:
            self.in_order = False
            self.dst.seek(offset)
            left = overlap
            while left:
                n = min(left, PIECE)
                self.dst.write(_ZEROS[:n])
                left -= n

    def _hash_zeros(self, count: int) -> None:
        count = min(count, max(0, self.size - self.hashed))
        self.hashed += count
        while count:
            n = min(count, PIECE)
            self.hasher.update(_ZEROS[:n])
            count -= n


def check_extractable(part: PartitionUpdate, payload: Payload) -> None:
    """Refuse what cannot be written from this payload alone, before any byte is written."""
    name = part.name
    if part.has_old_info or any(op.type not in FULL_OPERATIONS or op.has_source for op in part.operations):
        kinds = sorted({operation_name(op.type) for op in part.operations if op.type not in FULL_OPERATIONS})
        raise PackageError(
            _("{partition} is an incremental update ({operations}): it patches the phone's old data").format(
                partition=name, operations=", ".join(kinds) or _("reads old data")
            ),
            hint=_("Use a full OTA package (the complete firmware, usually over 1 GB)."),
        )
    if part.has_verity:
        raise PackageError(
            _(
                "{partition} carries verity data that the phone computes while updating; it cannot be "
                "written as an image"
            ).format(partition=name),
            hint=_("Use the fastboot ROM for this firmware version instead."),
        )
    if part.new_info is None or part.new_info.size is None or not part.new_info.hash:
        raise PackageError(
            _("the payload gives no size or hash for {partition}, so it cannot be checked").format(
                partition=name
            ),
            hint=_("Use another copy of the package."),
        )
    bs = payload.manifest.block_size
    limit = -(-part.new_info.size // bs)  # blocks, rounded up
    for op in part.operations:
        for extent in op.dst_extents:
            if extent.start_block == SPARSE_HOLE or extent.start_block + extent.num_blocks > limit:
                raise PackageError(
                    _("{partition}: an operation writes outside the partition's {size} bytes").format(
                        partition=name, size=part.new_info.size
                    ),
                    hint=_("The package is damaged or was made to harm: do not use it."),
                )


def extract_partition(
    source: PayloadSource,
    payload: Payload,
    part: PartitionUpdate,
    dst: BinaryIO,
    *,
    progress: Progress | None = None,
) -> None:
    """Write ``part`` into ``dst`` (a new, empty file opened for writing and reading).

    Raises PackageError when any blob's hash, the decoded size or the image's hash is wrong;
    the caller then deletes ``dst``: it must never be used.
    """
    check_extractable(part, payload)
    assert part.new_info is not None and part.new_info.size is not None
    bs = payload.manifest.block_size
    image = _Image(dst, part.new_info.size)
    try:
        for number, op in enumerate(part.operations, 1):
            if op.type in (ZERO, DISCARD):
                for extent in op.dst_extents:
                    image.zero(extent.start_block * bs, extent.num_blocks * bs)
            else:
                _replace(
                    source, payload, part.name, number, op, _ExtentWriter(dst, op.dst_extents, bs, image)
                )
            if progress:
                progress(sum(e.num_blocks for e in op.dst_extents) * bs)
        digest = image.finish()
    finally:
        image.stop()
    if digest != part.new_info.hash:
        raise PackageError(
            _("{partition}: the image does not match the hash in the payload's manifest").format(
                partition=part.name
            ),
            hint=_("The package is damaged: download it again. Nothing was flashed."),
        )


def _replace(
    source: PayloadSource, payload: Payload, name: str, number: int, op: Operation, out: _ExtentWriter
) -> None:
    hasher = hashlib.sha256()
    decoder = _decoder(op, name)
    pieces = source.read_at(payload.data_offset + op.data_offset, op.data_length)
    try:
        for piece in pieces:
            hasher.update(piece)
            if decoder is None:
                out.write(piece, name)
                continue
            data = decoder.decompress(piece, PIECE)
            while True:
                if data:
                    out.write(data, name)
                if decoder.eof or decoder.needs_input:
                    break
                data = decoder.decompress(b"", PIECE)
            if decoder.eof:
                break
        complete = decoder is None or decoder.eof
    except (OSError, EOFError, ValueError, lzma.LZMAError) as e:
        _drain(pieces, hasher)  # a corrupt blob: say whether its hash was already wrong
        _check_blob_hash(op, hasher, name, number)
        raise PackageError(
            _("{partition}: operation {number} holds data that cannot be decoded").format(
                partition=name, number=number
            ),
            hint=_("The package is damaged: download it again."),
        ) from e
    trailing = _drain(pieces, hasher) + len(getattr(decoder, "unused_data", b""))
    _check_blob_hash(op, hasher, name, number)
    if not complete or trailing:
        raise PackageError(
            _("{partition}: operation {number} holds data that cannot be decoded").format(
                partition=name, number=number
            ),
            hint=_("The package is damaged: download it again."),
        )


def _drain(pieces: Iterator[bytes], hasher: hashlib._Hash) -> int:
    count = 0
    for piece in pieces:
        hasher.update(piece)
        count += len(piece)
    return count


def _check_blob_hash(op: Operation, hasher: hashlib._Hash, name: str, number: int) -> None:
    if op.data_sha256 is not None and hasher.digest() != op.data_sha256:
        raise PackageError(
            _("{partition}: the data of operation {number} does not match its hash in the manifest").format(
                partition=name, number=number
            ),
            hint=_("The package is damaged: download it again. Nothing was flashed."),
        )


def extract_to_file(
    source: PayloadSource,
    payload: Payload,
    part: PartitionUpdate,
    path: os.PathLike[str] | str,
    *,
    progress: Progress | None = None,
) -> None:
    """Extract into ``path`` through a temporary name: the final name exists only once the
    image's hash is right."""
    final = os.fspath(path)
    temporary = final + ".part"
    try:
        with open(temporary, "w+b") as dst:
            extract_partition(source, payload, part, dst, progress=progress)
        os.replace(temporary, final)
    except OSError as e:
        _remove(temporary)
        if getattr(e, "filename", None) in (temporary, final) or e.errno in (errno.ENOSPC, errno.EDQUOT):
            from unlocker.stock.workspace import write_failed

            raise write_failed(Path(final), e) from e
        raise PackageError(
            _("cannot read the payload: {reason}").format(reason=e.strerror or e),
            hint=_("Check the file and the disk it is on."),
        ) from e
    except BaseException:
        _remove(temporary)
        raise


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)

"""Byte ranges between real files, in few system calls: what applying a sparse image to a file needs.

Every function takes file descriptors and absolute offsets, so neither file's position moves and no
Python file buffer is involved. Each uses the kernel's fastest route where the platform has it
(``copy_file_range``, punching holes) and falls back to large ``pread``/``pwrite`` calls otherwise,
so results are byte-identical everywhere; only the speed and the holes differ. Data already in
memory (a mapped download) is written with ``write_data``: on tmpfs copy_file_range goes through
splice and costs more CPU than a plain write, and only data that is looked at can be left as holes.
"""

from __future__ import annotations

import errno
import os

# Fallback copies move this much per system call.
BLOCK = 8 * 1024 * 1024
# A pattern is written from one block this big (it stays in the CPU's cache), sent this many
# times in one pwritev call (well under IOV_MAX, 1024 on Linux).
_PATTERN_BLOCK = 1024 * 1024
_VECTORS = 64
# Errors meaning "this route is not available here", not "the copy failed".
_UNSUPPORTED = frozenset(
    {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EPERM, errno.EBADF}
)
# Zero runs in written data become holes only from this long: a shorter one costs more system
# calls than its bytes cost to write. Holes start and end on a page of the file written to.
_PAGE = 4096
_MIN_HOLE_PAGES = 16
_HOLE_HEADS = bytes(8 * _MIN_HOLE_PAGES)
_ZEROS = bytes(1024 * 1024)
_FALLOC_FL_KEEP_SIZE = 0x01
_FALLOC_FL_PUNCH_HOLE = 0x02
_punch_hole = None  # resolved on first use: the C library's fallocate, or False where there is none


def copy_range(src_fd: int, src_offset: int, dst_fd: int, dst_offset: int, size: int) -> None:
    """Copy ``size`` bytes; EOFError when ``src_fd`` ends before them (the caller checked it does not)."""
    copy = getattr(os, "copy_file_range", None)
    while size and copy is not None:
        try:
            done = copy(src_fd, dst_fd, size, src_offset, dst_offset)
        except OSError as e:
            if e.errno not in _UNSUPPORTED:
                raise
            break  # e.g. two file systems on an older kernel: the plain route below still works
        if not done:
            raise EOFError(src_offset)
        src_offset += done
        dst_offset += done
        size -= done
    while size:
        data = pread(src_fd, min(size, BLOCK), src_offset)
        if not data:
            raise EOFError(src_offset)
        _pwrite_all(dst_fd, memoryview(data), dst_offset)
        src_offset += len(data)
        dst_offset += len(data)
        size -= len(data)


def fill_range(fd: int, offset: int, size: int, pattern: bytes) -> None:
    """Write ``size`` bytes of ``pattern`` repeated (``size`` a multiple of its length) at ``offset``.

    Zeros become a hole where the file system can make one: inside the file the old data is
    punched out, past its end the file is only extended (the new part reads back as zeros).
    Anything else is written from one block, repeated in each call.
    """
    if not pattern.strip(b"\0"):
        end = os.fstat(fd).st_size
        inside = max(0, min(size, end - offset))
        if not inside or _punch(fd, offset, inside):
            if offset + size > end:
                os.ftruncate(fd, offset + size)
            return
    block = memoryview(pattern * (min(size, _PATTERN_BLOCK) // len(pattern)))
    _write_repeated(fd, offset, offset + size, block)


def write_data(fd: int, offset: int, data: bytes | bytearray | memoryview) -> None:
    """Write ``data`` at ``offset``, its long runs of zero pages as holes, as ``cp --sparse=auto`` does.

    Inside the file the old data under such a run is punched out (where the file system cannot,
    zeros are written); past its end nothing is written and the file is only extended. Either way
    the range reads back as ``data``.
    """
    with memoryview(data) as whole, whole.cast("B") as view:
        end = os.fstat(fd).st_size
        done = 0
        for start, stop in [*_zero_runs(view, offset), (len(view), len(view))]:
            if start > done:
                _pwrite_all(fd, view[done:start], offset + done)
                end = max(end, offset + start)
            inside = max(0, min(stop, end - offset) - start)
            if inside and not _punch(fd, offset + start, inside):
                _pwrite_all(fd, view[start : start + inside], offset + start)
            done = stop
        if offset + len(view) > end:
            os.ftruncate(fd, offset + len(view))


def _zero_runs(view: memoryview, offset: int) -> list[tuple[int, int]]:
    """[start, stop) of each run of at least ``_MIN_HOLE_PAGES`` whole zero pages of the file
    (pages counted from ``offset``, where the view begins). Only pages whose first 8 bytes are
    zero are candidates, found with one strided copy (one cache line per page) and a substring
    search; see :func:`_zero_spans` for how a candidate run is checked."""
    # Here, not at the top: only the virtual phone writes data, and re costs a flash's start-up.
    import re

    not_zero = re.compile(b"[^\\0]")
    first = -offset % _PAGE
    pages = (len(view) - first) // _PAGE if len(view) > first else 0
    if pages < _MIN_HOLE_PAGES:
        return []
    with view[first : first + pages * _PAGE] as aligned, aligned.cast("Q") as words:
        heads = words[:: _PAGE // 8].tobytes()
    runs: list[tuple[int, int]] = []
    found = heads.find(_HOLE_HEADS)
    while found >= 0:
        after = not_zero.search(heads, found)
        end = after.start() if after else len(heads)
        # The zeros may begin or end inside a page's 8 bytes: only pages wholly inside count.
        for start, stop in _zero_spans(view, first, -(-found // 8), end // 8):
            runs.append((first + start * _PAGE, first + stop * _PAGE))
        found = heads.find(_HOLE_HEADS, end)
    return runs


def _zero_spans(view: memoryview, first: int, start: int, stop: int) -> list[tuple[int, int]]:
    """The runs of at least ``_MIN_HOLE_PAGES`` zero pages among pages [start, stop): the whole
    range in one comparison when it is zero (the usual case: padding, free space). Otherwise only
    every ``_MIN_HOLE_PAGES``-th page is looked at first, since any long enough run holds one, and
    a zero one is widened to its run; so pages that merely begin with zeros cost little."""

    def zero(a: int, b: int) -> bool:
        return _all_zero(view[first + a * _PAGE : first + b * _PAGE])

    if stop - start < _MIN_HOLE_PAGES:
        return []
    if zero(start, stop):
        return [(start, stop)]
    spans: list[tuple[int, int]] = []
    done = start  # pages before it belong to a span found already, or end at a non-zero page
    for probe in range(start + _MIN_HOLE_PAGES - 1, stop, _MIN_HOLE_PAGES):
        if probe < done or not zero(probe, probe + 1):
            continue
        low = probe
        while low > done and zero(low - 1, low):
            low -= 1
        high = probe + 1
        while high + _MIN_HOLE_PAGES <= stop and zero(high, high + _MIN_HOLE_PAGES):
            high += _MIN_HOLE_PAGES
        while high < stop and zero(high, high + 1):
            high += 1
        if high - low >= _MIN_HOLE_PAGES:
            spans.append((low, high))
        done = high
    return spans


def _all_zero(view: memoryview) -> bool:
    # bytes.startswith compares with memcmp straight from the view: no copy.
    return all(_ZEROS.startswith(view[i : i + len(_ZEROS)]) for i in range(0, len(view), len(_ZEROS)))


def _write_repeated(fd: int, offset: int, end: int, block: memoryview) -> None:
    writev = getattr(os, "pwritev", None)
    while end - offset >= len(block):
        count = min((end - offset) // len(block), _VECTORS)
        written = writev(fd, [block] * count, offset) if writev else pwrite(fd, block, offset)
        offset += written
        partial = written % len(block)
        if partial:
            # A short write stopped inside a block: finish that block, so the next starts the pattern.
            _pwrite_all(fd, block[partial:], offset)
            offset += len(block) - partial
    if offset < end:
        _pwrite_all(fd, block[: end - offset], offset)


def pread(fd: int, size: int, offset: int) -> bytes:
    """Up to ``size`` bytes from ``offset``. Windows has no pread: there the descriptor's position
    moves (a seek, then a read), which is fine for descriptors one thread uses at a time."""
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, size)


def pwrite(fd: int, data: bytes | memoryview, offset: int) -> int:
    """Write ``data`` (or its start) at ``offset``; as :func:`pread` where the system has no pwrite."""
    if hasattr(os, "pwrite"):
        return os.pwrite(fd, data, offset)
    os.lseek(fd, offset, os.SEEK_SET)
    return os.write(fd, data)


def _pwrite_all(fd: int, data: memoryview, offset: int) -> None:
    while data:
        written = pwrite(fd, data, offset)
        data = data[written:]
        offset += written


def _punch(fd: int, offset: int, size: int) -> bool:
    """Deallocate a range inside the file (it reads back as zeros); False where that is not possible."""
    global _punch_hole
    if _punch_hole is None:
        _punch_hole = _load_fallocate()
    if not _punch_hole:
        return False
    import ctypes

    if _punch_hole(fd, _FALLOC_FL_PUNCH_HOLE | _FALLOC_FL_KEEP_SIZE, offset, size) == 0:
        return True
    if ctypes.get_errno() in _UNSUPPORTED:
        return False
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))


def _load_fallocate():  # noqa: ANN202 - a ctypes function, or False
    # Python's os has posix_fallocate (allocate) but no hole punching; Linux's C library has it.
    # glibc's 64-bit offset variant is fallocate64; musl has only fallocate, 64-bit everywhere.
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fallocate = getattr(libc, "fallocate64", None) or libc.fallocate
    except (OSError, AttributeError, ImportError, TypeError):  # TypeError: Windows has no CDLL(None)
        return False
    fallocate.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64)
    fallocate.restype = ctypes.c_int
    return fallocate

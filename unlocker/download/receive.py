"""Copying one HTTP answer's body into the ``.part`` file at the network's pace.

requests' ``iter_content`` hands out a new bytes object per chunk, copied twice on the way
(http.client's read and urllib3's buffer). Here the body is read straight into reused buffers
(``readinto`` on the connection's own response object), each buffer is written with one call and
then hashed in a second thread (:class:`~unlocker.download.hashing.BackgroundHash`). Read sizes
adapt to the network: large on a fast link (few calls per MiB), small on a slow one (so progress
still moves every fraction of a second).
"""

from __future__ import annotations

import http.client
from collections.abc import Callable, Iterator
from time import monotonic
from typing import BinaryIO

import requests

from unlocker.download.hashing import BackgroundHash

ReadInto = Callable[[memoryview], int]

FIRST_READ = 256 * 1024
SMALLEST_READ = 64 * 1024
#: A buffer whose read and write took longer than this halves the next read (progress should move
#: a few times a second); one filled in less than QUICK doubles it, up to the buffer's size.
SLOW = 0.5
QUICK = 0.1


class TooLong(Exception):
    """The server sent more bytes than the file has."""


def body_reader(r: requests.Response) -> ReadInto:
    """A ``readinto`` for the body of ``r``: 0 at its end; network failures raised as requests' own
    exceptions, so they are described like any other failed request."""
    raw = getattr(r.raw, "_fp", None)  # urllib3 keeps http.client's response here
    encoding = r.headers.get("Content-Encoding", "").strip().lower()
    if isinstance(raw, http.client.HTTPResponse) and encoding in ("", "identity"):
        return _Direct(raw)
    # A compressed answer (or a urllib3 without that attribute): requests decodes it.
    return _Chunks(r.iter_content(FIRST_READ))


class _Direct:
    """http.client's ``readinto``: no copy beyond the kernel's, chunked transfer still decoded."""

    def __init__(self, raw: http.client.HTTPResponse) -> None:
        self.raw = raw

    def __call__(self, view: memoryview) -> int:
        try:
            return self.raw.readinto(view)
        except TimeoutError as e:
            raise requests.exceptions.ReadTimeout(e) from e
        except http.client.IncompleteRead as e:  # a chunked answer cut off mid-chunk
            raise requests.exceptions.ChunkedEncodingError(e) from e
        except (OSError, http.client.HTTPException) as e:
            raise requests.exceptions.ConnectionError(e) from e


class _Chunks:
    """``readinto`` over requests' chunks, for answers that need decoding."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.rest = memoryview(b"")

    def __call__(self, view: memoryview) -> int:
        if not self.rest:
            self.rest = memoryview(next(self.chunks, b""))
        n = min(len(view), len(self.rest))
        view[:n] = self.rest[:n]
        self.rest = self.rest[n:]
        return n


def copy_body(
    read_into: ReadInto,
    out: BinaryIO,
    feed: BackgroundHash,
    have: int,
    total: int | None,
    progress: Callable[[int, int | None], None] | None = None,
) -> int:
    """Append the body to ``out`` and queue it for hashing; return the byte count then held.

    Raises TooLong as soon as the count would pass ``total``: an endless or wrong answer stops
    there, not after gigabytes at the checksum."""
    size = min(FIRST_READ, feed.size)
    while True:
        buf = feed.take()
        view = memoryview(buf)
        began = monotonic()
        try:
            n = read_into(view[:size])
        except BaseException:
            feed.give_back(buf)
            raise
        if not n:
            feed.give_back(buf)
            return have
        if total is not None and have + n > total:
            feed.give_back(buf)
            raise TooLong(total)
        _write_all(out, view[:n])
        feed.submit(buf, n)
        have += n
        if progress:
            progress(have, total)
        took = monotonic() - began
        if took > SLOW:
            size = max(SMALLEST_READ, size // 2)
        elif took < QUICK and n == size:
            size = min(feed.size, size * 2)


def _write_all(out: BinaryIO, data: memoryview) -> None:
    # An unbuffered file may take part of a large write; what is left goes in the next call.
    while data:
        written = out.write(data)
        data = data[written if written is not None else len(data) :]

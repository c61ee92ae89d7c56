"""Sending a ROM zip to a recovery in sideload mode: ``sideload-host`` and the legacy ``sideload``.

``sideload-host:SIZE:BLOCKSIZE`` (Android 5 and later; AOSP adb client/commandline.cpp
``adb_sideload_install``, recovery minadbd/fuse_sideload): the recovery asks for a block by
writing its number as 8 ASCII digits, we answer with exactly that block (the last one short),
straight from the file; it asks for blocks more than once and out of order (the end of the zip
first), and ends with ``DONEDONE`` or ``FAILFAIL``. An AOSP recovery says DONEDONE whatever the
install did, so DONEDONE means "it has the package", not "it is installed". An old recovery
may drop the link instead of saying DONEDONE once it has everything: that is "result unknown",
never success, and never a failure either. The legacy ``sideload:SIZE`` (Android 4.4 and older)
takes the whole file in one stream and answers ``OKAY`` or ``FAIL``.

The file must not change while it is served (the recovery checks every block it reads twice).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from unlocker import commands
from unlocker.adb.client import AdbClient
from unlocker.adb.message import (
    BLOCK_REQUEST_SIZE,
    EXIT_FAILURE,
    EXIT_SUCCESS,
    MAX_BLOCKS,
    SIDELOAD_HOST_BLOCK_SIZE,
    parse_block_request,
)
from unlocker.errors import (
    DeviceDisconnected,
    PreflightError,
    ProtocolError,
    ServiceRefused,
    SideloadFailed,
    TransportTimeout,
)
from unlocker.i18n import _

DONE = "done"  # the recovery said DONEDONE (or OKAY): it has the package
FAILED = "failed"  # it said FAILFAIL (or FAIL)
UNKNOWN = "unknown"  # it took every block, then went away without a word

#: Seconds a recovery may stay silent between requests: it verifies and installs in between.
SIDELOAD_WAIT = 600.0
_LEGACY_CHUNK = 64 * 1024

Progress = Callable[[int], None]  # bytes of blocks sent for the first time


@dataclass
class SideloadResult:
    outcome: str
    size: int
    block_size: int
    blocks: int  # blocks in the file
    distinct_blocks: int  # of those, how many the recovery asked for
    requests: int  # blocks sent, repeats included
    bytes_sent: int

    @property
    def transfer_ratio(self) -> float:
        """Bytes sent / file size: about 1.0 with a block cache, 2 and more without."""
        return self.bytes_sent / self.size if self.size else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "outcome": self.outcome,
            "size": self.size,
            "block_size": self.block_size,
            "blocks": self.blocks,
            "distinct_blocks": self.distinct_blocks,
            "requests": self.requests,
            "bytes_sent": self.bytes_sent,
        }


def sideload_host(
    client: AdbClient,
    path: Path,
    *,
    block_size: int = SIDELOAD_HOST_BLOCK_SIZE,
    wait: float = SIDELOAD_WAIT,
    progress: Progress | None = None,
) -> SideloadResult:
    """Serve ``path`` to a recovery in sideload mode until it says it is done.

    Raises SideloadFailed (FAILFAIL), DeviceDisconnected (link lost before every block was
    asked for), TransportTimeout (silent for ``wait`` seconds), ServiceRefused (not in sideload).
    """
    with open(path, "rb", buffering=0) as f:
        size = os.fstat(f.fileno()).st_size
        blocks = -(-size // block_size)
        if not size or blocks > MAX_BLOCKS:
            raise PreflightError(
                _("{file} is {size} bytes; a recovery takes 1 byte to {limit} bytes").format(
                    file=path.name, size=size, limit=MAX_BLOCKS * block_size
                )
            )
        result = SideloadResult(UNKNOWN, size, block_size, blocks, 0, 0, 0)
        seen = bytearray(blocks)
        read_block = _block_reader(f, block_size)
        try:
            stream = client.open(f"sideload-host:{size}:{block_size}")
        except ServiceRefused as e:
            raise ServiceRefused(
                _("{phone}: the recovery refused the sideload").format(phone=client.name),
                hint=_(
                    "Choose 'Apply from ADB' on the phone again. A recovery of Android 4.4 or older "
                    "knows only the old way: {command}."
                ).format(command=commands.show(commands.SIDELOAD, "--legacy", path.name)),
            ) from e
        try:
            while True:
                request = stream.read_exact(BLOCK_REQUEST_SIZE, timeout=wait)
                if len(request) < BLOCK_REQUEST_SIZE:
                    return _ended_without_word(client, result, path)
                if request == EXIT_SUCCESS:
                    result.outcome = DONE
                    return result
                if request == EXIT_FAILURE:
                    result.outcome = FAILED
                    raise _rejected(client, path)
                block = parse_block_request(request)
                if block is None or block >= blocks:
                    raise ProtocolError(
                        _("{phone}: the recovery asked for {request}, which is not a block of {file}").format(
                            phone=client.name, request=repr(request), file=path.name
                        ),
                        hint=_("Choose 'Apply from ADB' on the phone again, then retry."),
                    )
                offset = block * block_size
                data = read_block(offset, min(block_size, size - offset))
                stream.write(data, timeout=wait)
                result.requests += 1
                result.bytes_sent += len(data)
                if not seen[block]:
                    seen[block] = 1
                    result.distinct_blocks += 1
                    if progress:
                        progress(len(data))
        except DeviceDisconnected as e:
            if result.distinct_blocks == blocks:
                return _ended_without_word(client, result, path)
            raise DeviceDisconnected(
                _(
                    "{phone}: the connection dropped during the sideload ({sent} of {blocks} blocks sent)"
                ).format(phone=client.name, sent=result.distinct_blocks, blocks=blocks),
                hint=_(
                    "The install did not finish. Check the cable, choose 'Apply from ADB' on the phone "
                    "again and rerun {command}."
                ).format(command=commands.show(commands.SIDELOAD)),
            ) from e
        except TransportTimeout as e:
            raise TransportTimeout(
                _(
                    "{phone}: the recovery asked for nothing for {seconds} s ({sent} of {blocks} blocks sent)"
                ).format(phone=client.name, seconds=f"{wait:g}", sent=result.distinct_blocks, blocks=blocks),
                hint=_(
                    "Look at the phone's screen: it may be waiting for an answer, or stuck. "
                    "UNLOCKER_SIDELOAD_TIMEOUT sets how long to wait."
                ),
            ) from e
        finally:
            stream.close()


def sideload_legacy(
    client: AdbClient, path: Path, *, wait: float = SIDELOAD_WAIT, progress: Progress | None = None
) -> SideloadResult:
    """``sideload:SIZE`` for recoveries of Android 4.4 and older: the whole file, then OKAY or FAIL."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        result = SideloadResult(UNKNOWN, size, _LEGACY_CHUNK, -(-size // _LEGACY_CHUNK), 0, 0, 0)
        stream = client.open(f"sideload:{size}")
        try:
            while chunk := f.read(_LEGACY_CHUNK):
                stream.write(chunk, timeout=wait)
                result.requests += 1
                result.distinct_blocks += 1
                result.bytes_sent += len(chunk)
                if progress:
                    progress(len(chunk))
            status = stream.read_exact(4, timeout=wait)
        except DeviceDisconnected as e:
            raise DeviceDisconnected(
                _("{phone}: the connection dropped during the sideload ({sent} of {size} bytes sent)").format(
                    phone=client.name, sent=result.bytes_sent, size=size
                ),
                hint=_("The install did not start. Check the cable and retry."),
            ) from e
        finally:
            stream.close()
    if status == b"OKAY":
        result.outcome = DONE
        return result
    if status == b"FAIL":
        result.outcome = FAILED
        raise _rejected(client, path)
    return _ended_without_word(client, result, path)


def _ended_without_word(client: AdbClient, result: SideloadResult, path: Path) -> SideloadResult:
    if result.distinct_blocks < result.blocks:
        raise DeviceDisconnected(
            _("{phone}: the recovery stopped the sideload ({sent} of {blocks} blocks sent)").format(
                phone=client.name, sent=result.distinct_blocks, blocks=result.blocks
            ),
            hint=_("Read the message on the phone's screen: it may have refused {file}.").format(
                file=path.name
            ),
        )
    result.outcome = UNKNOWN
    return result


def _rejected(client: AdbClient, path: Path) -> SideloadFailed:
    return SideloadFailed(
        _("{phone}: the recovery could not install {file}").format(phone=client.name, file=path.name),
        hint=_(
            "Read the message on the phone's screen: the package may be for another phone, damaged, "
            "or need a newer recovery or firmware."
        ),
    )


def _block_reader(f: BinaryIO, block_size: int) -> Callable[[int, int], bytes | memoryview]:
    """Read ``size`` bytes at ``offset`` without moving a shared position (pread where there is
    one), into one reused buffer where the system can (preadv): what it returns is only valid
    until the next call, which is enough, since a block is sent before the next is asked for."""
    fd = f.fileno()
    if hasattr(os, "preadv"):
        view = memoryview(bytearray(block_size))

        def preadv(offset: int, size: int) -> memoryview:
            got = os.preadv(fd, [view[:size]], offset)
            while got < size:  # preadv may return less near the end of a growing read
                more = os.preadv(fd, [view[got:size]], offset + got)
                if not more:
                    raise _changed(f)
                got += more
            return view[:size]

        return preadv
    if hasattr(os, "pread"):

        def pread(offset: int, size: int) -> bytes:
            data = os.pread(fd, size, offset)
            while len(data) < size:
                more = os.pread(fd, size - len(data), offset + len(data))
                if not more:
                    raise _changed(f)
                data += more
            return data

        return pread

    def seek_read(offset: int, size: int) -> bytes:
        f.seek(offset)
        data = f.read(size)
        if len(data) < size:
            raise _changed(f)
        return data

    return seek_read


def _changed(f: BinaryIO) -> PreflightError:
    return PreflightError(
        _("{file} got shorter while it was being sent").format(file=getattr(f, "name", "?")),
        hint=_("Do not change the file during a sideload; run the command again."),
    )

"""The sha256 of the install's files, before anything is written: on every core, each file once.

Checking a kit is the longest wait before the first write (a ROM zip is a gigabyte or more), and
nothing may be written before every file is verified, so the check has to be as fast as the
computer allows. Hashing is CPU-bound and hashlib releases the GIL for large updates, as file
reads do: several files are hashed at the same time, one per core, and a large file is hashed
by a second thread while the first reads on into a few reused buffers (the downloader's
BackgroundHash; no new buffer per read).
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Iterable
from pathlib import Path

from unlocker.download.hashing import BackgroundHash, cpus_available, sha256_of

# Small enough to stay in the CPU's cache between the read and the hash, large enough that the
# per-call overhead does not count.
CHUNK = 1024 * 1024
# Files at least this big get a hashing thread beside the reading; smaller ones are read and hashed in turn.
READ_AHEAD_FROM = 16 * CHUNK
_BUFFERS = 3  # in flight between the reading and the hashing thread


def sha256_file(path: Path) -> str:
    """The file's sha256, as lowercase hex."""
    if cpus_available() > 1 and os.stat(path).st_size >= READ_AHEAD_FROM:
        return _sha256_read_ahead(path)
    return sha256_of(path)


def _sha256_read_ahead(path: Path) -> str:
    """This thread reads into a few reused buffers while a second one hashes the ones before."""
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as f, BackgroundHash(digest, buffers=_BUFFERS, size=CHUNK) as hasher:
        while True:
            buffer = hasher.take()
            count = f.readinto(buffer)
            if not count:
                hasher.give_back(buffer)
                break
            hasher.submit(buffer, count)
    return digest.hexdigest()


def sha256_files(paths: Iterable[Path]) -> dict[Path, str]:
    """Each distinct file's sha256 (hashed once), the files side by side on the computer's cores.

    The first error (a file that cannot be read) is raised once every file is done.
    """
    todo = sorted(set(paths), key=lambda p: os.stat(p).st_size, reverse=True)
    workers = min(len(todo), cpus_available())
    if workers <= 1:
        return {path: sha256_file(path) for path in todo}
    jobs: queue.SimpleQueue[Path] = queue.SimpleQueue()
    for path in todo:  # the largest first, so the others fill the cores while it runs
        jobs.put(path)
    results: dict[Path, str | BaseException] = {}

    def work() -> None:
        while True:
            try:
                path = jobs.get_nowait()
            except queue.Empty:
                return
            try:
                results[path] = sha256_file(path)
            except BaseException as e:  # raised by the caller's thread below
                results[path] = e

    threads = [threading.Thread(target=work, name="sha256", daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for path in todo:
        outcome = results[path]
        if isinstance(outcome, BaseException):
            raise outcome
    return {path: str(results[path]) for path in todo}

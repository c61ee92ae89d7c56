"""fetch(): resumable, verified, mirror-aware downloads of one artifact."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests

from unlocker import commands, filelock
from unlocker.download.hashing import BackgroundHash, PartHash, sha256_of
from unlocker.download.receive import TooLong, body_reader, copy_body
from unlocker.errors import DownloadError, UsageError
from unlocker.http import failure_reason
from unlocker.http import session as http_session
from unlocker.i18n import _

CONNECT_TIMEOUT = 15.0
READ_TIMEOUT = 60.0  # per read: a stalled mirror is abandoned, what arrived is kept
ATTEMPTS_PER_URL = 3

ProgressCallback = Callable[[int, int | None], None]  # (bytes so far, total or None)


@dataclass(frozen=True)
class Artifact:
    name: str  # file name to store it under
    sha256: str
    urls: Sequence[str] = field(default_factory=tuple)  # first the main URL, then mirrors
    size: int | None = None


def check_name(name: str) -> str:
    """``name`` when it is a plain file name (it stays inside the download folder); UsageError
    otherwise: no folders, no ``..``, nothing absolute."""
    bad = (
        not name
        or name in (".", "..")
        or any(sep in name for sep in ("/", "\\", "\0"))
        or Path(name).is_absolute()
        or Path(name).drive
        or len(name.encode("utf-8", errors="replace")) > 255
    )
    if bad:
        raise UsageError(
            _("'{name}' is not a plain file name; downloads stay inside the chosen folder").format(name=name),
            hint=_("Pass a name without folders or '..' with {option}.").format(option="--name"),
        )
    return name


def check_url(url: str) -> str:
    """``url`` when it is an http(s) address with a host; UsageError otherwise."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        parts, port_ok = None, False
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname or not port_ok:
        raise UsageError(_("'{url}' is not an http(s) address").format(url=url))
    return url


def fetch(
    artifact: Artifact,
    dest_dir: Path,
    *,
    local_files: Sequence[Path] = (),
    progress: ProgressCallback | None = None,
    session: requests.Session | None = None,
    read_timeout: float = READ_TIMEOUT,
) -> Path:
    """Return the path of a verified copy of ``artifact`` in ``dest_dir``, downloading only what is missing.

    A partial download is kept as ``NAME.part`` and resumed next time. A file with the right name
    but the wrong checksum is never returned.
    """
    expected = artifact.sha256.lower()
    if len(expected) != 64 or any(c not in "0123456789abcdef" for c in expected):
        raise DownloadError(
            _("{file}: the index gives no valid sha256, so it cannot be verified").format(file=artifact.name),
            hint=_("Refresh the index ({command}) or report the entry.").format(
                command=commands.show(commands.INDEX_UPDATE)
            ),
        )
    check_name(artifact.name)
    for url in artifact.urls:
        check_url(url)
    final = dest_dir / artifact.name
    try:
        dest_dir.mkdir(parents=True, exist_ok=True)
        # One download per file: a second identical command would write the same .part.
        with filelock.holding(
            dest_dir / f".{artifact.name}.lock", lambda holder: _busy(artifact.name, holder)
        ):
            return _fetch_locked(artifact, final, expected, local_files, progress, session, read_timeout)
    except OSError as e:
        raise DownloadError(
            _("{file}: cannot write in {folder}: {reason}").format(
                file=artifact.name, folder=dest_dir, reason=e.strerror or e
            ),
            hint=_("Choose another folder with {option}, or free some space.").format(option="--output-dir"),
        ) from e


def _busy(name: str, holder: dict[str, object]) -> DownloadError:
    return DownloadError(
        _("{file} is being downloaded by another unlocker command: {command} (process {pid})").format(
            file=name, command=holder.get("command", "?"), pid=holder.get("pid", "?")
        ),
        hint=_("Let it finish, then run this command again: it will find the finished file."),
    )


def _fetch_locked(
    artifact: Artifact,
    final: Path,
    expected: str,
    local_files: Sequence[Path],
    progress: ProgressCallback | None,
    session: requests.Session | None,
    read_timeout: float,
) -> Path:
    if final.exists() and sha256_of(final) == expected:
        return final
    for candidate in local_files:
        if candidate.is_file() and sha256_of(candidate) == expected:
            tmp = final.with_suffix(final.suffix + ".copy")
            shutil.copyfile(candidate, tmp)
            os.replace(tmp, final)
            return final
    if not artifact.urls:
        raise DownloadError(
            _("{file}: no download address known and no matching local file").format(file=artifact.name),
            hint=_("Pass a copy you already have with {option}.").format(option="--from FILE"),
        )
    own = session is None
    http = session if session is not None else http_session(timeout=(CONNECT_TIMEOUT, read_timeout))
    failures: list[str] = []
    part = final.with_suffix(final.suffix + ".part")
    try:
        for url in artifact.urls:
            hasher = PartHash(part)
            try:
                _download_one(http, url, part, artifact, progress, read_timeout, hasher)
            except _SourceFailed as e:
                failures.append(f"{_host(url)}: {e}")
                continue
            digest = hasher.hexdigest()
            if digest != expected:
                part.unlink(missing_ok=True)  # a wrong file must not be resumed from
                mismatch = _("checksum mismatch (got {got}..., want {want}...)").format(
                    got=digest[:12], want=expected[:12]
                )
                failures.append(f"{_host(url)}: {mismatch}")
                continue
            os.replace(part, final)
            return final
    finally:
        if own:
            http.close()
    raise DownloadError(
        _("{file}: every source failed: {failures}").format(file=artifact.name, failures="; ".join(failures)),
        hint=_(
            "Run the same command again to resume, try another network, or get the file by other means "
            "and pass it with {option}."
        ).format(option="--from FILE"),
    )


# Failures that are the address's, not the network's: no retry.
_HOPELESS = (
    requests.TooManyRedirects,
    requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
)


class _SourceFailed(Exception):
    """This address cannot deliver the file now; the message (for people) says why."""


class _Incomplete(Exception):
    """The server closed the connection before the whole file arrived (worth resuming)."""


def _download_one(
    http: requests.Session,
    url: str,
    part: Path,
    artifact: Artifact,
    progress: ProgressCallback | None,
    read_timeout: float,
    hasher: PartHash,
) -> None:
    """Fill ``part`` from ``url``, resuming after drops; raise _SourceFailed when this source is hopeless.

    ``hasher`` follows every byte written, so the checksum is known when the last one arrives."""
    last_error = _("no attempt")
    for attempt in range(ATTEMPTS_PER_URL):
        have = part.stat().st_size if part.exists() else 0
        if artifact.size is not None and have == artifact.size:
            return
        if artifact.size is not None and have > artifact.size:
            part.unlink()
            have = 0
        # The file's own bytes: Range offsets count them, and they need no decoding on the way.
        headers = {"Accept-Encoding": "identity"}
        if have:
            headers["Range"] = f"bytes={have}-"
        try:
            with http.get(url, headers=headers, stream=True, timeout=(CONNECT_TIMEOUT, read_timeout)) as r:
                if r.status_code == 416 and have:
                    return  # we already hold every byte the server has; the checksum decides
                if r.status_code >= 400:
                    raise _SourceFailed(_("HTTP {status}").format(status=r.status_code))
                resumed = r.status_code == 206
                if have and not resumed:
                    have = 0  # the server ignored Range: start over rather than corrupt the file
                hasher.start(have)
                total = _total_size(r, have, artifact.size)
                announced = _total_size(r, have, None)
                if artifact.size is not None and announced is not None and announced > artifact.size:
                    raise _SourceFailed(
                        _("the server offers {got} bytes, but the file has {size}").format(
                            got=announced, size=artifact.size
                        )
                    )
                try:
                    # Unbuffered: each buffer goes to the file in one call, with no copy on the way.
                    with (
                        open(part, "ab" if resumed else "wb", buffering=0) as out,
                        BackgroundHash(hasher) as feed,
                    ):
                        have = copy_body(body_reader(r), out, feed, have, total, progress)
                except TooLong:
                    part.unlink(missing_ok=True)
                    raise _SourceFailed(
                        _("the server sent more than the expected {size} bytes").format(size=total)
                    ) from None
                if total is not None and have < total:
                    raise _Incomplete(
                        _("connection closed after {have} of {total} bytes").format(have=have, total=total)
                    )
                return
        except _SourceFailed:
            raise
        except _Incomplete as e:
            last_error = str(e)
        except requests.RequestException as e:
            if isinstance(e, _HOPELESS):
                raise _SourceFailed(failure_reason(e)) from e  # trying again cannot help
            last_error = failure_reason(e)
        except (ValueError, UnicodeError):
            # e.g. a redirect to an address requests cannot even parse: a message, never a class name
            last_error = _("the server's answer could not be followed")
        time.sleep(min(2**attempt, 5) * 0.1)
    kept = part.stat().st_size if part.exists() else 0
    raise _SourceFailed(_("{problem} (kept {count} bytes to resume)").format(problem=last_error, count=kept))


def _total_size(r: requests.Response, have: int, known: int | None) -> int | None:
    if known is not None:
        return known
    if r.headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity"):
        return None  # the length counts compressed bytes, not the file's
    length = r.headers.get("Content-Length")
    if length and length.isdigit():
        return int(length) + (have if r.status_code == 206 else 0)
    return None


def _host(url: str) -> str:
    return requests.utils.urlparse(url).netloc or url

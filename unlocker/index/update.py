"""Live refresh: fetch the newest builds from the ROM projects' public APIs into the user cache.

Sources (declared per ROM in roms/*.yaml ``builds_api``; base URL overridable by its env var):
- ``lineageos_updater``: LineageOS's updater API. v2 (``.../api/v2/devices/CODENAME/builds``)
  lists every file of a build with size and sha256; v1 (``.../api/v1/CODENAME/nightly/0``, used
  when the base ends in ``/api/v1``) has no sha256, so each build's ``<url>.sha256`` is fetched.
- ``crdroid_ota``: crDroid's per-device OTA JSON (``BASE/CODENAME.json``).
Every build must have a URL, a size and a sha256; an answer with any build lacking one is refused
whole, and the previous cache file stays untouched.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from unlocker import settings
from unlocker.errors import UpdateError
from unlocker.http import failure_reason
from unlocker.http import session as http_session
from unlocker.i18n import _
from unlocker.index.cache import CachedBuilds, store
from unlocker.index.loader import Index
from unlocker.index.model import Build, BuildFile, Rom

TIMEOUT = (10.0, 30.0)  # connect, read
MAX_BODY = 8 * 1024 * 1024  # an API answer for one device is a few KiB; refuse anything absurd
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class UpdateResult:
    rom: str
    codename: str
    builds: int = 0
    path: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "rom": self.rom,
            "codename": self.codename,
            "ok": self.error is None,
            "builds": self.builds,
            "cache_file": self.path,
            "error": self.error,
        }


def api_base(rom: Rom) -> str:
    api = rom.builds_api or {}
    env = api.get("env")
    # The index validator checks that ``env`` is one of unlocker.settings.VARIABLES.
    override = settings.get(env) if env else None
    return (override or api["url"]).rstrip("/")


class _Http:
    """GETs for one refresh: the shared session (TLS always verified) unless a caller passes one."""

    def __init__(self, session: requests.Session | None = None) -> None:
        self.own = session is None
        self.session = session if session is not None else http_session(timeout=TIMEOUT)

    def close(self) -> None:
        if self.own:
            self.session.close()

    def get(self, url: str, what: str) -> bytes:
        """GET with this module's timeouts (also on a session passed in) and a size limit."""
        try:
            with self.session.get(url, timeout=TIMEOUT, stream=True) as r:
                if r.status_code != 200:
                    raise UpdateError(
                        _("{what}: {url} answered HTTP {status}{server_says}").format(
                            what=what, url=url, status=r.status_code, server_says=_server_says(r)
                        )
                    )
                body = bytearray()
                for chunk in r.iter_content(64 * 1024):
                    body.extend(chunk)
                    if len(body) > MAX_BODY:
                        raise UpdateError(
                            _("{what}: {url} sent more than {limit} bytes; refused").format(
                                what=what, url=url, limit=MAX_BODY
                            )
                        )
                return bytes(body)
        except requests.exceptions.SSLError as e:
            raise UpdateError(
                _("{what}: TLS verification failed for {url}").format(what=what, url=url)
            ) from e
        except requests.exceptions.Timeout as e:
            raise UpdateError(_("{what}: {url} did not answer in time").format(what=what, url=url)) from e
        except requests.exceptions.RequestException as e:
            raise UpdateError(
                _("{what}: cannot reach {url} ({reason})").format(
                    what=what, url=url, reason=failure_reason(e)
                )
            ) from e

    def get_json(self, url: str, what: str) -> Any:
        body = self.get(url, what)
        try:
            return json.loads(body)
        except ValueError as e:
            raise UpdateError(
                _("{what}: {url} did not answer valid JSON ({problem})").format(what=what, url=url, problem=e)
            ) from e


def _server_says(r: requests.Response) -> str:
    """The API's own error text, when it sent one (it is the server's words, shown verbatim)."""
    try:
        data = r.json()
    except ValueError:
        return ""
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return f" ({data['error']})"
    return ""


def _need(entry: Any, key: str, what: str, where: str) -> Any:
    if not isinstance(entry, dict) or entry.get(key) in (None, ""):
        raise UpdateError(
            _("{what}: {where} has no '{field}'; refusing the whole answer (nothing was changed)").format(
                what=what, where=where, field=key
            )
        )
    return entry[key]


def _checked_file(
    artefact: str, entry: dict[str, Any], what: str, where: str, sha256: Any = None
) -> BuildFile:
    url = str(_need(entry, "url", what, where))
    filename = str(entry.get("filename") or url.rstrip("/").rsplit("/", 1)[-1])
    size = _need(entry, "size", what, where)
    digest = sha256 if sha256 is not None else entry.get("sha256")
    if not digest:
        raise UpdateError(
            _(
                "{what}: {where} ({file}) comes without a sha256, so it could never be verified; "
                "refusing the whole answer (nothing was changed)"
            ).format(what=what, where=where, file=filename)
        )
    digest = str(digest).strip().lower()
    if not _SHA256.match(digest):
        raise UpdateError(
            _("{what}: {where} ({file}) has a malformed sha256 {sha256}; refused").format(
                what=what, where=where, file=filename, sha256=repr(digest[:70])
            )
        )
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise UpdateError(
            _("{what}: {where} ({file}) has an invalid size {size}; refused").format(
                what=what, where=where, file=filename, size=repr(size)
            )
        )
    if not url.startswith(("https://", "http://")):
        raise UpdateError(
            _("{what}: {where} has a URL that is not http(s): {url}; refused").format(
                what=what, where=where, url=repr(url[:80])
            )
        )
    return BuildFile(artefact, filename, url, size, digest)


def _artefact_for(filename: str) -> str:
    """LineageOS file names: lineage-*.zip is the ROM, NAME.img the image for partition NAME."""
    if filename.endswith(".zip"):
        return "rom_zip"
    return filename.rsplit(".", 1)[0]


def _date(value: Any) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, dt.timezone.utc).date().isoformat()
    return None if value in (None, "") else str(value)


def _build_no(number: int) -> str:
    return _("build {number}").format(number=number)


def fetch_lineage(codename: str, base: str, http: _Http) -> tuple[str, list[Build]]:
    what = _("{rom} builds for {codename}").format(rom="LineageOS", codename=codename)
    if base.endswith("/v1"):
        url = f"{base}/{codename}/nightly/0"
        data = http.get_json(url, what)
        entries = data.get("response") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise UpdateError(
                _("{what}: {url} did not answer a v1 build list ('{field}' missing)").format(
                    what=what, url=url, field="response"
                )
            )
        builds = []
        for i, entry in enumerate(entries):
            where = _build_no(i + 1)
            file_url = str(_need(entry, "url", what, where))
            sha = _sidecar_sha256(file_url, http, what, where)
            f = _checked_file("rom_zip", entry, what, where, sha256=sha)
            builds.append(
                Build(
                    "lineageos",
                    codename,
                    str(entry.get("version") or ""),
                    _date(entry.get("datetime")),
                    entry.get("romtype"),
                    (f,),
                    url,
                )
            )
        return url, builds
    url = f"{base}/devices/{codename}/builds"
    data = http.get_json(url, what)
    if not isinstance(data, list):
        raise UpdateError(
            _("{what}: {url} did not answer a v2 build list (expected a JSON list)").format(
                what=what, url=url
            )
        )
    builds = []
    for i, entry in enumerate(data):
        where = _build_no(i + 1)
        files_raw = _need(entry, "files", what, where)
        if not isinstance(files_raw, list) or not files_raw:
            raise UpdateError(_("{what}: {where} lists no files; refused").format(what=what, where=where))
        files = []
        for j, f in enumerate(files_raw):
            name = str(f.get("filename") or "") if isinstance(f, dict) else ""
            artefact = "rom_zip" if j == 0 else _artefact_for(name)
            file_where = _("build {number}, file {file}").format(number=i + 1, file=j + 1)
            files.append(_checked_file(artefact, f, what, file_where))
        date = entry.get("date") or _date(entry.get("datetime"))
        builds.append(
            Build(
                "lineageos",
                codename,
                str(entry.get("version") or ""),
                date,
                entry.get("type"),
                tuple(files),
                url,
            )
        )
    return url, builds


def _sidecar_sha256(file_url: str, http: _Http, what: str, where: str) -> str:
    sidecar = f"{file_url}.sha256"
    try:
        text = http.get(sidecar, what).decode("utf-8", "replace")
    except UpdateError as e:
        raise UpdateError(
            _(
                "{what}: {where} comes without a sha256 and its checksum file could not be read ({problem}); "
                "refusing the whole answer (nothing was changed)"
            ).format(what=what, where=where, problem=e.message)
        ) from e
    token = text.split()[0].lower() if text.split() else ""
    if not _SHA256.match(token):
        raise UpdateError(_("{what}: {url} does not hold a sha256; refused").format(what=what, url=sidecar))
    return token


def fetch_crdroid(codename: str, base: str, http: _Http) -> tuple[str, list[Build]]:
    what = _("{rom} builds for {codename}").format(rom="crDroid", codename=codename)
    url = f"{base}/{codename}.json"
    data = http.get_json(url, what)
    entries = data.get("response") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise UpdateError(
            _("{what}: {url} is not {rom} OTA data ('{field}' missing)").format(
                what=what, url=url, rom="crDroid", field="response"
            )
        )
    builds = []
    for i, entry in enumerate(entries):
        where = _build_no(i + 1)
        record = dict(entry) if isinstance(entry, dict) else {}
        record["url"] = record.get("download")
        f = _checked_file("rom_zip", record, what, where)
        builds.append(
            Build(
                "crdroid",
                codename,
                str(record.get("version") or ""),
                _date(record.get("timestamp")),
                record.get("buildtype"),
                (f,),
                url,
            )
        )
    return url, builds


FETCHERS: dict[str, Callable[[str, str, _Http], tuple[str, list[Build]]]] = {
    "lineageos_updater": fetch_lineage,
    "crdroid_ota": fetch_crdroid,
}


def refresh(rom: Rom, codename: str, *, session: requests.Session | None = None) -> UpdateResult:
    """Fetch one ROM's builds for one device and store them; errors are reported, not raised."""
    if not rom.builds_api:
        return UpdateResult(rom.id, codename, error=_("{rom} declares no builds API").format(rom=rom.name))
    api_codename = rom.devices.get(codename, {}).get("builds_codename") or codename
    client = _Http(session)
    try:
        url, builds = FETCHERS[rom.builds_api["kind"]](api_codename, api_base(rom), client)
        if not builds:
            raise UpdateError(
                _("{rom} lists no builds for {codename} at {url}").format(
                    rom=rom.name, codename=api_codename, url=url
                )
            )
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
        path = store(CachedBuilds(rom.id, codename, now, url, tuple(builds)))
    except UpdateError as e:
        return UpdateResult(rom.id, codename, error=e.message)
    except OSError as e:
        return UpdateResult(rom.id, codename, error=_("cannot write the cache: {problem}").format(problem=e))
    finally:
        client.close()
    return UpdateResult(rom.id, codename, builds=len(builds), path=str(path))


def targets(index: Index, codename: str | None, rom_ids: tuple[str, ...] = ()) -> list[tuple[Rom, str]]:
    """(ROM, codename) pairs to refresh: one device's ROMs, or with codename None every maintained one."""
    roms = [r for r in index.roms.values() if r.builds_api and (not rom_ids or r.id in rom_ids)]
    pairs = []
    for rom in roms:
        if codename is not None:
            if rom.supports(codename):
                pairs.append((rom, codename))
            continue
        for name, support in rom.devices.items():
            # --all skips devices the project itself marks unmaintained: they get no new builds.
            if support.get("maintained", True) is not False:
                pairs.append((rom, name))
    return pairs

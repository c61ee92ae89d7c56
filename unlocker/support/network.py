"""`unlocker doctor --network`: can this computer reach the hosts unlocker needs?

The Mi account and Mi unlock servers (for `unlocker login` and `unlocker unlock`) and the ROM
projects' build lists and download hosts. Requests go through :func:`unlocker.http.session`, so
the user's proxy settings (HTTPS_PROXY, ...) apply exactly as they will for the real commands.
Any HTTP answer, even an error page, means the host is reachable; the check says which failed
and why, in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

from unlocker import http
from unlocker.i18n import N_, _
from unlocker.support.doctor import FAIL, OK, TITLES, Check

TITLES["network"] = N_("network")

#: Connect and read timeouts (seconds) for one probe: doctor should answer within a minute.
PROBE_TIMEOUT = (10.0, 15.0)

#: What each kind of host is for, as people read it.
PURPOSES = {
    "mi-account": N_("Mi account (login)"),
    "mi-unlock": N_("Mi unlock server"),
    "rom-builds": N_("ROM build list"),
    "rom-downloads": N_("ROM downloads"),
}


@dataclass(frozen=True)
class Target:
    purpose: str  # a key of PURPOSES
    url: str

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc or self.url


def targets() -> list[Target]:
    """The hosts unlocker talks to, from the settings (UNLOCKER_MI_*, ROM API overrides) and the index."""
    from unlocker import settings
    from unlocker.errors import UnlockerError
    from unlocker.index import load_index
    from unlocker.index.update import api_base
    from unlocker.xiaomi.session import REGION_HOSTS, account_base_url, load_session

    found = [Target("mi-account", account_base_url())]
    unlock = settings.get("UNLOCKER_MI_UNLOCK_URL")
    if unlock is None:
        try:
            region = load_session().region
        except UnlockerError:
            region = "global"
        unlock = REGION_HOSTS.get(region, REGION_HOSTS["global"])
    found.append(Target("mi-unlock", unlock))
    index = load_index()
    for rom in sorted(index.roms.values(), key=lambda r: r.id):
        if rom.builds_api:
            found.append(Target("rom-builds", api_base(rom)))
        for build in rom.builds:
            for file in build.files:
                for url in (file.url, *file.mirrors):
                    found.append(Target("rom-downloads", url))
    unique: dict[tuple[str, str], Target] = {}
    for target in found:
        unique.setdefault((target.purpose, target.host), target)
    return list(unique.values())


def probe(target: Target) -> str | None:
    """None when the host answered (any HTTP status), else why not, in words."""
    import requests

    session = http.session(timeout=PROBE_TIMEOUT)
    try:
        session.head(target.url, allow_redirects=False).close()
    except requests.RequestException as e:
        return http.failure_reason(e)
    finally:
        session.close()
    return None


def check_network(chosen: Sequence[Target] | None = None) -> list[Check]:
    """One finding per host, probed in parallel."""
    hosts = list(chosen if chosen is not None else targets())
    with ThreadPoolExecutor(max_workers=min(8, max(1, len(hosts)))) as pool:
        results = list(pool.map(probe, hosts))
    checks = []
    for target, failure in zip(hosts, results, strict=True):
        purpose = _(PURPOSES[target.purpose])
        if failure is None:
            checks.append(
                Check(
                    "network",
                    OK,
                    detail=_("{purpose}: {host} reachable").format(purpose=purpose, host=target.host),
                )
            )
        else:
            checks.append(
                Check(
                    "network",
                    FAIL,
                    detail=_("{purpose}: {host} unreachable ({reason})").format(
                        purpose=purpose, host=target.host, reason=failure
                    ),
                    fix=_(
                        "Check the connection and the proxy settings (HTTPS_PROXY); where this host is "
                        "blocked, a VPN or another network may reach it."
                    ),
                )
            )
    return checks

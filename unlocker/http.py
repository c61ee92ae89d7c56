"""The one way unlocker talks HTTP: a requests session with TLS verified, proxies from the
environment, one User-Agent and default timeouts.

Used by the firmware index update, the downloader and the Mi account and unlock clients.
``requests`` is imported here only when a session is made, so commands that never touch the
network do not pay for it at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from unlocker import __version__

if TYPE_CHECKING:
    import requests

USER_AGENT = f"unlocker/{__version__}"
#: (connect, read) seconds: a filtered network fails the connect quickly, a slow one may read slowly.
DEFAULT_TIMEOUT: tuple[float, float] = (15.0, 30.0)


def session(
    *,
    user_agent: str | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    cookies: dict[str, str] | None = None,
) -> requests.Session:
    """A new session. TLS verification cannot be turned off through it; proxies come from
    HTTPS_PROXY / HTTP_PROXY / NO_PROXY as requests reads them (``trust_env``)."""
    import requests

    class _Session(requests.Session):
        def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("timeout", timeout)
            kwargs["verify"] = True  # never off, whatever a caller passes
            return super().request(method, url, *args, **kwargs)

    http = _Session()
    http.trust_env = True
    http.verify = True
    http.headers["User-Agent"] = user_agent or USER_AGENT
    if cookies:
        http.cookies.update(cookies)
    return http

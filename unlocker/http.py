"""The one way unlocker talks HTTP: a requests session with TLS verified, proxies from the
environment, one User-Agent and default timeouts.

Used by the firmware index update, the downloader and the Mi account and unlock clients, which
also describe failed requests here (:func:`failure_reason`): in words, never by exception class.
``requests`` is imported here only when a session is made, so commands that never touch the
network do not pay for it at start-up.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from unlocker import __version__
from unlocker.i18n import _

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


_UNREACHABLE = frozenset(
    getattr(errno, name)
    for name in ("ENETUNREACH", "EHOSTUNREACH", "ENETDOWN", "EHOSTDOWN")
    if hasattr(errno, name)
)


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and everything behind it (requests wraps urllib3, which wraps the socket error)."""
    seen: set[int] = set()
    stack: list[BaseException] = [error]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        behind = (current.__cause__, current.__context__, getattr(current, "reason", None), *current.args)
        stack.extend(c for c in behind if isinstance(c, BaseException))


def failure_reason(error: requests.RequestException) -> str:
    """A short description of a failed request, e.g. "connection refused" or "timed out"."""
    from requests import exceptions as rx

    if isinstance(error, rx.SSLError):
        return _("TLS failure: the certificate could not be verified")
    if isinstance(error, rx.Timeout):  # before ConnectionError: ConnectTimeout is both
        return _("timed out")
    if isinstance(error, rx.ProxyError):
        return _("the proxy failed or refused the connection")
    if isinstance(error, (rx.MissingSchema, rx.InvalidSchema, rx.InvalidURL, rx.URLRequired)):
        return _("not a valid http(s) address")
    if isinstance(error, rx.ConnectionError):
        causes = list(_causes(error))
        if any(isinstance(c, ConnectionRefusedError) for c in causes):
            return _("connection refused")
        if any(isinstance(c, socket.gaierror) for c in causes):
            return _("the server's name could not be resolved (DNS)")
        if any(isinstance(c, ConnectionResetError) for c in causes):
            return _("the connection was reset")
        if any(isinstance(c, OSError) and c.errno in _UNREACHABLE for c in causes):
            return _("the network or the server is unreachable")
        return _("connection failed or dropped")
    if isinstance(error, rx.TooManyRedirects):
        return _("too many redirects")
    if isinstance(error, (rx.ChunkedEncodingError, rx.ContentDecodingError)):
        return _("the answer was cut off or garbled")
    return _("the request failed")

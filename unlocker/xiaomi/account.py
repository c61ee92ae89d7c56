"""Mi account login (reference 2.1): password login, captcha and second-factor detection, service tokens.

Every account-server JSON body starts with ``&&&START&&&``; it is stripped before parsing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.parse
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from unlocker import commands, http
from unlocker.errors import LoginError
from unlocker.http import failure_reason
from unlocker.i18n import N_, _
from unlocker.xiaomi.session import AccountSession, account_base_url

if TYPE_CHECKING:
    import requests

_PREFIX = "&&&START&&&"


def _json(resp: requests.Response) -> dict:
    text = resp.text
    if text.startswith(_PREFIX):
        text = text[len(_PREFIX) :]
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as e:  # RecursionError: absurdly nested JSON
        raise LoginError(
            _("the Mi account server sent an unexpected answer (HTTP {status})").format(
                status=resp.status_code
            ),
            hint=_("Try again later, or from another network if Xiaomi's sites are filtered where you are."),
        ) from e
    if not isinstance(data, dict):
        raise LoginError(
            _("the Mi account server sent an answer of an unexpected shape"),
            hint=_("Try again later, or from another network if Xiaomi's sites are filtered where you are."),
        )
    return data


def _session(cookies: dict[str, str] | None = None) -> requests.Session:
    """A session for the account server: the shared User-Agent and timeouts, TLS verified."""
    return http.session(cookies=cookies)


def _unreachable(error: requests.RequestException) -> LoginError:
    return LoginError(
        _("cannot reach the Mi account server: {reason}").format(reason=failure_reason(error)),
        hint=_("Check the connection; Xiaomi's sites may be filtered on this network."),
    )


def _server_failed(resp: requests.Response) -> LoginError:
    return LoginError(
        _("Xiaomi's account service failed (HTTP {status})").format(status=resp.status_code),
        hint=_("This is a problem on Xiaomi's side, not with your account: try again later."),
    )


def _get(session: requests.Session, url: str, *, signed: bool = False, **kw: Any) -> requests.Response:
    """GET; ``signed``: the URL itself carries a credential (clientSign, a ticket), so it must not be shown."""
    import requests

    try:
        resp = session.get(url, **kw)
    except requests.RequestException as e:
        if signed:
            # The cause's text repeats the URL with its credential; --debug would print it. Drop it.
            raise _unreachable(e) from None
        raise _unreachable(e) from e
    if resp.status_code >= 500:
        raise _server_failed(resp)
    return resp


def _post(session: requests.Session, url: str, data: dict[str, str]) -> requests.Response:
    import requests

    try:
        resp = session.post(url, data=data)
    except requests.RequestException as e:
        raise _unreachable(e) from e
    if resp.status_code >= 500:
        raise _server_failed(resp)
    return resp


def _login_again() -> str:
    return _("Run {command} again.").format(command=commands.show(commands.LOGIN))


Ask = Callable[[str, list[str]], str]  # (question, choices or []) -> answer typed by the user


def login_with_password(
    user: str, password: str, region: str | None = None, ask: Ask | None = None
) -> AccountSession:
    """Log in; raises LoginError with what to do for wrong credentials, captcha or second factor."""
    base = account_base_url()
    device_id = "wb_" + str(uuid.uuid4())
    session = _session(cookies={"deviceId": device_id})
    first = _json(_get(session, f"{base}/pass/serviceLogin", params={"sid": "unlockApi", "_json": "true"}))
    form = {
        "user": user,
        "hash": hashlib.md5(password.encode()).hexdigest().upper(),  # the protocol's, not a password store
        "sid": "unlockApi",
        "_json": "true",
        "_sign": first.get("_sign", ""),
        "qs": first.get("qs", ""),
        "callback": first.get("callback", ""),
    }
    if first.get("serviceParam"):
        form["serviceParam"] = str(first["serviceParam"])
    login_url = f"{base}/pass/serviceLoginAuth2"
    answer = _login_answer(_json(_post(session, login_url, form)), base)
    if answer.get("notificationUrl"):
        url = urllib.parse.urljoin(base, str(answer["notificationUrl"]))
        if ask is None:
            raise LoginError(
                _("Xiaomi wants to verify this login by SMS or e-mail: {url}").format(url=url),
                hint=_(
                    "Run {command} in a terminal to enter the code, or confirm in a browser at that address."
                ).format(command=commands.show(commands.LOGIN)),
            )
        second_factor(session, base, url, ask)
        # As the public clients do (migate login/verify.py): the verified login is completed by
        # asking the login service again; only that answer carries passToken and userId.
        answer = _login_answer(_json(_post(session, login_url, form)), base)
        if answer.get("notificationUrl"):
            raise LoginError(
                _("Xiaomi still asks to verify this login after the code was accepted"),
                hint=_in_browser(url),
            )
    pass_token = answer.get("passToken") or session.cookies.get("passToken")
    user_id = answer.get("userId") or session.cookies.get("userId")
    if not pass_token or not user_id:
        raise LoginError(
            _("login did not succeed (code {code})").format(code=answer.get("code")),
            hint=_("Check the account and try again."),
        )
    detected = region or detect_region(str(user_id), str(pass_token), device_id)
    return AccountSession(str(user_id), str(pass_token), device_id, detected)


def _login_answer(answer: dict, base: str) -> dict:
    """The serviceLoginAuth2 answer, unless it says the password is wrong or a captcha is due."""
    code = answer.get("code")
    if code == 70016:
        raise LoginError(
            _("Xiaomi says the account or password is wrong"), hint=_("Check them and try again.")
        )
    if code == 87001 or answer.get("captchaUrl"):
        url = urllib.parse.urljoin(base, str(answer.get("captchaUrl") or "/pass/serviceLogin"))
        raise LoginError(
            _("Xiaomi demands a captcha for this login: {url}").format(url=url),
            hint=_("Open that address in a browser and log in there once, then run {command} again.").format(
                command=commands.show(commands.LOGIN)
            ),
        )
    return answer


def _in_browser(url: str) -> str:
    return _("Confirm the login in a browser at {url}, then run {command} again.").format(
        url=url, command=commands.show(commands.LOGIN)
    )


def detect_region(user_id: str, pass_token: str, device_id: str) -> str:
    """The account's region decides the unlock host; anything unknown goes to the global host."""
    session = _session(cookies={"userId": user_id, "passToken": pass_token, "deviceId": device_id})
    try:
        data = _json(_get(session, f"{account_base_url()}/pass/user/login/region"))
        code = str((data.get("data") or {}).get("region", "")).upper()
    except LoginError:
        return "global"
    europe = {
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "EU",
        "GB",
        "NO",
        "IS",
        "LI",
    }
    return {"CN": "china", "IN": "india", "RU": "russia"}.get(code) or (
        "europe" if code in europe else "global"
    )


def service_login(session: AccountSession) -> tuple[str, dict[str, str]]:
    """Exchange the stored passToken for a fresh (ssecurity, unlock-service cookies)."""
    base = account_base_url()
    cookies = {"userId": session.user_id, "passToken": session.pass_token, "deviceId": session.device_id}
    account = _session(cookies=cookies)
    data = _json(_get(account, f"{base}/pass/serviceLogin", params={"sid": "unlockApi", "_json": "true"}))
    ssecurity, nonce, location = data.get("ssecurity"), data.get("nonce"), data.get("location")
    if not ssecurity or nonce is None or not location:
        raise LoginError(_("the stored Mi session is no longer accepted"), hint=_login_again())
    sign = base64.b64encode(hashlib.sha1(f"nonce={nonce}&{ssecurity}".encode()).digest()).decode()
    resp = _get(
        account, f"{location}&clientSign={urllib.parse.quote(sign)}", signed=True, allow_redirects=False
    )
    service_token = resp.cookies.get("serviceToken") or account.cookies.get("serviceToken")
    if not service_token:
        raise LoginError(_("Xiaomi did not hand out an unlock service token"), hint=_login_again())
    unlock_cookies = {"serviceToken": service_token, "userId": session.user_id}
    for name in ("unlockApi_slh", "unlockApi_ph"):
        if resp.cookies.get(name):
            unlock_cookies[name] = resp.cookies[name]
    return str(ssecurity), unlock_cookies


# identity/list `options`: which second factors the account offers (labels translated where asked).
_FACTORS = {4: ("PH", N_("phone (SMS)")), 8: ("EM", N_("e-mail"))}
_MAX_CODE_TRIES = 3


# Notifications the ticket flow cannot handle: they need the account page itself (public clients
# stop there too).
_BROWSER_ONLY = ("callback", "SetEmail", "BindAppealOrSafePhone")
# Redirects the verify answer's location starts; the public clients follow two.
_VERIFY_HOPS = 2
_REDIRECTS = (301, 302, 303, 307, 308)


def second_factor(session: requests.Session, base: str, notification_url: str, ask: Ask) -> None:
    """Xiaomi's ticket flow: list the factors, send a code, verify it, follow the returned location.

    Afterwards the session's cookies mark this login as verified; the caller then posts the
    login form again to obtain passToken and userId (as the public clients do).
    """
    in_browser = _in_browser(notification_url)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(notification_url).query))
    context = query.get("context")
    if not context or any(marker in notification_url for marker in _BROWSER_ONLY):
        raise LoginError(_("Xiaomi asks for a step this tool cannot do in a terminal"), hint=in_browser)
    params = {"sid": query.get("sid", "unlockApi"), "supportedMask": "0", "context": context}
    listing = _json(_get(session, f"{base}/identity/list", params=params))
    offered = [
        (kind, _(label)) for kind, label in (_FACTORS[o] for o in listing.get("options", []) if o in _FACTORS)
    ]
    if not offered:
        raise LoginError(
            _("Xiaomi asks for a second factor but offers none this tool can use"), hint=in_browser
        )
    kind, label = offered[0]
    if len(offered) > 1:
        choice = ask(_("Where should Xiaomi send the code?"), [shown for _kind, shown in offered])
        kind, label = next(((k, shown) for k, shown in offered if shown == choice), offered[0])
    quota = _json(
        _post(
            session,
            f"{base}/identity/pass/sms/userQuota",
            {"addressType": kind, "contentType": "160040", "_json": "true"},
        )
    )
    if str(quota.get("info", "")) == "0":
        raise LoginError(
            _("Xiaomi will not send more codes to your {address} today").format(address=label),
            hint=_("Try again tomorrow."),
        )
    channel = "Phone" if kind == "PH" else "Email"
    sent = _json(_post(session, f"{base}/identity/auth/send{channel}Ticket", {"_json": "true"}))
    if sent.get("code") == 87001:
        raise LoginError(_("Xiaomi demands a captcha before sending the code"), hint=in_browser)
    if sent.get("code") != 0:
        raise LoginError(
            _("Xiaomi could not send the code (code {code})").format(code=sent.get("code")),
            hint=_("Try again later."),
        )
    verify = f"{base}/identity/auth/verify{channel}"
    for _attempt in range(_MAX_CODE_TRIES):
        ticket = ask(_("Code Xiaomi sent to your {address}").format(address=label), []).strip()
        answer = _json(_post(session, verify, {"ticket": ticket, "trust": "true", "_json": "true"}))
        if answer.get("code") == 0 and answer.get("location"):
            _follow(session, urllib.parse.urljoin(base, str(answer["location"])))
            return
        if answer.get("code") != 70014:
            raise LoginError(
                _("Xiaomi did not accept the verification (code {code})").format(code=answer.get("code"))
            )
    raise LoginError(
        _("the code was wrong three times"),
        hint=_("Run {command} again to get a new code.").format(command=commands.show(commands.LOGIN)),
    )


def _follow(session: requests.Session, url: str) -> None:
    """GET the verify answer's location and the address it redirects to, keeping their cookies."""
    for _hop in range(_VERIFY_HOPS):
        resp = _get(session, url, signed=True, allow_redirects=False)
        target = resp.headers.get("Location")
        if resp.status_code not in _REDIRECTS or not target:
            return
        url = urllib.parse.urljoin(url, target)

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

import requests

from unlocker import __version__
from unlocker.errors import LoginError
from unlocker.xiaomi.session import AccountSession, account_base_url

TIMEOUT = (15.0, 30.0)
USER_AGENT = f"unlocker/{__version__}"
_PREFIX = "&&&START&&&"


def _json(resp: requests.Response) -> dict:
    text = resp.text
    if text.startswith(_PREFIX):
        text = text[len(_PREFIX) :]
    try:
        data = json.loads(text)
    except ValueError:
        raise LoginError(
            f"the Mi account server sent an unexpected answer (HTTP {resp.status_code})",
            hint="Try again later, or from another network if Xiaomi's sites are filtered where you are.",
        ) from None
    if not isinstance(data, dict):
        raise LoginError("the Mi account server sent an answer of an unexpected shape")
    return data


def _http() -> requests.Session:
    http = requests.Session()
    http.headers["User-Agent"] = USER_AGENT
    return http


def _get(http: requests.Session, url: str, **kw: object) -> requests.Response:
    try:
        return http.get(url, timeout=TIMEOUT, **kw)  # type: ignore[arg-type]
    except requests.RequestException as e:
        raise LoginError(
            f"cannot reach the Mi account server ({e.__class__.__name__})",
            hint="Check the connection; Xiaomi's sites may be filtered on this network.",
        ) from None


Ask = Callable[[str, list[str]], str]  # (question, choices or []) -> answer typed by the user


def login_with_password(
    user: str, password: str, region: str | None = None, ask: Ask | None = None
) -> AccountSession:
    """Log in; raises LoginError with what to do for wrong credentials, captcha or second factor."""
    base = account_base_url()
    http = _http()
    device_id = "wb_" + str(uuid.uuid4())
    http.cookies.set("deviceId", device_id)
    first = _json(_get(http, f"{base}/pass/serviceLogin", params={"sid": "unlockApi", "_json": "true"}))
    form = {
        "user": user,
        "hash": hashlib.md5(password.encode()).hexdigest().upper(),  # the protocol's, not a password store
        "sid": "unlockApi",
        "_json": "true",
        "_sign": first.get("_sign", ""),
        "qs": first.get("qs", ""),
        "callback": first.get("callback", ""),
    }
    try:
        resp = http.post(f"{base}/pass/serviceLoginAuth2", data=form, timeout=TIMEOUT)
    except requests.RequestException as e:
        raise LoginError(f"cannot reach the Mi account server ({e.__class__.__name__})") from None
    answer = _json(resp)
    code = answer.get("code")
    if code == 70016:
        raise LoginError("Xiaomi says the account or password is wrong", hint="Check them and try again.")
    if code == 87001 or answer.get("captchaUrl"):
        url = urllib.parse.urljoin(base, str(answer.get("captchaUrl") or "/pass/serviceLogin"))
        raise LoginError(
            f"Xiaomi demands a captcha for this login: {url}",
            hint="Open that address in a browser and log in there once, then run `unlocker login` again.",
        )
    if answer.get("notificationUrl"):
        url = urllib.parse.urljoin(base, str(answer["notificationUrl"]))
        if ask is None:
            raise LoginError(
                f"Xiaomi wants to verify this login by SMS or e-mail: {url}",
                hint="Run `unlocker login` in a terminal to enter the code, or confirm in a browser at that address.",
            )
        second_factor(http, base, url, ask)
    pass_token = answer.get("passToken") or http.cookies.get("passToken")
    user_id = answer.get("userId") or http.cookies.get("userId")
    if not pass_token or not user_id:
        raise LoginError(f"login did not succeed (code {code})", hint="Check the account and try again.")
    detected = region or detect_region(str(user_id), str(pass_token), device_id)
    return AccountSession(str(user_id), str(pass_token), device_id, detected)


def detect_region(user_id: str, pass_token: str, device_id: str) -> str:
    """The account's region decides the unlock host; anything unknown goes to the global host."""
    http = _http()
    cookies = {"userId": user_id, "passToken": pass_token, "deviceId": device_id}
    try:
        data = _json(_get(http, f"{account_base_url()}/pass/user/login/region", cookies=cookies))
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
    http = _http()
    cookies = {"userId": session.user_id, "passToken": session.pass_token, "deviceId": session.device_id}
    data = _json(
        _get(http, f"{base}/pass/serviceLogin", params={"sid": "unlockApi", "_json": "true"}, cookies=cookies)
    )
    ssecurity, nonce, location = data.get("ssecurity"), data.get("nonce"), data.get("location")
    if not ssecurity or nonce is None or not location:
        raise LoginError("the stored Mi session is no longer accepted", hint="Run `unlocker login` again.")
    sign = base64.b64encode(hashlib.sha1(f"nonce={nonce}&{ssecurity}".encode()).digest()).decode()
    resp = _get(
        http, f"{location}&clientSign={urllib.parse.quote(sign)}", cookies=cookies, allow_redirects=False
    )
    service_token = resp.cookies.get("serviceToken") or http.cookies.get("serviceToken")
    if not service_token:
        raise LoginError(
            "Xiaomi did not hand out an unlock service token", hint="Run `unlocker login` again."
        )
    unlock_cookies = {"serviceToken": service_token, "userId": session.user_id}
    for name in ("unlockApi_slh", "unlockApi_ph"):
        if resp.cookies.get(name):
            unlock_cookies[name] = resp.cookies[name]
    return str(ssecurity), unlock_cookies


# identity/list `options`: which second factors the account offers.
_FACTORS = {4: ("PH", "phone (SMS)"), 8: ("EM", "e-mail")}
_MAX_CODE_TRIES = 3


def second_factor(http: requests.Session, base: str, notification_url: str, ask: Ask) -> None:
    """Xiaomi's ticket flow: list the factors, send a code, verify it, follow the returned location.

    On success the session's cookies hold passToken and userId, as after a plain login.
    """
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(notification_url).query))
    listing = _json(_get(http, f"{base}/identity/list", params=query))
    offered = [_FACTORS[o] for o in listing.get("options", []) if o in _FACTORS]
    if not offered:
        raise LoginError(
            "Xiaomi asks for a second factor but offers none this tool can use",
            hint=f"Confirm the login in a browser at {notification_url}, then run `unlocker login` again.",
        )
    kind, label = offered[0]
    if len(offered) > 1:
        choice = ask("Where should Xiaomi send the code?", [lbl for _, lbl in offered])
        kind, label = next(((k, lbl) for k, lbl in offered if lbl == choice), offered[0])
    quota = _json(
        _post(
            http,
            f"{base}/identity/pass/sms/userQuota",
            {"addressType": kind, "contentType": "160040", "_json": "true"},
        )
    )
    if str(quota.get("info", "")) == "0":
        raise LoginError(f"Xiaomi will not send more codes to your {label} today", hint="Try again tomorrow.")
    sent = _json(
        _post(
            http, f"{base}/identity/auth/send{'Phone' if kind == 'PH' else 'Email'}Ticket", {"_json": "true"}
        )
    )
    if sent.get("code") == 87001:
        raise LoginError(
            "Xiaomi demands a captcha before sending the code",
            hint=f"Confirm the login in a browser at {notification_url}, then run `unlocker login` again.",
        )
    if sent.get("code") != 0:
        raise LoginError(f"Xiaomi could not send the code (code {sent.get('code')})", hint="Try again later.")
    verify = f"{base}/identity/auth/verify{'Phone' if kind == 'PH' else 'Email'}"
    for _ in range(_MAX_CODE_TRIES):
        ticket = ask(f"Code Xiaomi sent to your {label}", []).strip()
        answer = _json(_post(http, verify, {"ticket": ticket, "trust": "true", "_json": "true"}))
        if answer.get("code") == 0 and answer.get("location"):
            _get(http, urllib.parse.urljoin(base, str(answer["location"])))
            return
        if answer.get("code") != 70014:
            raise LoginError(f"Xiaomi did not accept the verification (code {answer.get('code')})")
    raise LoginError("the code was wrong three times", hint="Run `unlocker login` again to get a new code.")


def _post(http: requests.Session, url: str, data: dict[str, str]) -> requests.Response:
    try:
        return http.post(url, data=data, timeout=TIMEOUT)
    except requests.RequestException as e:
        raise LoginError(f"cannot reach the Mi account server ({e.__class__.__name__})") from None

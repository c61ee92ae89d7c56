"""Client of Xiaomi's unlock server (reference 2.2): nonce, device/clear, ahaUnlock.

ahaUnlock is never retried automatically: every answer carrying unlock data counts against the
account's monthly quota.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string
from dataclasses import dataclass
from typing import Any

from unlocker import commands, http, settings
from unlocker.errors import UnlockServerError
from unlocker.http import failure_reason
from unlocker.i18n import _
from unlocker.xiaomi.codes import explain
from unlocker.xiaomi.crypto import decrypt_response, sign_request

USER_AGENT = "XiaomiPCSuite"  # the server expects the PC suite's agent
SID = "miui_unlocktool_client"
CLIENT_VERSION = "7.6.727.43"
CONNECT_TIMEOUT = 15.0
READ_TIMEOUT = 60.0


def timeout() -> tuple[float, float]:
    """(connect, read) seconds; UNLOCKER_MI_TIMEOUT lets tests (and very slow links) choose the read timeout."""
    return (CONNECT_TIMEOUT, settings.get_float("UNLOCKER_MI_TIMEOUT", READ_TIMEOUT))


@dataclass
class ServerAnswer:
    code: int
    description: str
    data: dict[str, Any]
    encrypt_data: str | None

    def __repr__(self) -> str:
        return f"ServerAnswer(code={self.code}, description={self.description!r})"


class UnlockServer:
    def __init__(self, base_url: str, ssecurity: str, cookies: dict[str, str], device_id: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._ssecurity = ssecurity
        self._http = http.session(user_agent=USER_AGENT, timeout=timeout(), cookies=cookies)
        self.pc_id = hashlib.md5(device_id.encode()).hexdigest()
        self.uid = cookies.get("userId", "")

    def close(self) -> None:
        self._http.close()

    def _post(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        import requests

        form = sign_request(path, params, self._ssecurity)
        try:
            resp = self._http.post(self.base_url + path, data=form)
        except requests.Timeout as e:
            raise UnlockServerError(
                _("Xiaomi's unlock server did not answer in time"),
                hint=_("Try again later or from another network."),
            ) from e
        except requests.RequestException as e:
            raise UnlockServerError(
                _("cannot reach Xiaomi's unlock server: {reason}").format(reason=failure_reason(e)),
                hint=_("Check the connection; try --region if your account is regional."),
            ) from e
        if resp.status_code >= 500:
            raise UnlockServerError(
                _("Xiaomi's unlock server failed (HTTP {status})").format(status=resp.status_code),
                hint=_("Try again later."),
            )
        if resp.status_code >= 400:
            raise UnlockServerError(
                _("Xiaomi's unlock server refused the request (HTTP {status})").format(
                    status=resp.status_code
                ),
                hint=_("Your session may have expired: run {command} again.").format(
                    command=commands.show(commands.LOGIN)
                ),
            )
        return decrypt_response(resp.text, self._ssecurity)

    def nonce(self) -> str:
        r = "".join(random.choices(string.ascii_lowercase, k=16))
        answer = self._post("/api/v2/nonce", {"r": r, "sid": SID})
        if answer.get("code") == 0 and answer.get("nonce"):
            return str(answer["nonce"])
        code = _code(answer)
        if code in (None, 0):
            raise UnlockServerError(
                _("Xiaomi's unlock server gave no nonce"), hint=_("Try again later."), code=code
            )
        explanation, next_step = explain(code, str(answer.get("descEN") or answer.get("description") or ""))
        raise UnlockServerError(
            _("Xiaomi's unlock server gave no nonce (code {code}): {explanation}").format(
                code=code, explanation=explanation
            ),
            code=code,
            hint=next_step,
        )

    def _data(self, obj: dict[str, Any]) -> str:
        return base64.b64encode(json.dumps(obj).encode()).decode()

    def user_info(self) -> dict[str, Any]:
        """The account's unlock standing (shouldApply / applyStatus); informative, never decisive."""
        params = {
            "data": self._data(
                {
                    "uid": self.uid,
                    "clientId": "1",
                    "clientVersion": CLIENT_VERSION,
                    "language": "en",
                    "pcId": self.pc_id,
                    "region": "",
                }
            ),
            "nonce": self.nonce(),
            "sid": SID,
        }
        return self._post("/api/v3/unlock/userinfo", params)

    def device_clear(self, product: str) -> bool | None:
        """Whether unlocking wipes the phone (cleanOrNot 1); None when the server does not say."""
        params = {
            "appId": "1",
            "data": self._data(
                {"product": product, "clientId": "1", "clientVersion": CLIENT_VERSION, "pcId": self.pc_id}
            ),
            "nonce": self.nonce(),
            "sid": SID,
        }
        answer = self._post("/api/v2/unlock/device/clear", params)
        clean = answer.get("cleanOrNot")
        return None if clean is None else int(clean) == 1

    def aha_unlock(self, product: str, token: str) -> ServerAnswer:
        """One question to the server: unlock data, or why not (20036 = waiting period)."""
        data = {
            "clientId": "2",
            "clientVersion": CLIENT_VERSION,
            "language": "en",
            "operate": "unlock",
            "pcId": self.pc_id,
            "region": "",
            "uid": self.uid,
            "deviceToken": token,
            "deviceInfo": {"boardVersion": "", "deviceName": "", "product": product, "socId": ""},
        }
        answer = self._post(
            "/api/v3/ahaUnlock", {"appId": "1", "data": self._data(data), "nonce": self.nonce(), "sid": SID}
        )
        code = _code(answer)
        if code is None:
            code = -1
        data_field = answer.get("data") if isinstance(answer.get("data"), dict) else {}
        return ServerAnswer(
            code,
            str(answer.get("descEN") or answer.get("description") or ""),
            data_field,
            answer.get("encryptData"),
        )


def _code(answer: dict[str, Any]) -> int | None:
    """The answer's numeric ``code``; None when it is missing or not a number."""
    try:
        return int(answer["code"])
    except (KeyError, TypeError, ValueError):
        return None

"""A loopback stand-in for Xiaomi's account and unlock servers, speaking the same signing and encryption.

It signs unlock data with tests/keys/unlock_test_private.pem, so the virtual phone accepts it.
``mode`` decides how ahaUnlock answers.

The second factor follows the public clients' sequence (migate ``login/verify.py`` and
``login/terminal.py``): serviceLoginAuth2 answers with a ``notificationUrl``; the client lists
the factors (``/identity/list``, which sets the identity session cookie), checks the quota,
has a code sent and verifies it; the verify answer's ``location`` starts a redirect chain whose
end marks the login as verified; then the client posts serviceLoginAuth2 *again*, and only that
answer carries ``passToken`` and ``userId``. Nothing earlier in the chain hands them out.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import threading
import time
import urllib.parse
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from unlocker.xiaomi.crypto import encrypt_response, verify_and_decrypt_request

SSECURITY = base64.b64encode(b"0123456789abcdef").decode()
PASS_TOKEN = "V1:passtoken-SECRET-abcdef0123456789"
SERVICE_TOKEN = "service-token-SECRET-9876543210"
USER_ID = "1234567890"
PASSWORD = "correct horse battery staple"
PRIVATE_KEY = Path(__file__).resolve().parent.parent / "keys" / "unlock_test_private.pem"
PREFIX = "&&&START&&&"
TICKET = "123456"
CONTEXT = "ctx1"  # the second-factor context the first login answer hands out
IDENTITY_SESSION = "identity-session-abc"  # set by /identity/list; the ticket calls need it
TRUST = "trust-after-verification"  # set at the end of the verification chain
TWO_FACTOR_USER = "twofactor"


class FakeMi:
    def __init__(self) -> None:
        self.mode = "wait"
        self.code = 20036
        self.wait_hour = 71
        self.clean = 1
        self.calls: list[str] = []
        self.tokens_seen: list[str] = []
        self.stale_token: str | None = None
        self.ticket_sent_to: str | None = None
        self.should_apply = True  # userinfo's shouldApply; the public clients warn when it is false
        self.nonce_code = 0  # a non-zero code makes /api/v2/nonce refuse with it
        self.sts_status = 200  # HTTP status of the service-token step (clientSign)
        self.second_login_form: dict[str, str] | None = None
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def sign(self, token: str) -> str:
        key = serialization.load_pem_private_key(PRIVATE_KEY.read_bytes(), password=None)
        return key.sign(token.encode(), padding.PKCS1v15(), hashes.SHA256()).hex()  # type: ignore[union-attr]

    def unlock_answer(self, plain: dict[str, str]) -> dict:
        data = json.loads(base64.b64decode(plain["data"]))
        token = data["deviceToken"]
        self.tokens_seen.append(token)
        if self.mode == "wait":
            return {
                "code": 20036,
                "descEN": f"Please unlock {self.wait_hour} hours later.",
                "data": {"waitHour": self.wait_hour},
            }
        if self.mode == "wait-desc":
            return {
                "code": 20036,
                "descEN": f"Please unlock {self.wait_hour} hours later. And do not add your "
                "account in MIUI again, otherwise you will wait from scratch.",
            }
        if self.mode == "approve":
            return {
                "code": 0,
                "description": "ok",
                "encryptData": self.sign(self.stale_token or token),
                "uid": USER_ID,
            }
        return {"code": self.code, "descEN": f"server text for {self.code}"}

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(
                self,
                body: str,
                status: int = 200,
                cookies: dict[str, str] | None = None,
                location: str | None = None,
            ) -> None:
                raw = body.encode()
                self.send_response(status)
                for k, v in (cookies or {}).items():
                    self.send_header("Set-Cookie", f"{k}={v}; Path=/")
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _cookies(self) -> dict[str, str]:
                jar = {}
                for part in (self.headers.get("Cookie") or "").split(";"):
                    k, _, v = part.strip().partition("=")
                    jar[k] = v
                return jar

            def do_GET(self) -> None:  # noqa: N802
                path, _, query = self.path.partition("?")
                params = dict(urllib.parse.parse_qsl(query))
                fake.calls.append(path)
                if path == "/pass/serviceLogin":
                    if self._cookies().get("passToken") == PASS_TOKEN:
                        body = {
                            "code": 0,
                            "ssecurity": SSECURITY,
                            "nonce": 42,
                            "location": f"{fake.url}/sts?d=1",
                        }
                    else:
                        body = {
                            "code": 70016,
                            "_sign": "s",
                            "qs": "q",
                            "callback": "c",
                            "serviceParam": '{"checkSafePhone":false}',
                        }
                    self._send(PREFIX + json.dumps(body))
                elif path == "/sts":
                    expected = base64.b64encode(
                        hashlib.sha1(f"nonce=42&{SSECURITY}".encode()).digest()
                    ).decode()
                    if fake.sts_status != 200:
                        self._send("<html>Bad Gateway</html>", fake.sts_status)
                        return
                    ok = params.get("clientSign") == expected
                    self._send("ok" if ok else "bad", cookies={"serviceToken": SERVICE_TOKEN} if ok else None)
                elif path == "/identity/list":
                    if params.get("context") != CONTEXT:
                        self._send(PREFIX + json.dumps({"code": 70002, "desc": "bad context"}))
                        return
                    self._send(
                        PREFIX + json.dumps({"code": 2, "options": [4, 8]}),
                        cookies={"identity_session": IDENTITY_SESSION},
                    )
                elif path == "/identity/result/check":
                    # the verify answer's location: one hop on to the end of the login
                    if params.get("ticket") != "verified" or not self._has_identity_session():
                        self._send("denied", 403)
                        return
                    self._send("", 302, location=f"{fake.url}/pass/serviceLoginAuth2/end?_t=1")
                elif path == "/pass/serviceLoginAuth2/end":
                    if "/identity/result/check" not in fake.calls:
                        self._send("denied", 403)
                        return
                    # Marks this login (deviceId) as verified; no passToken here.
                    self._send("", 302, cookies={"trust": TRUST}, location=f"{fake.url}/pass/done")
                elif path == "/pass/done":
                    self._send("<html>ok</html>")
                elif path == "/pass/user/login/region":
                    self._send(PREFIX + json.dumps({"code": 0, "data": {"region": "DE"}}))
                else:
                    self._send("not found", 404)

            def _has_identity_session(self) -> bool:
                return self._cookies().get("identity_session") == IDENTITY_SESSION

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                fake.calls.append(self.path)
                if self.path == "/pass/serviceLoginAuth2":
                    self._login(form)
                    return
                if self.path.startswith("/identity/"):
                    self._identity(form)
                    return
                if self._cookies().get("serviceToken") != SERVICE_TOKEN:
                    self._send("unauthorized", 401)
                    return
                try:
                    plain = verify_and_decrypt_request(self.path, form, SSECURITY)
                except ValueError:
                    self._send(encrypt_response({"code": 10001, "descEN": "sign error"}, SSECURITY))
                    return
                if self.path == "/api/v2/nonce":
                    if fake.nonce_code:
                        body = {"code": fake.nonce_code, "descEN": "too frequent"}
                    else:
                        body = {"code": 0, "nonce": "n" * 16}
                elif self.path == "/api/v3/unlock/userinfo":
                    body = {"code": 0, "shouldApply": fake.should_apply, "applyStatus": 1}
                elif self.path == "/api/v2/unlock/device/clear":
                    body = {"code": 0, "cleanOrNot": fake.clean, "notice": "erase"}
                elif self.path == "/api/v3/ahaUnlock":
                    if fake.mode == "html":
                        self._send("<html><body>Service unavailable</body></html>")
                        return
                    if fake.mode == "badb64":
                        self._send("!!!not base64!!!")
                        return
                    if fake.mode == "badpad":
                        self._send(base64.b64encode(b"x" * 32).decode())
                        return
                    if fake.mode == "slow":
                        time.sleep(3)
                    body = fake.unlock_answer(plain)
                else:
                    self._send("not found", 404)
                    return
                self._send(encrypt_response(body, SSECURITY))

            def _identity(self, form: dict[str, str]) -> None:
                if not self._has_identity_session():
                    body = {"code": 70016, "desc": "identity session missing"}
                elif self.path == "/identity/pass/sms/userQuota":
                    body = {"code": 0, "info": "5"}
                elif self.path in ("/identity/auth/sendPhoneTicket", "/identity/auth/sendEmailTicket"):
                    fake.ticket_sent_to = self.path.rsplit("send", 1)[1]
                    body = {"code": 0}
                elif self.path.startswith("/identity/auth/verify") and form.get("ticket") == TICKET:
                    body = {"code": 0, "location": f"{fake.url}/identity/result/check?ticket=verified"}
                else:
                    body = {"code": 70014, "tips": "wrong code"}
                self._send(PREFIX + json.dumps(body))

            def _login(self, form: dict[str, str]) -> None:
                user = form.get("user")
                right = form.get("hash") == hashlib.md5(PASSWORD.encode()).hexdigest().upper()
                if user == "captcha":
                    body = {"code": 87001, "captchaUrl": "/pass/getCode?icodeType=login"}
                elif user == "needsphone" and right:  # the account must first add a safe phone number
                    body = {
                        "code": 0,
                        "notificationUrl": f"{fake.url}/pass/BindAppealOrSafePhone?context={CONTEXT}",
                    }
                elif user == TWO_FACTOR_USER and right and self._cookies().get("trust") != TRUST:
                    body = {
                        "code": 0,
                        "notificationUrl": f"{fake.url}/identity/authStart?sid=unlockApi&context={CONTEXT}",
                    }
                elif right:
                    if user == TWO_FACTOR_USER:
                        fake.second_login_form = form
                    body = {"code": 0, "passToken": PASS_TOKEN, "userId": USER_ID}
                    self._send(
                        PREFIX + json.dumps(body), cookies={"passToken": PASS_TOKEN, "userId": USER_ID}
                    )
                    return
                else:
                    body = {"code": 70016, "desc": "wrong"}
                self._send(PREFIX + json.dumps(body))

        return Handler

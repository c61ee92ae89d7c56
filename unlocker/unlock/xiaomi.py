"""Mi Unlock, the official way: one question to Xiaomi's server, then wait or apply.

The phone's side lives here (token, applying the signed unlock data); the account and server
clients live in :mod:`unlocker.xiaomi`. unlocker never bypasses or games the waiting period:
it asks the server once and reports its answer.
"""

from __future__ import annotations

from unlocker import commands
from unlocker.device.facts import PhoneFacts, Variables, read_unlocked
from unlocker.errors import (
    FastbootFailure,
    PreflightError,
    TokenUnavailable,
    UnlockerError,
    UnlockRefused,
    WaitingPeriodNotOver,
)
from unlocker.fastboot.client import FastbootClient
from unlocker.i18n import _
from unlocker.unlock.flow import UnlockContext, UnlockMethod, UnlockOutcome


def read_token(client: FastbootClient) -> str:
    """`getvar token` (Qualcomm), else the concatenated `token:` lines of `oem get_token` (MediaTek)."""
    token = client.try_getvar("token")
    if token:
        return token
    try:
        lines = client.oem("get_token").info
    except FastbootFailure:
        lines = []
    chunks = [line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("token:")]
    if not chunks:
        raise TokenUnavailable(
            _("{phone} did not give its unlock token").format(phone=client.name),
            hint=_("Make sure the phone shows the fastboot screen (not fastbootd), replug it and try again."),
        )
    return "".join(chunks)


def has_unlock_token(client: FastbootClient) -> bool:
    """True for Xiaomi bootloaders, which hand out a token for the server (either command)."""
    try:
        read_token(client)
    except TokenUnavailable:
        return False
    return True


def apply_unlock_data(client: FastbootClient, unlock_data: bytes) -> None:
    """stage + `oem unlock` back to back: a reboot in between would invalidate the token."""
    client.stage(unlock_data)
    client.oem("unlock")


class MiUnlockFlow:
    name = "mi_unlock"
    priority = 0

    def recognises(self, client: FastbootClient, facts: PhoneFacts) -> bool:
        return has_unlock_token(client)

    def run(
        self, client: FastbootClient, facts: PhoneFacts, method: UnlockMethod, context: UnlockContext
    ) -> UnlockOutcome:
        from unlocker.xiaomi import ledger
        from unlocker.xiaomi.account import service_login
        from unlocker.xiaomi.codes import WAITING_PERIOD, explain
        from unlocker.xiaomi.server import UnlockServer
        from unlocker.xiaomi.session import load_session, plain_http_warnings, unlock_base_url

        account = load_session()
        if context.region:
            account.region = context.region
        product = facts.product
        if not product:
            raise PreflightError(
                _("{phone} does not say which model it is (getvar product)").format(phone=client.name),
                hint=_("Replug the phone, make sure it shows the fastboot screen, and try again."),
            )
        for warning in plain_http_warnings():
            context.notify(warning)
        ssecurity, cookies = service_login(account)
        server = UnlockServer(unlock_base_url(account.region), ssecurity, cookies, account.device_id)
        try:
            if should_apply_first(server.user_info()):
                context.notify(
                    _("Xiaomi says this account should apply for unlock permission first (Mi Community app).")
                )
            wipes = server.device_clear(product)
            # Ask before the question that returns unlock data: an approval counts against the
            # account's monthly quota, so answering no must leave the quota untouched.
            _confirm(client, context, wipes)
            # Read the token right before asking: it changes at every reboot of the phone.
            token = read_token(client)
            answer = server.aha_unlock(product, token)
        finally:
            server.close()
        if answer.code == WAITING_PERIOD:
            hours = ledger.wait_hours(answer.data, answer.description)
            if hours is None:
                raise WaitingPeriodNotOver(
                    _("Xiaomi's waiting period is not over (the server did not say how long)"),
                    hint=_("Try again in a day. Do not re-bind the account: that restarts it."),
                )
            record = ledger.record_from_server(hours, product)
            ledger.save(record)
            raise WaitingPeriodNotOver(
                _(
                    "Xiaomi's waiting period for {product} is not over: {hours} hours left, until {end}"
                ).format(product=product, hours=hours, end=ledger.describe_end(record.ends_at)),
                hint=_(
                    "Run {command} again after that. Do not add the account again in Mi Unlock status: "
                    "re-binding restarts the count."
                ).format(command=commands.show(commands.UNLOCK)),
            )
        if answer.code != 0 or not answer.encrypt_data:
            text, next_step = explain(answer.code, answer.description)
            raise UnlockRefused(
                _("Xiaomi refused the unlock (code {code}): {explanation}").format(
                    code=answer.code, explanation=text
                ),
                code=answer.code,
                hint=next_step,
            )
        try:
            unlock_data = bytes.fromhex(answer.encrypt_data)
        except ValueError as e:
            raise UnlockerError(
                _("Xiaomi's unlock data is malformed; nothing was sent to the phone"),
                hint=_("Try again later."),
            ) from e
        context.notify(_("Xiaomi approved the unlock; sending the unlock data to the phone."))
        try:
            apply_unlock_data(client, unlock_data)
        except FastbootFailure as e:
            raise UnlockerError(
                _("{phone} refused Xiaomi's unlock data: {reply}; the phone is still locked").format(
                    phone=client.name, reply=e.device_message
                ),
                hint=_("If the phone rebooted since the token was read, simply run {command} again.").format(
                    command=commands.show(commands.UNLOCK)
                ),
            ) from e
        unlocked = bool(read_unlocked(Variables(client)))
        if unlocked:
            ledger.mark_unlocked(product)  # `unlocker wait` must not keep counting down
        return UnlockOutcome(unlocked=unlocked, wiped=wipes)


def should_apply_first(standing: dict) -> bool:
    """userinfo's ``shouldApply``: the public clients warn when it is false (permission missing);
    an absent or unreadable value says nothing."""
    value = standing.get("shouldApply")
    return value is not None and str(value).strip().lower() in ("false", "0")


def _confirm(client: FastbootClient, context: UnlockContext, wipes: bool | None) -> None:
    """The one question, asked before the server is asked for unlock data."""
    if wipes is False:
        context.confirm(
            _(
                "Ask Xiaomi for unlock data and unlock {phone} right away if it agrees? "
                "An approval counts against the account's monthly unlock quota."
            ).format(phone=client.name)
        )
        return
    context.notify(_("If Xiaomi agrees, unlocking will ERASE ALL DATA on {phone}.").format(phone=client.name))
    context.confirm(
        _(
            "Ask Xiaomi for unlock data and unlock {phone} right away if it agrees? This erases all data "
            "on the phone; an approval counts against the account's monthly unlock quota."
        ).format(phone=client.name)
    )


FLOW = MiUnlockFlow()

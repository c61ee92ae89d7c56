"""`unlocker unlock`: preflight, one server question, then wait or apply. Pure orchestration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from unlocker.errors import (
    FastbootFailure,
    PreflightError,
    UnlockerError,
    UnlockRefused,
    WaitingPeriodNotOver,
)
from unlocker.fastboot.client import FastbootClient
from unlocker.fastboot.variables import parse_bool
from unlocker.xiaomi import ledger
from unlocker.xiaomi.account import service_login
from unlocker.xiaomi.codes import WAITING_PERIOD, explain
from unlocker.xiaomi.device import apply_unlock_data, is_unlocked, read_token, require_bootloader
from unlocker.xiaomi.server import UnlockServer
from unlocker.xiaomi.session import AccountSession, unlock_base_url


@dataclass
class UnlockOutcome:
    unlocked: bool
    wiped: bool | None


Confirm = Callable[[str], None]


def unlock_generic(client: FastbootClient, confirm: Confirm) -> UnlockOutcome:
    """Non-Xiaomi phones: `flashing get_unlock_ability`, then `flashing unlock` (wipes the phone)."""
    response = client.flashing("get_unlock_ability")
    text = " ".join([*response.info, response.value]).strip()
    if not text or text[-1] != "1":
        raise PreflightError(
            f"{client.name} does not allow unlocking",
            hint="Enable 'OEM unlocking' in Settings > Developer options, then try again.",
        )
    confirm(f"Unlock {client.name}? This ERASES ALL DATA on the phone.")
    client.flashing("unlock")
    return UnlockOutcome(bool(is_unlocked(client)), True)


def unlock_xiaomi(
    client: FastbootClient, account: AccountSession, confirm: Confirm, notify: Callable[[str], None]
) -> UnlockOutcome:
    require_bootloader(client)
    if parse_bool(client.try_getvar("unlocked")):
        raise PreflightError(f"{client.name} is already unlocked", hint="Nothing to do: see `unlocker roms`.")
    product = client.getvar("product")
    ssecurity, cookies = service_login(account)
    server = UnlockServer(unlock_base_url(account.region), ssecurity, cookies, account.device_id)
    try:
        standing = server.user_info()
        if standing.get("shouldApply"):
            notify("Xiaomi says this account should apply for unlock permission first (Mi Community app).")
        wipes = server.device_clear(product)
        # Read the token right before asking: it changes at every reboot of the phone.
        token = read_token(client)
        answer = server.aha_unlock(product, token)
    finally:
        server.close()
    if answer.code == WAITING_PERIOD:
        hours = ledger.wait_hours(answer.data, answer.description)
        if hours is None:
            raise WaitingPeriodNotOver(
                "Xiaomi's waiting period is not over (the server did not say how long)",
                hint="Try again in a day. Do not re-bind the account: that restarts it.",
            )
        record = ledger.record_from_server(hours, product)
        ledger.save(record)
        raise WaitingPeriodNotOver(
            f"Xiaomi's waiting period for {product} is not over: {hours} hours left, "
            f"until {ledger.describe_end(record.ends_at)}",
            hint="Run `unlocker unlock` again after that. Do not add the account again in Mi Unlock status: "
            "re-binding restarts the count.",
        )
    if answer.code != 0 or not answer.encrypt_data:
        text, next_step = explain(answer.code, answer.description)
        raise UnlockRefused(
            f"Xiaomi refused the unlock (code {answer.code}): {text}", code=answer.code, hint=next_step
        )
    try:
        unlock_data = bytes.fromhex(answer.encrypt_data)
    except ValueError:
        raise UnlockerError(
            "Xiaomi's unlock data is malformed; nothing was sent to the phone", hint="Try again later."
        ) from None
    notify("Xiaomi approved the unlock." + (" Unlocking will ERASE ALL DATA." if wipes is not False else ""))
    confirm(
        f"Unlock {client.name} now?" + (" This erases all data on the phone." if wipes is not False else "")
    )
    try:
        apply_unlock_data(client, unlock_data)
    except FastbootFailure as e:
        raise UnlockerError(
            f"{client.name} refused Xiaomi's unlock data: {e.device_message}; the phone is still locked",
            hint="If the phone rebooted since the token was read, simply run `unlocker unlock` again.",
        ) from None
    return UnlockOutcome(bool(is_unlocked(client)), wipes)

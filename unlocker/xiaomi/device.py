"""The phone's side of the Mi Unlock flow: token, codename, mode checks, applying unlock data."""

from __future__ import annotations

from unlocker.errors import FastbootFailure, PreflightError, TokenUnavailable
from unlocker.fastboot.client import FastbootClient
from unlocker.fastboot.variables import parse_bool


def has_unlock_token(client: FastbootClient) -> bool:
    """True for Xiaomi bootloaders, which hand out a token for the server (either command)."""
    try:
        read_token(client)
    except TokenUnavailable:
        return False
    return True


def require_bootloader(client: FastbootClient) -> None:
    if parse_bool(client.try_getvar("is-userspace")):
        raise PreflightError(
            f"{client.name} is in fastbootd (userspace fastboot), where the bootloader cannot be unlocked",
            hint="Run `unlocker reboot bootloader` (or hold Volume Down + Power from off) and try again.",
        )


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
            f"{client.name} did not give its unlock token",
            hint="Make sure the phone shows the fastboot screen (not fastbootd), replug it and try again.",
        )
    return "".join(chunks)


def apply_unlock_data(client: FastbootClient, unlock_data: bytes) -> None:
    """stage + `oem unlock` back to back: a reboot in between would invalidate the token."""
    client.stage(unlock_data)
    client.oem("unlock")


def is_unlocked(client: FastbootClient) -> bool | None:
    return parse_bool(client.try_getvar("unlocked"))

"""`unlocker login`, `logout`, `unlock`, `wait`: the official Mi Unlock flow, on any OS."""

from __future__ import annotations

import datetime as dt
import sys

import click

from unlocker.cli.common import confirm, device_option, info, json_option, open_phone, print_json, yes_option
from unlocker.errors import Aborted, UsageError
from unlocker.xiaomi import ledger
from unlocker.xiaomi.account import login_with_password
from unlocker.xiaomi.device import has_unlock_token, is_unlocked
from unlocker.xiaomi.flow import unlock_generic, unlock_xiaomi
from unlocker.xiaomi.session import REGION_HOSTS, delete_session, load_session, save_session

_REGIONS = click.Choice(sorted(REGION_HOSTS))


@click.command("login")
@click.option("--user", help="Mi account: e-mail, phone number or account id.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@click.option("--region", type=_REGIONS, help="Unlock server region (default: detected from the account).")
def login(user: str | None, password_stdin: bool, region: str | None) -> None:
    """Log in to your Mi account; the session is stored privately (mode 0600) and reused."""
    if not user:
        user = click.prompt("Mi account (e-mail, phone or id)", err=True)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, err=True)
    if not password:
        raise UsageError("an empty password was given")
    session = login_with_password(
        user, password, region, ask=_ask if sys.stdin.isatty() or password_stdin else None
    )
    path = save_session(session)
    info(f"logged in (region {session.region}); session stored in {path}")


def _ask(question: str, choices: list[str]) -> str:
    """Questions of the second-factor flow; read from the terminal (or stdin after --password-stdin)."""
    if choices:
        for number, choice in enumerate(choices, 1):
            click.echo(f"  {number}. {choice}", err=True)
        picked = click.prompt(question, type=click.IntRange(1, len(choices)), default=1, err=True)
        return choices[picked - 1]
    if not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    return click.prompt(question, err=True)


@click.command("logout")
def logout() -> None:
    """Forget the stored Mi account session."""
    info("logged out" if delete_session() else "no session was stored")


@click.command("unlock")
@device_option
@click.option("--region", type=_REGIONS, help="Use this unlock server region instead of the account's.")
@yes_option
def unlock(serial: str | None, region: str | None, yes: bool) -> None:
    """Unlock the bootloader the official way (this erases the phone).

    \b
    Xiaomi phones: asks Xiaomi's server once. Exit code 3 means the waiting period is not
    over yet; the hours left are printed and remembered for `unlocker wait`.
    Other phones: `flashing unlock`, if 'OEM unlocking' is allowed.
    """
    if not yes and not sys.stdin.isatty():
        raise Aborted(
            "unlocking needs a confirmation and there is no terminal to ask on",
            hint="Run it in a terminal, or add --yes to confirm from a script.",
        )
    with open_phone(serial) as client:
        if is_unlocked(client):
            click.echo(f"{client.name} is already unlocked.")
            return
        if has_unlock_token(client):
            account = load_session()
            if region:
                account.region = region
            outcome = unlock_xiaomi(client, account, lambda q: confirm(q, yes=yes), info)
        else:
            outcome = unlock_generic(client, lambda q: confirm(q, yes=yes))
        name = client.name
    if outcome.unlocked:
        click.echo(f"{name}: bootloader unlocked. Next: `unlocker roms` to choose a ROM.")
    else:
        click.echo(
            f"{name}: the phone accepted the command; confirm on its screen if it asks, then run "
            "`unlocker status`."
        )


@click.command("wait")
@click.option(
    "--bound-at",
    help="When you bound the account in Mi Unlock status (e.g. 2026-11-20T18:00, local "
    "time) for an estimate when the server has not been asked.",
)
@click.option("--hyperos/--miui", default=True, help="Estimate with 72 h (HyperOS) or 168 h (MIUI).")
@json_option
def wait(bound_at: str | None, hyperos: bool, as_json: bool) -> None:
    """How long Xiaomi's waiting period still runs, without a phone (from the last server answer)."""
    stored = ledger.load()
    record = stored
    if bound_at:
        try:
            when = dt.datetime.fromisoformat(bound_at)
        except ValueError:
            raise UsageError(
                f"--bound-at '{bound_at}' is not a date and time like 2026-11-20T18:00"
            ) from None
        if when.tzinfo is None:
            when = when.astimezone()
        record = ledger.record_from_binding(when, 72 if hyperos else 168)
        if stored is None or stored.source == "estimate":  # never hide a server answer
            ledger.save(record)
    if record is None:
        raise UsageError(
            "nothing is known yet",
            hint="Run `unlocker unlock` with the phone in fastboot, or give --bound-at for an estimate.",
        )
    current = ledger.refresh(record)
    if as_json:
        print_json(
            {
                "hours_left": current.hours_left,
                "ends_at": current.ends_at,
                "source": current.source,
                "checked_at": current.checked_at,
            }
        )
        return
    label = "Xiaomi's server said" if current.source == "server" else "ESTIMATE (not from Xiaomi)"
    click.echo(
        f"{label} at {current.checked_at}: {current.hours_left} hours left, until "
        f"{ledger.describe_end(current.ends_at)}."
    )
    click.echo("Re-binding the account in Mi Unlock status restarts the count.")


def register(cli: click.Group) -> None:
    for command in (unlock, wait, login, logout):
        cli.add_command(command)

"""`unlocker login`, `logout`, `unlock`, `wait`: the official Mi Unlock flow, on any OS."""

from __future__ import annotations

import datetime as dt
import sys

import click

from unlocker import commands
from unlocker.cli.common import confirm, device_option, info, json_option, open_phone, print_json, yes_option
from unlocker.errors import Aborted, UsageError
from unlocker.i18n import _
from unlocker.xiaomi import ledger
from unlocker.xiaomi.account import login_with_password
from unlocker.xiaomi.session import REGION_HOSTS, delete_session, plain_http_warnings, save_session

_REGIONS = click.Choice(sorted(REGION_HOSTS))


@click.command(
    "login", help=_("Log in to your Mi account; the session is stored privately (mode 0600) and reused.")
)
@click.option("--user", help=_("Mi account: e-mail, phone number or account id."))
@click.option(
    "--password-stdin", is_flag=True, help=_("Read the password from standard input (for scripts).")
)
@click.option("--region", type=_REGIONS, help=_("Unlock server region (default: detected from the account)."))
def login(user: str | None, password_stdin: bool, region: str | None) -> None:
    if not user:
        user = click.prompt(_("Mi account (e-mail, phone or id)"), err=True)
    if password_stdin:
        # "\r\n" too: a password piped from a file written on Windows keeps its carriage return.
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(_("Password"), hide_input=True, err=True)
    if not password:
        raise UsageError(_("an empty password was given"))
    for warning in plain_http_warnings():
        info(warning)
    session = login_with_password(
        user, password, region, ask=_ask if sys.stdin.isatty() or password_stdin else None
    )
    path = save_session(session)
    info(_("logged in (region {region}); session stored in {path}").format(region=session.region, path=path))


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


@click.command("logout", help=_("Forget the stored Mi account session."))
def logout() -> None:
    info(_("logged out") if delete_session() else _("no session was stored"))


@click.command(
    "unlock",
    help=_(
        "Unlock the bootloader the official way (this erases the phone).\n\n"
        "\b\n"
        "Xiaomi phones: asks Xiaomi's server once. Exit code 3 means the waiting period is not\n"
        "over yet; the hours left are printed and remembered for `unlocker wait`.\n"
        "Other phones: `flashing unlock` (or the vendor's command), if 'OEM unlocking' is allowed."
    ),
    short_help=_("Unlock the bootloader the official way (this erases the phone)."),
)
@device_option
@click.option("--region", type=_REGIONS, help=_("Use this unlock server region instead of the account's."))
@yes_option
def unlock(serial: str | None, region: str | None, yes: bool) -> None:
    from unlocker.unlock import UnlockContext
    from unlocker.unlock import unlock as run_unlock

    if not yes and not sys.stdin.isatty():
        raise Aborted(
            _("unlocking needs a confirmation and there is no terminal to ask on"),
            hint=_("Run it in a terminal, or add --yes to confirm from a script."),
        )
    context = UnlockContext(confirm=lambda q: confirm(q, yes=yes), notify=info, region=region)
    with open_phone(serial) as client:
        outcome = run_unlock(client, context)
        name = client.name
    if outcome.already:
        click.echo(_("{phone} is already unlocked.").format(phone=name))
    elif outcome.unlocked:
        click.echo(
            _("{phone}: bootloader unlocked. Next: {command} to choose a ROM.").format(
                phone=name, command=commands.show(commands.ROMS)
            )
        )
    else:
        click.echo(
            _(
                "{phone}: the phone accepted the command; confirm on its screen if it asks, then run {command}."
            ).format(phone=name, command=commands.show(commands.STATUS))
        )


@click.command(
    "wait",
    help=_("How long Xiaomi's waiting period still runs, without a phone (from the last server answer)."),
)
@click.option(
    "--bound-at",
    help=_(
        "When you bound the account in Mi Unlock status (e.g. 2026-11-20T18:00, local "
        "time) for an estimate when the server has not been asked."
    ),
)
@click.option("--hyperos/--miui", default=True, help=_("Estimate with 72 h (HyperOS) or 168 h (MIUI)."))
@json_option
def wait(bound_at: str | None, hyperos: bool, as_json: bool) -> None:
    stored = ledger.load()
    record = stored
    if bound_at:
        try:
            when = dt.datetime.fromisoformat(bound_at)
        except ValueError as e:
            raise UsageError(
                _("--bound-at '{value}' is not a date and time like 2026-11-20T18:00").format(value=bound_at)
            ) from e
        if when.tzinfo is None:
            when = when.astimezone()
        record = ledger.record_from_binding(when, 72 if hyperos else 168)
        if stored is None or stored.source != "server":  # never hide a server answer
            ledger.save(record)
    if record is None:
        raise UsageError(
            _("nothing is known yet"),
            hint=_("Run {command} with the phone in fastboot, or give --bound-at for an estimate.").format(
                command=commands.show(commands.UNLOCK)
            ),
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
    if current.source == "unlocked":
        click.echo(
            _("The bootloader was unlocked at {checked_at}: there is no waiting period left.").format(
                checked_at=current.checked_at
            )
        )
        return
    if current.source == "server":
        line = _("Xiaomi's server said at {checked_at}: {hours} hours left, until {end}.")
    else:
        line = _("ESTIMATE (not from Xiaomi) at {checked_at}: {hours} hours left, until {end}.")
    click.echo(
        line.format(
            checked_at=current.checked_at, hours=current.hours_left, end=ledger.describe_end(current.ends_at)
        )
    )
    click.echo(_("Re-binding the account in Mi Unlock status restarts the count."))


def register(cli: click.Group) -> None:
    for command in (unlock, wait, login, logout):
        cli.add_command(command)

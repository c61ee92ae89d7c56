"""`unlocker emulate`: run the virtual phone in the foreground."""

from __future__ import annotations

from pathlib import Path

import click

from unlocker import commands, paths
from unlocker.cli.common import info
from unlocker.emulator import DEFAULT_PROFILE, PROFILES, EmulatorServer, VirtualPhone, parse_fault
from unlocker.emulator.recovery import RecoveryOptions
from unlocker.errors import UsageError
from unlocker.i18n import _


@click.command(
    "emulate",
    help=_(
        "Run a virtual phone that speaks fastboot over TCP, to practise safely.\n"
        "\n"
        "\b\n"
        "In another terminal:\n"
        "  {status_command}\n"
        "  {fastboot_command}\n"
        "Partitions are plain files under STATE_DIR/partitions/. Stop with Ctrl+C.\n"
        "\n"
        "\b\n"
        "Recovery: `reboot recovery` (or `boot` of a boot image) starts it. It speaks adb on\n"
        "PORT+1 ({adb_command}); to play its owner choosing\n"
        "'Apply update' > 'Apply from ADB', run: touch STATE_DIR/apply-from-adb\n"
        "It then waits for a package ({sideload_command}) and keeps what it\n"
        "installed as STATE_DIR/sideloaded.zip."
    ).format(
        status_command=f"{commands.STATUS} -s tcp:127.0.0.1:5554",
        fastboot_command="fastboot -s tcp:127.0.0.1:5554 getvar product",
        adb_command="adb connect 127.0.0.1:5555",
        sideload_command=f"{commands.SIDELOAD} ROM.zip -s tcp:127.0.0.1:5555",
    ),
    short_help=_("Run a virtual phone that speaks fastboot over TCP."),
)
@click.option(
    "--profile",
    type=click.Choice(sorted(PROFILES)),
    default=DEFAULT_PROFILE,
    show_default=True,
    help=_("Which kind of phone to be."),
)
@click.option(
    "--port",
    type=int,
    default=5554,
    show_default=True,
    help=_("TCP port for fastboot; adb (recovery) uses the next one (0 picks free ones)."),
)
@click.option("--host", default="127.0.0.1", show_default=True, help=_("Address to listen on."))
@click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help=_(
        "Where the phone keeps its state and partitions/NAME.img files. "
        "Default: the user state dir, one folder per profile."
    ),
)
@click.option(
    "--max-download-size", type=str, help=_("Bytes (decimal or 0x hex) the phone accepts per download.")
)
@click.option(
    "--locked/--unlocked",
    default=None,
    help=_("Start locked or unlocked (default: as saved; new: locked)."),
)
@click.option(
    "--unlock-pubkey",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help=_("PEM public key the phone checks unlock signatures against (default: the test key)."),
)
@click.option(
    "--oem-unlocking/--no-oem-unlocking",
    default=None,
    help=_("Whether 'OEM unlocking' is switched on in Developer options (default: on)."),
)
@click.option("--serial", help=_("Serial number to report (default: random, kept in the state dir)."))
@click.option(
    "--var",
    "variables",
    multiple=True,
    metavar="NAME=VALUE",
    help=_("Override a getvar answer, e.g. battery-voltage=3400 (repeatable)."),
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="SPEC",
    help=_(
        "Inject a fault: disconnect@BYTES, stall@BYTES, or stall|garbage|fail|disconnect|info-flood:"
        "COMMAND[#N], where COMMAND is a fastboot command or an adb service such as sideload-host "
        "(repeatable)."
    ),
)
@click.option(
    "--adb-no-auth",
    is_flag=True,
    help=_(
        "In recovery, let any computer use adb without asking its owner (default: ask; sideload never asks)."
    ),
)
@click.option(
    "--auto-apply-from-adb",
    is_flag=True,
    help=_(
        "Choose 'Apply from ADB' as soon as the recovery starts (default: wait until "
        "STATE_DIR/apply-from-adb exists)."
    ),
)
def emulate(
    profile: str,
    port: int,
    host: str,
    state_dir: Path | None,
    max_download_size: str | None,
    locked: bool | None,
    unlock_pubkey: Path | None,
    oem_unlocking: bool | None,
    serial: str | None,
    variables: tuple[str, ...],
    faults: tuple[str, ...],
    adb_no_auth: bool,
    auto_apply_from_adb: bool,
) -> None:
    """Run a virtual phone that speaks fastboot over TCP (--help text: ``help=`` above)."""
    directory = state_dir or (paths.state_dir() / "virtual-phone" / profile)
    mds = None
    if max_download_size:
        try:
            mds = int(max_download_size, 0)
        except ValueError as e:
            raise UsageError(
                _("--max-download-size '{value}' is not a number").format(value=max_download_size)
            ) from e
    overrides = {}
    for item in variables:
        name, sep, value = item.partition("=")
        if not sep:
            raise UsageError(_("--var '{item}': expected NAME=VALUE").format(item=item))
        overrides[name] = value
    phone = VirtualPhone(
        directory,
        profile,
        unlocked=None if locked is None else not locked,
        max_download_size=mds,
        unlock_public_key_pem=unlock_pubkey.read_bytes() if unlock_pubkey else None,
        faults=[parse_fault(f) for f in faults],
        variables=overrides,
        serial=serial,
        unlock_ability=None if oem_unlocking is None else int(oem_unlocking),
        recovery=RecoveryOptions(auth=not adb_no_auth, auto_apply_from_adb=auto_apply_from_adb),
    )
    phone.on_event = info
    try:
        server = EmulatorServer(phone, host, port)
    except OSError as e:
        raise UsageError(
            _("cannot listen on {host}:{port} (fastboot) and {adb_port} (adb): {reason}").format(
                host=host, port=port, adb_port=port + 1, reason=e.strerror or e
            ),
            hint=_("Pick another --port, or stop the program using it."),
        ) from e
    state = _("unlocked") if phone.unlocked else _("locked")
    info(
        _("virtual phone '{product}' ({profile}, {state}, serial {serial}) listening on {address}").format(
            product=phone.profile.product,
            profile=profile,
            state=state,
            serial=phone.serial,
            address=f"tcp:{host}:{server.port}",
        )
    )
    info(_("state and partitions: {directory}").format(directory=directory))
    info(_("adb, in recovery and sideload mode: {address}").format(address=server.adb_name))
    # Machine-readable lines on stdout so scripts and tests can find ports picked with --port 0.
    click.echo(f"listening tcp:{host}:{server.port}", nl=True)  # i18n: not user-facing (machine line)
    click.echo(f"adb {server.adb_name}", nl=True)  # i18n: not user-facing (machine line)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        info(_("virtual phone stopped."))
    finally:
        server.close()


def register(cli: click.Group) -> None:
    cli.add_command(emulate)

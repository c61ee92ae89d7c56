"""Entry point: the ``unlocker`` command group and the one place errors become exit codes."""

from __future__ import annotations

import sys

import click

from unlocker import __version__
from unlocker.errors import EXIT_FAILED, UnlockerError

HELP = """Take back control of your Android phone: bootloader state, Mi Unlock, safe flashing
and guided installs of vendor-independent ROMs.

\b
Name a phone with -s SERIAL or -s tcp:HOST[:PORT] (ANDROID_SERIAL is honoured).
Practise without a phone: run `unlocker emulate` in one terminal, then use
-s tcp:127.0.0.1:5554 in another.

\b
Exit codes:
  0  done
  1  failed (the message says what happened and what to do next)
  2  usage error (bad arguments or names)
  3  Mi Unlock: the server's waiting period is not over yet
"""


@click.group(help=HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="unlocker")
def cli() -> None:
    pass


def _register_all() -> None:
    # Each command group lives in its own module; the order here is the order in --help.
    from unlocker.cli import (
        device_cmds,
        download_cmds,
        emulate_cmd,
        flash_cmds,
        index_cmds,
        sparse_cmds,
        support_cmds,
        unlock_cmds,
    )

    for module in (
        device_cmds,
        unlock_cmds,
        flash_cmds,
        sparse_cmds,
        index_cmds,
        download_cmds,
        support_cmds,
        emulate_cmd,
    ):
        module.register(cli)


_register_all()


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="unlocker", standalone_mode=False)
    except UnlockerError as e:
        click.echo(f"unlocker: error: {e}", err=True)
        if e.hint:
            click.echo(f"unlocker: next: {e.hint}", err=True)
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        click.echo("unlocker: stopped.", err=True)
        sys.exit(EXIT_FAILED)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("unlocker: interrupted.", err=True)
        sys.exit(130)
    sys.exit(0)

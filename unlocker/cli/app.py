"""The ``unlocker`` click application, and the one place errors become exit codes.

:mod:`unlocker.cli.main` (the console script's entry) answers the quickest commands itself and
hands everything else to :data:`cli`; either way a failure ends in :func:`exit_for`. Errors we understand (:class:`~unlocker.errors.UnlockerError`) print one line and what to do
next; their causes appear with ``--debug`` (or ``UNLOCKER_DEBUG=1``). Anything else is a bug:
one line says so, the details go to a file, and ``--debug`` prints them too.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import NoReturn

import click

from unlocker import __version__, commands, i18n, settings
from unlocker.cli import click_texts
from unlocker.cli.registry import COMMANDS, LINES, WHOLE_HELP
from unlocker.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    FileAccessError,
    Terminated,
    UnlockerError,
)
from unlocker.i18n import N_, _

click_texts.install()  # click's own words (Usage:, Options, ...) follow the language too


def _help() -> str:
    return _(
        "Take back control of your Android phone: bootloader state, Mi Unlock, safe flashing\n"
        "and guided installs of vendor-independent ROMs.\n"
        "\n"
        "\b\n"
        "Name a phone with -s SERIAL or -s tcp:HOST[:PORT] (ANDROID_SERIAL is honoured).\n"
        "Practise without a phone: run `unlocker emulate` in one terminal, then use\n"
        "-s tcp:127.0.0.1:5554 in another.\n"
        "\n"
        "\b\n"
        "Exit codes:\n"
        "  0  done\n"
        "  1  failed (the message says what happened and what to do next)\n"
        "  2  usage error (bad arguments or names)\n"
        "  3  Mi Unlock: the server's waiting period is not over yet\n"
        "  130  interrupted (Ctrl+C)\n"
        "  143  stopped by SIGTERM\n"
    )


_debug = False


def debug_enabled() -> bool:
    return _debug or settings.get_flag("UNLOCKER_DEBUG")


class LazyGroup(click.Group):
    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.help = _help()  # built now: --lang may have changed the language since import
        help_option = self.get_help_option(ctx)
        if help_option is not None:  # made by click before --lang applied
            help_option.help = _("Show this message and exit.")
        super().format_help_text(ctx, formatter)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's listing, from the registry's lines: importing every command module to print a line
        each would load their dependencies (requests, yaml, the index) for nothing."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            line = _(LINES[name])
            # A stand-in command, so click shortens the line exactly as it would the command's own.
            stand_in = (
                click.Command(name, help=line) if name in WHOLE_HELP else click.Command(name, short_help=line)
            )
            rows.append((name, stand_in.get_short_help_str(limit)))
        with formatter.section(_("Commands")):
            formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        module = importlib.import_module(f"unlocker.cli.{module_name}")
        holder = click.Group()
        module.register(holder)
        return holder.commands.get(cmd_name)


def _set_debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    global _debug
    _debug = _debug or value


class _TranslatedOption(click.Option):
    """An option of the group itself: its help is translated when shown, after --lang applied."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        self.help = _(self.source_help)
        return super().get_help_record(ctx)

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.source_help = str(kwargs.get("help") or "")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


def _set_language(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """``--lang``: applied before any command module is imported (they translate help at import)."""
    if value is None:
        return
    if not i18n.is_shipped(value):
        raise click.BadParameter(
            _("no translation for '{code}'; available: {languages}").format(
                code=value, languages=", ".join(i18n.available_languages())
            )
        )
    i18n.set_language(value)


@click.group(cls=LazyGroup, help=_help(), context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, prog_name="unlocker", cls=_TranslatedOption, help=N_("Show the version and exit.")
)
@click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_debug,
    cls=_TranslatedOption,
    help=N_("Show the causes of errors and full details of bugs (also UNLOCKER_DEBUG=1)."),
)
@click.option(
    "--lang",
    metavar="CODE",
    expose_value=False,
    is_eager=True,
    callback=_set_language,
    cls=_TranslatedOption,
    help=N_(
        "Language of messages: en, es, fa, ar, ru (also UNLOCKER_LANG; default: from LANGUAGE, LC_ALL, "
        "LC_MESSAGES, LANG)."
    ),
)
def cli() -> None:
    pass


def _causes(error: BaseException) -> list[BaseException]:
    chain = []
    seen = {id(error)}
    current = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    while current is not None and id(current) not in seen:
        chain.append(current)
        seen.add(id(current))
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return chain


def _report_error(error: UnlockerError) -> None:
    click.echo(_("unlocker: error: {message}").format(message=error), err=True)
    if error.hint:
        click.echo(_("unlocker: next: {hint}").format(hint=error.hint), err=True)
    import traceback

    from unlocker.cli.explain_cmd import error_explanation  # the knowledge base: only on errors

    for line in error_explanation(error):
        click.echo(line, err=True)
    if debug_enabled():
        for cause in _causes(error):
            click.echo(
                _("unlocker: caused by: {kind}: {message}").format(kind=type(cause).__name__, message=cause),
                err=True,
            )
        click.echo("".join(traceback.format_exception(error)), err=True, nl=False)


def _write_crash(error: BaseException) -> Path | None:
    """The traceback of a bug, kept for the person to attach to a report; None if it cannot be written."""
    import datetime as dt
    import traceback

    from unlocker import paths

    try:
        directory = paths.state_dir() / "crashes"
        directory.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        path = directory / f"crash-{stamp}.txt"
        text = f"unlocker {__version__}\nargv: {sys.argv[1:]!r}\n\n" + "".join(
            traceback.format_exception(error)
        )
        path.write_text(text, encoding="utf-8")
        return path
    except OSError:
        return None


def _report_bug(error: BaseException) -> None:
    path = _write_crash(error)
    report = commands.show(commands.REPORT)
    if path is not None:
        message = _(
            "unlocker: this is a bug in unlocker ({kind}); details were written to {path}. "
            "Please report it, attaching that file and the output of {report}."
        )
    else:
        message = _(
            "unlocker: this is a bug in unlocker ({kind}). Please report it with the output of {report}."
        )
    click.echo(message.format(kind=type(error).__name__, path=path, report=report), err=True)
    if debug_enabled():
        import traceback

        click.echo("".join(traceback.format_exception(error)), err=True, nl=False)


def _stopped(error: KeyboardInterrupt) -> None:
    if isinstance(error, Terminated):
        click.echo(_("unlocker: stopped (SIGTERM)."), err=True)
        sys.exit(EXIT_TERMINATED)
    click.echo(_("unlocker: interrupted."), err=True)
    sys.exit(EXIT_INTERRUPTED)


def exit_for(error: BaseException) -> NoReturn:
    """End the process for ``error``, raised by a command: its message, and its exit code."""
    if isinstance(error, UnlockerError):
        _report_error(error)
        sys.exit(error.exit_code)
    if isinstance(error, click.exceptions.Abort):
        if isinstance(error.__cause__, KeyboardInterrupt):  # click turns Ctrl+C into Abort
            _stopped(error.__cause__)
        click.echo(_("unlocker: stopped."), err=True)
        sys.exit(EXIT_FAILED)
    if isinstance(error, click.ClickException):
        error.show()
        sys.exit(error.exit_code)
    if isinstance(error, click.exceptions.Exit):
        sys.exit(error.exit_code)
    if isinstance(error, KeyboardInterrupt):
        _stopped(error)
    if isinstance(error, OSError):  # the computer refused a file operation nobody checked for: one line
        failure = FileAccessError.from_os_error(error)
        failure.__cause__ = error
        _report_error(failure)
        sys.exit(failure.exit_code)
    if isinstance(error, Exception):  # anything we did not foresee is a bug: one line, details in a file
        _report_bug(error)
        sys.exit(EXIT_FAILED)
    raise error  # SystemExit and the like: not ours to map


def run(argv: list[str] | None) -> None:
    """The click application on ``argv`` (None: the process's arguments)."""
    cli.main(args=argv, prog_name="unlocker", standalone_mode=False)

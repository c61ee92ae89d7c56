"""Entry point of the ``unlocker`` command (the console script), kept free of click.

Start-up is most of what a quick command costs (issue 15), so this module imports neither click
nor any command: ``unlocker --version`` is answered here, ``unlocker status`` in its usual forms
runs through :mod:`unlocker.cli.quick`, and everything else goes to the click application in
:mod:`unlocker.cli.app`. On every path a failure becomes its message and exit code in
:func:`unlocker.cli.app.exit_for`.
"""

from __future__ import annotations

# _signal, not signal: signal wraps the numbers in enums, and importing enum costs more start-up
# time than `unlocker --version` spends on everything else. _signal is the C module signal
# re-exports; its signal() installs the same handler.
import _signal
import gc
import sys

from unlocker import __version__


def _spare_the_last_collection() -> None:
    """The process ends now (the console script ran a quick command): what is still alive is the
    modules and their objects, which the exit frees anyway. Frozen, they are spared the full
    collection Python runs at exit, about 1.3 ms: a tenth of what `status` adds to the
    interpreter's own start. Only after status and flash, whose every file is closed by then: a
    frozen object is not finalized at exit, so a file left unclosed in a reference cycle would not
    be flushed. (Callers in a longer-lived process, tests among them, pass argv.)"""
    gc.freeze()


def _terminate(signum: int, frame: object) -> None:
    from unlocker.errors import Terminated

    raise Terminated()


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    if args == ["--version"]:
        # click's version option prints this; its text is click's own, untranslated there too.
        sys.stdout.write(f"unlocker, version {__version__}\n")  # i18n: not user-facing
        sys.exit(0)
    # SIGTERM becomes an exception like Ctrl+C's, so partial files are removed and a flash says
    # what state the partition may be in, instead of the process vanishing mid-write.
    _signal.signal(_signal.SIGTERM, _terminate)
    try:
        from unlocker.cli import quick

        command = quick.recognise(args)
        if command is not None:
            try:
                command()
            finally:
                if argv is None:
                    _spare_the_last_collection()
        else:
            from unlocker.cli.app import run

            run(argv)
    except BaseException as error:  # noqa: BLE001 - every failure ends in exit_for, which re-raises the rest
        from unlocker.cli.app import exit_for

        exit_for(error)
    sys.exit(0)

"""Writing to the terminal without importing click, for the commands :mod:`unlocker.cli.quick` runs.

:func:`echo` writes plain UTF-8 text itself and leaves anything else to ``click.echo``: text with
terminal escapes (click strips them when the output is not a terminal), streams in another
encoding (click re-encodes them) and Windows consoles. Either way the bytes are click's.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _plain(stream: Any, text: str) -> bool:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    return sys.platform != "win32" and encoding == "utf8" and "\x1b" not in text


def echo(message: str = "", *, err: bool = False) -> None:
    """``click.echo(message, err=err)``."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:  # no console at all (pythonw): click writes nothing either
        return
    if not _plain(stream, message):
        import click

        click.echo(message, err=err)
        return
    stream.write(message + "\n")
    stream.flush()


def print_json(obj: Any) -> None:
    import json  # only --json needs it; json imports re, which costs start-up time

    echo(json.dumps(obj, indent=2, sort_keys=False, default=str))


def info(message: str) -> None:
    """Human-oriented progress/status line: stderr, so stdout stays clean for --json and pipes."""
    echo(message, err=True)

"""`unlocker explain TEXT|CODE`: what a message that stopped you means and what to do.

The answers come from the knowledge base (:mod:`unlocker.knowledge`); the error printer in
:mod:`unlocker.cli.app` shows the same explanation when a command meets one of these errors.
"""

from __future__ import annotations

import click

from unlocker import commands, knowledge
from unlocker.cli.common import json_option, print_json
from unlocker.errors import UnlockerError
from unlocker.i18n import _


def explanation_lines(explained: knowledge.Explanation, *, prefix: str = "") -> list[str]:
    """What it means and the steps, as lines (``prefix`` starts the headings, e.g. ``unlocker: ``)."""
    lines = [prefix + _("What this means: {meaning}").format(meaning=explained.meaning)]
    if explained.steps:
        lines.append(prefix + _("What to do:"))
        lines += [f"  {number}. {step}" for number, step in enumerate(explained.steps, 1)]
    return lines


def error_explanation(error: BaseException) -> list[str]:
    """The lines the error printer adds for an error the knowledge base knows (else none)."""
    try:
        entry = knowledge.for_error(error)
    except Exception:  # a broken knowledge file must never hide the error itself
        return []
    if entry is None:
        return []
    explained = entry.explain()
    lines = explanation_lines(explained, prefix="unlocker: ")  # i18n: not user-facing (program name)
    if explained.meaning and explained.meaning in str(error):
        lines = lines[1:]  # the error already says what it means (Mi Unlock codes)
    more = commands.show(commands.EXPLAIN, entry.id)
    lines.append(
        "unlocker: " + _("more: {command}").format(command=more)
    )  # i18n: not user-facing (program name)
    return lines


@click.command(
    "explain",
    help=_(
        "Explain a message that stopped you: what it means and what to do.\n"
        "\n"
        "TEXT is the message as you saw it (a bootloader's FAILED line, an adb or recovery error, "
        "a Windows driver error, the region-lock screen), a Mi Unlock error code such as 20036, "
        'or the name of an explanation. Quote it: unlocker explain "Token Verify Failed".'
    ),
    short_help=_("Explain a message that stopped you: what it means and what to do."),
)
@click.argument("text", nargs=-1, required=True)
@json_option
def explain(text: tuple[str, ...], as_json: bool) -> None:
    query = " ".join(text)
    found = knowledge.search(query)
    if as_json:
        print_json({"query": query, "matches": [entry.explain().to_json() for entry in found]})
    else:
        for index, entry in enumerate(found):
            explained = entry.explain()
            if index:
                click.echo("")
            click.echo(_("{title} [{id}]").format(title=explained.title, id=entry.id))
            for line in explanation_lines(explained):
                click.echo(line)
    if not found:
        raise UnlockerError(
            _("unlocker does not know this message yet"),
            hint=_("Share it with a volunteer, with the output of {command}.").format(
                command=commands.show(commands.REPORT)
            ),
        )


def register(cli: click.Group) -> None:
    cli.add_command(explain)

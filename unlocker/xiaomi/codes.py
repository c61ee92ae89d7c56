"""Every unlock-server code we know, as a plain explanation and the next step (reference 1.4).

The explanations live in the knowledge base (``unlocker/knowledge.yaml``, entries ``mi-CODE``),
shared with ``unlocker explain`` and the command line's error printer: one source for every
explanation, in every language it has.
"""

from __future__ import annotations

from unlocker import commands, knowledge
from unlocker.i18n import _

WAITING_PERIOD = 20036


def _known() -> dict[int, knowledge.Entry]:
    return {code: entry for entry in knowledge.entries() for code in entry.codes}


def known_codes() -> list[int]:
    """Every server code the knowledge base explains."""
    return sorted(_known())


def __getattr__(name: str) -> object:
    # CODES is built on first use so importing this module does not load the knowledge base.
    if name == "CODES":
        return {
            code: (explained.meaning, explained.hint)
            for code, entry in _known().items()
            for explained in [entry.explain("en")]
        }
    raise AttributeError(name)


def explain(code: int, description: str | None = None) -> tuple[str, str]:
    """(explanation, next step) for a server code, translated; unknown codes say so."""
    entry = knowledge.by_code(code)
    if entry is not None:
        explained = entry.explain()
        return explained.meaning, explained.hint
    if description:
        text = _("Xiaomi's server answered with code {code}: {description}.").format(
            code=code, description=description
        )
    else:
        text = _("Xiaomi's server answered with code {code}.").format(code=code)
    return (
        text,
        _("Share {command} output with a volunteer; this code is not known to unlocker yet.").format(
            command=commands.show(commands.REPORT)
        ),
    )

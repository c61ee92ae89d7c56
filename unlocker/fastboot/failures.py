"""Plain-language next steps for the FAIL messages bootloaders send in the field.

The explanations live in the knowledge base (``unlocker/knowledge.yaml``, shared with
``unlocker explain`` and the command line's error printer): one source for every explanation.
The client attaches the hint to the FastbootFailure it raises, so every layer above gets the
explanation with the error.
"""

from __future__ import annotations


def hint_for_failure(message: str) -> str | None:
    """The next step for a bootloader's FAIL text, translated; None when we know nothing better."""
    from unlocker import knowledge  # only once a phone says FAIL: commands that succeed never load it

    return knowledge.hint_for_text(message)

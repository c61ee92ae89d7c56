"""Every message a person reads is wrapped for translation (``_()``), and every ``_()`` is well formed.

The checker lives in tests/i18n_check.py (what counts as a user-facing position is described
there). The first tests prove on small snippets that it catches what it should and accepts the
right way; the last one runs it over the whole package.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.i18n_check import OPT_OUT, check_source, check_tree, format_findings

REPO = Path(__file__).resolve().parent.parent

# A virtual bootloader answers in English, like real ones: the texts these modules send over the
# wire are bootloader replies, not messages of ours, so they stay untranslated and unchecked.
# (The emulator's other modules, its TCP server and `unlocker emulate` are checked as usual.)
WIRE_REPLY_MODULES = (
    "unlocker/emulator/session.py",
    "unlocker/emulator/variables.py",
    "unlocker/emulator/faults.py",
    "unlocker/emulator/usb_*.py",
)


def findings(code: str) -> list[str]:
    return [f"{f.line}: {f.problem}" for f in check_source(textwrap.dedent(code))]


# --- the checker catches ----------------------------------------------------------------------


def test_flags_unwrapped_raise_and_hint() -> None:
    found = findings(
        """
        from unlocker.errors import PreflightError
        raise PreflightError("the phone is locked", hint="Unlock it first.")
        """
    )
    assert len(found) == 2 and all(f.startswith("3: not wrapped") for f in found), found


def test_flags_message_keyword_and_subclass_defined_in_the_module() -> None:
    found = findings(
        """
        from unlocker import errors
        class TooHot(errors.FlashError):
            pass
        raise TooHot(message=f"{name} is too hot")
        """
    )
    assert found == ["5: not wrapped in _() (message=)"], found


def test_flags_fstring_concatenation_format_and_variable_inside_gettext() -> None:
    found = findings(
        """
        from unlocker.i18n import _
        a = _(f"{phone} is locked")
        b = _("the phone " + "is locked")
        c = _("{phone} is locked".format(phone=p))
        d = _(text)
        """
    )
    assert [f.split(":")[0] for f in found] == ["3", "4", "5", "6"], found
    assert "f-string" in found[0] and "concatenation" in found[1] and ".format()" in found[2]


def test_flags_positional_placeholders() -> None:
    found = findings(
        """
        from unlocker.i18n import _, ngettext
        a = _("{} is locked")
        b = _("{0} is locked")
        c = _("%s is locked")
        d = ngettext("{} phone", "{n} phones", n)
        e = _("100% done, {phone} is {state}")
        """
    )
    assert [f.split(":")[0] for f in found] == ["3", "4", "5", "6"], found


def test_flags_bare_echo_info_confirm_and_prompt() -> None:
    found = findings(
        """
        import click
        click.echo("Done.")
        click.echo(f"{phone}: done")
        info("flashing " + name)
        click.prompt("Password", hide_input=True)
        confirm("Erase everything?" if wipe else "Go on?", yes=yes)
        """
    )
    assert [f.split(":")[0] for f in found] == ["3", "4", "5", "6", "7", "7"], found


def test_flags_help_texts_and_command_docstrings() -> None:
    found = findings(
        """
        import click
        @click.command("flash")
        @click.option("--dry-run", is_flag=True, help="Show the plan only.")
        def flash(dry_run):
            \"\"\"Flash an image.\"\"\"
        """
    )
    assert [f.split(":")[0] for f in found] == ["4", "6"], found
    assert "docstring of command 'flash'" in found[1]


def test_flags_fix_and_detail_keywords_and_names_bound_to_literals() -> None:
    found = findings(
        """
        HELP = "Take back control of your phone."
        def check():
            message = f"found {path}"
            return Check("udev", "ok", detail=message, fix="Install the rules.")
        cli = group(help=HELP)
        """
    )
    assert [f.split(":")[0] for f in found] == ["2", "4", "5"], found


# --- the checker accepts ----------------------------------------------------------------------


def test_accepts_wrapped_messages() -> None:
    assert (
        findings(
            """
            import click
            from unlocker.errors import FastbootFailure, PreflightError
            from unlocker.i18n import N_, _, ngettext

            STATES = {"locked": N_("locked")}

            @click.command("doctor", help=_("Check this computer."), short_help=_("Check."))
            @click.option("--json", help=_("Print JSON."))
            def doctor(json):
                \"\"\"For developers: --help prints help=, not this.\"\"\"
                click.echo(_("x {a}").format(a=1))
                click.echo(_(STATES["locked"]))
                click.echo(ngettext("{n} phone", "{n} phones", n).format(n=n))
                click.echo("    " + _("fix: {fix}").format(fix=fix))
                click.echo(json.dumps(data))
                click.echo("")
                click.echo("-" * 40)
                click.echo(text)
                log.info("flashing %s", name)
                raise PreflightError(_("{phone} is locked").format(phone=name), hint=hint)
            raise FastbootFailure("flash:boot", reply)
            """
        )
        == []
    )


def test_opt_out_comment() -> None:
    assert findings(f'import click\nclick.echo("OKAY")  {OPT_OUT}\n') == []
    assert findings('import click\nclick.echo("OKAY")\n') != []


def test_report_is_grouped_by_file_with_counts(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "a.py").write_text('import click\nclick.echo("one")\nclick.echo("two")\n')
    (package / "b.py").write_text('import click\nclick.echo("three")\n')
    (package / "wire.py").write_text('import click\nclick.echo("OKAY")\n')
    found = check_tree(package, exclude=["pkg/wire.py"])
    report = format_findings(found)
    assert report.splitlines()[0] == "3 unwrapped or malformed message(s) in 2 file(s):"
    assert "pkg/a.py (2)" in report and "pkg/a.py:3: not wrapped" in report and "wire.py" not in report


# --- the package ------------------------------------------------------------------------------


def test_excluded_modules_exist() -> None:
    for pattern in WIRE_REPLY_MODULES:
        assert list(REPO.glob(pattern)), f"{pattern} matches nothing: update WIRE_REPLY_MODULES"


def test_every_user_facing_message_is_wrapped() -> None:
    found = check_tree(REPO / "unlocker", exclude=WIRE_REPLY_MODULES, base=REPO)
    if found:
        pytest.fail(format_findings(found), pytrace=False)

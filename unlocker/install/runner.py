"""Running an install plan step by step, recording each finished step, and resuming it.

Each step is announced (``Step 4/12: ...``) with what the person must do with their hands, runs,
is checked where the phone can tell (the mode after a reboot, every flashed piece acknowledged,
the recovery's verdict on the package), and is written to the journal as done. A failure, Ctrl-C
or a crash leaves the journal at the last finished step; :meth:`Runner.resume` re-checks what
the finished steps left (same phone, still unlocked, same slot) and brings the phone back to the
mode the journey stood in before going on. No step sends ``flashing lock`` or ``oem lock``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from unlocker import commands
from unlocker.device.connect import connect_fastboot
from unlocker.device.facts import read_facts
from unlocker.errors import PreflightError, SideloadFailed, UnlockerError
from unlocker.flashing.engine import FlashResult, execute
from unlocker.flashing.image import inspect_image
from unlocker.flashing.plan import plan_flash
from unlocker.flashing.progress import FlashReporter
from unlocker.i18n import _
from unlocker.install.artefacts import Progress
from unlocker.install.journal import Journal
from unlocker.install.link import PhoneLink, Seen, satisfies
from unlocker.install.plan import (
    ROLE_SIDELOAD_MENU,
    ROLE_UNLOCK,
    STOCK,
    PlannedArtefact,
    PlannedStep,
    entry_modes,
    mode_words,
)
from unlocker.install.preflight import check_identity, wrong_phone


class InstallUI(Protocol):
    """How the runner talks to the person (the CLI), or to a test."""

    def announce(self, step: PlannedStep, total: int) -> None: ...
    def note(self, message: str) -> None: ...
    def acknowledge(self, step: PlannedStep) -> None:
        """An instruct step with ``confirm``: wait for Enter (or accept for --yes); raise Aborted otherwise."""
        ...

    def confirm(self, question: str) -> None: ...
    def finished(self, step: PlannedStep, total: int, record: dict[str, Any]) -> None: ...
    def flash_reporter(self) -> FlashReporter: ...
    def bytes_progress(self) -> Progress | None: ...


def resume_hint(hint: str | None) -> str:
    then = _("Then continue with {command}; finished steps are not redone.").format(
        command=commands.show(commands.INSTALL_RESUME)
    )
    return f"{hint} {then}" if hint else then


class Runner:
    def __init__(
        self, journal: Journal, link: PhoneLink, ui: InstallUI, *, unlocked: bool | None = None
    ) -> None:
        self.journal = journal
        self.plan = journal.plan
        self.link = link
        self.ui = ui
        self.unlocked = unlocked  # what the bootloader last said (unlock instructions are then moot)

    # --- the loop -----------------------------------------------------------------------------

    def run(self) -> None:
        """Run every unfinished step in order; the journal records each one as it finishes."""
        total = self.plan.total
        try:
            while (number := self.journal.first_unfinished()) is not None:
                step = self.plan.steps[number - 1]
                self.ui.announce(step, total)
                detail = self._run_step(step)
                record = self.journal.mark_done(number, detail)
                self.ui.finished(step, total, record)
            self.journal.finish()
        except BaseException as e:
            self._stopped(e)
            raise
        finally:
            self.link.close()

    def _stopped(self, error: BaseException) -> None:
        """Record why the journey stopped; the steps done so far stay done."""
        if isinstance(error, UnlockerError):
            self.journal.stop(str(error))
            error.hint = resume_hint(error.hint)
        elif isinstance(error, KeyboardInterrupt):
            self.journal.stop(_("interrupted (Ctrl+C)"))
        else:  # a prompt answered with Ctrl+C, or a bug (its report is written by the CLI)
            self.journal.stop(_("interrupted, or stopped by an unexpected error"))

    def resume(self, seen: Seen) -> None:
        """Re-check what the finished steps left, bring the phone back to where the journey stood, go on."""
        number = self.journal.first_unfinished()
        if number is None:
            self.journal.finish()
            return
        try:
            self._recheck(seen)
            number = self.journal.first_unfinished()
            assert number is not None
            self.ui.note(
                _("Resuming at step {number}/{total}: {text}").format(
                    number=number, total=self.plan.total, text=self.plan.steps[number - 1].text
                )
            )
            self.bring_to(entry_modes(self.plan)[number - 1])
        except BaseException as e:
            self._stopped(e)
            self.link.close()
            raise
        self.run()

    # --- resuming -----------------------------------------------------------------------------

    def _recheck(self, seen: Seen) -> None:
        """What the finished steps left, as far as the phone tells in its mode (the bootloader
        says it all; a recovery with a shell says lock state and slot; sideload mode nothing)."""
        if seen.unlocked is False:
            raise PreflightError(
                _("the bootloader is locked now; what the install wrote cannot be used on a locked phone"),
                hint=_("Unlock it again with {command}, then run the install from the start.").format(
                    command=commands.show(commands.UNLOCK)
                ),
            )
        self.unlocked = seen.unlocked
        for step in self.plan.steps:
            if step.action not in ("flash", "wipe_super") or not self.journal.done(step.number):
                continue
            slot = self.journal.detail(step.number).get("slot")
            if slot and seen.current_slot and slot != seen.current_slot:
                # The phone now starts from the other slot: what was written went to the slot it
                # left. Writing the same image again to the active slot is safe, and needed.
                self.ui.note(
                    _(
                        "Step {number}: the active slot changed from {old} to {new}; {partition} is written again."
                    ).format(
                        number=step.number,
                        old=slot,
                        new=seen.current_slot,
                        partition=step.partition or self.plan.artefact(str(step.artefact)).filename,
                    )
                )
                self.journal.mark_pending(step.number, _("the active slot changed"))

    def bring_to(self, mode: str | None) -> None:
        """Bring the phone to ``mode`` (where the journey stood), over whichever link it is on."""
        if mode is None or mode == "system":
            return
        seen = self.link.probe()
        if seen is not None and satisfies(seen.mode, mode):
            return
        self.ui.note(
            _("The phone is in {found}; bringing it back to {mode}.").format(
                found=mode_words(seen.mode) if seen else _("no mode it can be reached in"),
                mode=mode_words(mode),
            )
        )
        if seen is not None:
            self._check(seen)
        if mode in ("bootloader", "fastbootd"):
            if seen is not None:
                self.link.reboot(mode)
            self._wait(mode)
            return
        if mode == "recovery":
            if seen is not None and seen.in_fastboot:
                boot_step = next((s for s in self.plan.steps if s.action == "boot"), None)
                if boot_step is not None:
                    self._boot(boot_step)  # this phone's recovery is booted, not flashed: boot it again
                else:
                    self.link.reboot("recovery")
            elif seen is not None:
                self.link.reboot("recovery")
            self._wait("recovery")
            return
        if mode == "sideload":
            self.bring_to("recovery")
            seen = self.link.probe()
            if seen is not None and seen.mode == "sideload":
                return
            try:
                self.link.reboot("sideload")
            except UnlockerError:
                menu = next((s for s in self.plan.steps if s.role == ROLE_SIDELOAD_MENU), None)
                if menu is not None:
                    self.ui.acknowledge(menu)
            self._wait("sideload")

    # --- steps --------------------------------------------------------------------------------

    def _check(self, seen: Seen) -> None:
        check_identity(self.plan, seen, self.journal.phone.get("serial"))

    def _wait(self, mode: str) -> Seen:
        seen = self.link.wait_for(mode)
        self._check(seen)
        if seen.in_fastboot and seen.unlocked is not None:
            self.unlocked = seen.unlocked
        return seen

    def _run_step(self, step: PlannedStep) -> dict[str, Any]:
        action = step.action
        if action == "instruct":
            return self._instruct(step)
        if action == "reboot":
            return self._reboot(step)
        if action == "wait_for":
            seen = self._wait(str(step.mode))
            return {
                "mode": seen.mode,
                "verified": _("the phone answered in {mode}").format(mode=mode_words(seen.mode)),
            }
        if action == "flash":
            return self._flash(step)
        if action == "wipe_super":
            return self._wipe_super(step)
        if action == "boot":
            return self._boot(step)
        if action == "sideload":
            return self._sideload(step)
        if action == STOCK:
            return self._stock(step)
        raise UnlockerError(
            _("step {number}: unlocker cannot run '{action}'").format(number=step.number, action=action)
        )

    def _instruct(self, step: PlannedStep) -> dict[str, Any]:
        if step.role == ROLE_UNLOCK and self.unlocked:
            self.ui.note(_("Already done: the bootloader reports that it is unlocked."))
            return {"satisfied": "bootloader unlocked"}
        if step.confirm:
            self.ui.acknowledge(step)
            return {"acknowledged": True}
        return {}

    def _reboot(self, step: PlannedStep) -> dict[str, Any]:
        target = str(step.mode)
        seen = self.link.probe()
        if seen is not None:
            self._check(seen)
        if seen is not None and target != "system" and satisfies(seen.mode, target):
            self.ui.note(_("The phone is already in {mode}.").format(mode=mode_words(seen.mode)))
            return {"already": seen.mode}
        if seen is None:
            # Not reachable over USB (Android without USB debugging, or switched off): the person
            # does it with the buttons; the next wait checks it happened.
            if step.hands:
                self.ui.note(step.hands)
            return {"by_hand": True}
        self.link.reboot(target)
        return {"from": seen.mode}

    def _path(self, step: PlannedStep) -> Path:
        item = self.plan.artefact(str(step.artefact))
        assert item.path is not None, "artefacts are obtained before the run"
        return Path(item.path)

    def _fastboot_facts(self, step: PlannedStep) -> tuple[Any, Any]:
        client = self.link.fastboot()
        facts = read_facts(
            client,
            partitions=[step.partition] if step.partition else [],
            variables=self.link.variables,  # what this session already said is not asked again
        )
        if not self.plan.names_phone(facts.product):
            raise wrong_phone(self.plan, facts.product)
        if facts.unlocked is not None:
            self.unlocked = facts.unlocked
        return client, facts

    def _flash(self, step: PlannedStep) -> dict[str, Any]:
        client, facts = self._fastboot_facts(step)
        item = self.plan.artefact(str(step.artefact))
        plan = plan_flash(facts, str(step.partition), inspect_image(self._path(step)))
        name = self.link.name
        result = execute(
            client,
            plan,
            confirm=self.ui.confirm,
            reconnect=lambda: connect_fastboot(name, wait=self.link.timeout),
            reporter=self.ui.flash_reporter(),
        )
        if result.client is not None and result.client is not client:
            client.close()
            self.link.adopt(result.client)
        if self.link.variables is not None:
            # Writing a partition can change what the phone says about partitions (a logical
            # one is resized in fastbootd); the rest holds until the phone reboots.
            variables = self.link.variables
            variables.forget(*(name for name in variables.asked if ":" in name))
        return _written(result, facts.current_slot, item)

    def _wipe_super(self, step: PlannedStep) -> dict[str, Any]:
        from unlocker.flashing.wipe_super import (
            empty_super,
            execute_wipe_super,
            plan_wipe_super,
            read_wipe_facts,
        )

        client = self.link.fastboot()
        item = self.plan.artefact(str(step.artefact))
        name = self.link.name
        with empty_super(self._path(step)) as empty:  # a damaged file is refused before any write
            facts, super_name = read_wipe_facts(client, empty)
            if not self.plan.names_phone(facts.product):
                raise wrong_phone(self.plan, facts.product)
            if facts.unlocked is not None:
                self.unlocked = facts.unlocked
            plan = plan_wipe_super(facts, super_name, empty)
            result = execute_wipe_super(
                client,
                plan,
                confirm=self.ui.confirm,
                reconnect=lambda: connect_fastboot(name, wait=self.link.timeout),
                reporter=self.ui.flash_reporter(),
                note=self.ui.note,
            )
        if result.client is not None and result.client is not client:
            client.close()  # the phone dropped and came back mid-write: keep the new link
            self.link.adopt(result.client)
        return _written(result, facts.current_slot, item)

    def _boot(self, step: PlannedStep) -> dict[str, Any]:
        client, facts = self._fastboot_facts(step)
        if facts.unlocked is False:
            raise PreflightError(
                _("the bootloader is locked, so the recovery cannot be started"),
                hint=_("Unlock it first: {command}.").format(command=commands.show(commands.UNLOCK)),
            )
        path = self._path(step)
        reporter = self.ui.flash_reporter()
        size = path.stat().st_size
        reporter.transfer_started(path.name, size)
        try:
            with open(path, "rb") as f:
                client.download(f, size, progress=reporter.transferred)
        finally:
            reporter.transfer_done()
        client.boot()
        self.link.close()
        return {"booted": path.name}

    def _stock(self, step: PlannedStep) -> dict[str, Any]:
        from unlocker.stock import apply_stock, plan_stock

        client, _facts = self._fastboot_facts(step)
        item = self.plan.artefact(str(step.artefact))
        stock = plan_stock(client, self._path(step))  # its own checks: model, anti-rollback, no lock
        result = apply_stock(
            client, stock, confirm=self.ui.confirm, reporter=self.ui.flash_reporter(), reboot=False
        )
        if self.link.variables is not None:
            self.link.variables.forget()  # a whole firmware was written
        return {
            "file": item.filename,
            "sha256": item.sha256,
            "version": stock.version,
            "written": result.written,
            "erased": result.erased,
            "verified": _("the phone accepted every piece"),
        }

    def _sideload(self, step: PlannedStep) -> dict[str, Any]:
        link = self.link.adb("sideload")
        item = self.plan.artefact(str(step.artefact))
        progress = self.ui.bytes_progress()
        path = self._path(step)
        if progress is not None:
            progress.start(path.name, item.size)
        try:
            outcome = link.sideload(
                path, (lambda done, total: progress.update(done, total)) if progress is not None else None
            )
        finally:
            if progress is not None:
                progress.done()
        self.link.close()
        return {
            "file": item.filename,
            "sha256": item.sha256,
            "bytes": item.size,
            "outcome": outcome,
            "verified": self._verdict(item.filename, item.sha256),
        }

    def _verdict(self, filename: str, sha256: str | None) -> str:
        """Ask the recovery, back at its menu, what became of the package (``last_install``)."""
        try:
            seen = self.link.wait_for("recovery", exact=True)
        except UnlockerError:
            # Some recoveries reboot by themselves after a sideload, or offer no adb at the menu.
            return _("the recovery took the whole package; it did not say more (check its screen)")
        record = seen.last_install
        if not record:
            return _("the recovery took the whole package; it keeps no record to check")
        if record.get("ok") != "1":
            raise SideloadFailed(
                _("the recovery could not install {file}: {reason}").format(
                    file=filename, reason=record.get("error") or _("no reason given")
                ),
                hint=_("Check the phone's screen for the recovery's message."),
            )
        if sha256 and record.get("sha256") and record["sha256"] != sha256:
            raise SideloadFailed(
                _("the recovery installed a package whose sha256 differs from {file}'s").format(
                    file=filename
                ),
                hint=_("Send it again: choose Apply from ADB on the phone."),
            )
        return _("the recovery reports {file} installed").format(file=filename)


def _written(result: FlashResult, slot: str | None, item: PlannedArtefact) -> dict[str, Any]:
    """The journal's record of a step that wrote partitions."""
    return {
        "written": result.written,
        "slot": slot,
        "file": item.filename,
        "sha256": item.sha256,
        "bytes_sent": result.bytes_sent,
        "pieces": result.pieces,
        "verified": _("the phone accepted every piece"),
    }

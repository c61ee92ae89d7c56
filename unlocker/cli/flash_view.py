"""`unlocker flash`'s work, without click, and the progress-bar run it shares with ``wipe-super``.

Flashing one image is the command people time against Google's fastboot, so
:mod:`unlocker.cli.quick` runs its usual forms without loading click (issue 15: a fast start).
The ``flash`` command in :mod:`unlocker.cli.flash_cmds` calls the same :func:`flash_image`, so
both paths print the same bytes; nothing here may import click or :mod:`unlocker.cli.common`.
"""

from __future__ import annotations

import os

from unlocker.cli.interaction import confirm, open_phone, progress_enabled, show_plan
from unlocker.cli.output import echo, print_json
from unlocker.device.connect import connect_fastboot
from unlocker.flashing.image import inspect_image
from unlocker.flashing.preflight import read_flash_facts
from unlocker.i18n import _

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from unlocker.fastboot.client import FastbootClient
    from unlocker.flashing.engine import FlashResult

REBOOT_WAIT = 90.0  # seconds a phone may take to come back in fastbootd


def _mib(n: float) -> str:
    return f"{n / (1024 * 1024):.1f} MiB"


def flash_image(
    partition: str,
    image: str | os.PathLike[str],
    *,
    slot: str | None,
    serial: str | None,
    yes: bool,
    force_critical: bool,
    dry_run: bool,
    no_progress: bool,
    as_json: bool,
) -> None:
    """Write ``image`` into ``partition`` of the named phone (or show the plan), and say what was done."""
    from unlocker.flashing.engine import execute
    from unlocker.flashing.plan import plan_flash

    img = inspect_image(image)
    file = img.file_name  # the file named in questions and the summary
    with open_phone(serial) as client:
        plan = plan_flash(
            read_flash_facts(client, partition), partition, img, slot=slot, force_critical=force_critical
        )
        if show_plan(plan, client.name, dry_run=dry_run, as_json=as_json):
            return
        for question in plan.questions:
            confirm(question, yes=yes)
        plan.questions = []  # asked here, before the usual question: execute must not ask them again
        confirm(
            _("Write {file} to {partitions} on {phone}?").format(
                file=file, partitions=", ".join(plan.targets), phone=client.name
            ),
            yes=yes,
        )
        name = client.name
        result = run_with_bar(execute, client, plan, yes=yes, no_progress=no_progress)
    if as_json:
        print_json(
            {
                "phone": name,
                "written": result.written,
                "pieces": result.pieces,
                "bytes_sent": result.bytes_sent,
                "seconds": round(result.seconds, 3),
            }
        )
    else:
        echo(
            _(
                "wrote {file} ({size}) to {partitions} on {phone} in {pieces} piece(s), {seconds} s ({rate}/s)"
            ).format(
                file=file,
                size=_mib(img.expanded_size),
                partitions=", ".join(result.written),
                phone=name,
                pieces=result.pieces,
                seconds=f"{result.seconds:.1f}",
                rate=_mib(result.rate),
            )
        )


def run_with_bar(
    run: Callable[..., FlashResult],
    client: FastbootClient,
    plan: object,
    *,
    yes: bool,
    no_progress: bool,
    **extra: object,
) -> FlashResult:
    """Run a confirmed plan with a progress bar, reconnecting to the same phone if it drops;
    a link opened on the way is closed afterwards (the caller closes ``client``)."""
    from unlocker.cli.progress import BarReporter  # tqdm and the bar only when something is written

    name = client.name
    reporter = BarReporter(progress_enabled(no_progress))
    try:
        result = run(
            client,
            plan,
            confirm=lambda q: confirm(q, yes=yes),
            reconnect=lambda: connect_fastboot(name, wait=REBOOT_WAIT),
            reporter=reporter,
            **extra,
        )
    finally:
        reporter.close()
    if result.client is not None and result.client is not client:
        result.client.close()
    return result

"""`unlocker status`'s work and its table, without click.

The status of a phone is the command people run most, often in a loop; :mod:`unlocker.cli.quick`
runs it without loading click (the ``status`` command in :mod:`unlocker.cli.device_cmds` calls
the same :func:`show_status`), so nothing here may import click or :mod:`unlocker.cli.common`.
"""

from __future__ import annotations

from unlocker.cli.output import echo, info, print_json
from unlocker.device.facts import read_facts
from unlocker.device.state import status_report
from unlocker.errors import DeviceDisconnected, DeviceNotFound, ProtocolError, TransportTimeout
from unlocker.i18n import N_, _

_LABELS = (
    ("mode", N_("Mode")),
    ("product", N_("Product (codename)")),
    ("serial", N_("Serial")),
    ("unlocked", N_("Bootloader unlocked")),
    ("critical_unlocked", N_("Critical partitions unlocked")),
    ("secure", N_("Secure boot")),
    ("unlock_ability", N_("Unlock allowed (flashing)")),
    ("anti_rollback", N_("Anti-rollback index")),
    ("slot_count", N_("Slots")),
    ("current_slot", N_("Current slot")),
    ("max_download_size", N_("Max download size")),
    ("battery", N_("Battery")),
)


def _human(value: object, key: str) -> str:
    if value is None:
        return _("unknown")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key == "max_download_size" and isinstance(value, int):
        return _("{size} bytes ({mib} MiB)").format(size=value, mib=f"{value / (1024 * 1024):.0f}")
    if key == "battery" and isinstance(value, dict):
        parts = []
        if value.get("voltage_mv") is not None:
            parts.append(_("{voltage} mV").format(voltage=value["voltage_mv"]))
        if value.get("soc_ok") is not None:
            parts.append(_("charge ok") if value["soc_ok"] else _("charge LOW"))
        return ", ".join(parts) or _("unknown")
    return str(value)


def print_status_table(report: dict[str, object], name: str) -> None:
    from unlocker.index.platforms import platform_of

    echo(_("Phone {phone}").format(phone=name))
    labels = [(key, _(label)) for key, label in _LABELS]
    width = max(len(label) for _key, label in labels)
    platform = report["mode"] == "bootloader" and platform_of(report["product"])
    for key, label in labels:
        value = _human(report[key], key)
        if key == "product" and platform:
            value = _("{product} (a platform name, not the codename)").format(product=report["product"])
        echo(f"  {label:<{width}}  {value}")  # i18n: not user-facing (layout)
    echo("")
    echo(_("Next step: {step}").format(step=report["next_step"]))


def _status_over_adb(serial: str | None, not_fastboot: Exception) -> tuple[dict[str, object], str]:
    """No fastboot there: perhaps the phone is in recovery. If adb finds nothing either, the
    fastboot error stands (it names the mode most people look for)."""
    from unlocker.device.adb_facts import read_adb_facts
    from unlocker.device.connect import connect_adb

    try:
        client = connect_adb(serial, notify=info)
    except (DeviceNotFound, DeviceDisconnected, ProtocolError, TransportTimeout):
        # `from None` would erase the fastboot error's own cause; the adb attempt stays as context.
        raise not_fastboot  # noqa: B904
    with client:
        return status_report(read_adb_facts(client)), client.name


def show_status(serial: str | None, as_json: bool) -> None:
    """Report the named phone's lock state and next step: a table, or the JSON object."""
    from unlocker.device.connect import connect_fastboot

    try:
        fastboot = connect_fastboot(serial)
    except (DeviceNotFound, DeviceDisconnected, ProtocolError, TransportTimeout) as not_fastboot:
        report, name = _status_over_adb(serial, not_fastboot)
    else:
        with fastboot as client:
            report = status_report(read_facts(client, full=True))
            name = client.name
    if as_json:
        print_json(report)
    else:
        print_status_table(report, name)

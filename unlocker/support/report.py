"""The support report: facts a volunteer needs, with nothing secret or identifying left in it.

Everything is collected first, then redacted as a whole (:mod:`unlocker.support.redact`): by key,
then a final pass over every string, knowing the identifiers this computer holds (the phone's
name and serial, the serials of phones on USB, the Mi account's ids, the home folder and the
user name) so that none of them survives in free text such as a check's detail.
"""

from __future__ import annotations

import datetime as dt
import getpass
import platform
from pathlib import Path
from typing import Any

from unlocker import __version__, paths
from unlocker.errors import UnlockerError
from unlocker.support.doctor import run_checks
from unlocker.support.redact import Redactor, installation_key


def build_report(device_name: str | None, *, include_phone: bool = True) -> dict[str, Any]:
    """Collect environment checks and, when a phone answers, its state and variables; then redact."""
    report: dict[str, Any] = {
        "unlocker_version": __version__,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "checks": [c.to_json() for c in run_checks()],
        "phone": None,
        "installs": _installs(),  # the install journals: steps done, last error
    }
    identifiers: list[str] = [*_usb_serials(), *_account_ids()]
    if device_name:
        identifiers.append(device_name)
    if include_phone:
        report["phone"] = _phone_section(device_name, identifiers)
    redactor = Redactor(
        installation_key(paths.config_dir()),
        identifiers=identifiers,
        home=_home(),
        user=_user(),
    )
    redactor.secret_values(_account_secrets())
    return redactor.redact(report)


def _phone_section(device_name: str | None, identifiers: list[str]) -> dict[str, Any]:
    from unlocker.device.connect import connect_fastboot
    from unlocker.device.facts import read_facts
    from unlocker.device.state import status_report

    try:
        client = connect_fastboot(device_name)
    except UnlockerError as e:
        return {"reachable": False, "error": str(e)}
    identifiers.append(client.name)  # a USB phone's name is its serial number
    if client.name.startswith("tcp:"):
        identifiers.append(client.name[4:])
    try:
        state = status_report(read_facts(client, full=True))  # as `unlocker status --json` shows it
        variables = client.getvar_all()
    except UnlockerError as e:
        return {"reachable": True, "error": str(e)}
    finally:
        client.close()
    transport = "tcp" if client.name.startswith("tcp:") else "usb"
    return {"reachable": True, "transport": transport, "state": state, "variables": variables}


def _usb_serials() -> list[str]:
    try:
        from unlocker.fastboot.protocol import FASTBOOT_USB
        from unlocker.transport.usb import list_usb_devices

        return [p.serial for p in list_usb_devices(FASTBOOT_USB) if p.serial]
    except Exception:  # no libusb, no permission: then the report lists no USB serials either
        return []


def _account_ids() -> list[str]:
    session = _account()
    return [v for v in (getattr(session, "user_id", None), getattr(session, "device_id", None)) if v]


def _account_secrets() -> list[str]:
    token = getattr(_account(), "pass_token", None)
    return [token] if token else []


def _account() -> object | None:
    try:
        from unlocker.xiaomi.session import load_session

        return load_session()
    except (UnlockerError, OSError):
        return None


def _home() -> str | None:
    try:
        return str(Path.home())
    except (RuntimeError, KeyError):
        return None


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return None


def _installs() -> list[dict[str, object]]:
    # Imported here: the journals pull in the index (and YAML), which `unlocker --help` never needs.
    from unlocker.install.journal import report_section

    return report_section()

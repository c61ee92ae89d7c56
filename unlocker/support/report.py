"""The support report: facts a volunteer needs, with nothing secret or identifying left in it."""

from __future__ import annotations

import datetime as dt
import platform
from typing import Any

from unlocker import __version__
from unlocker.errors import UnlockerError
from unlocker.install.journal import report_section
from unlocker.support.doctor import run_checks
from unlocker.support.redact import redact


def build_report(device_name: str | None, *, include_phone: bool = True) -> dict[str, Any]:
    """Collect environment checks and, when a phone answers, its state and variables; then redact."""
    report: dict[str, Any] = {
        "unlocker_version": __version__,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "checks": [c.to_json() for c in run_checks()],
        "phone": None,
        "installs": report_section(),  # the install journals: steps done, last error
    }
    if include_phone:
        report["phone"] = _phone_section(device_name)
    return redact(report)


def _phone_section(device_name: str | None) -> dict[str, Any]:
    from unlocker.device.connect import connect_fastboot
    from unlocker.device.facts import read_facts
    from unlocker.device.state import status_report

    try:
        client = connect_fastboot(device_name)
    except UnlockerError as e:
        return {"reachable": False, "error": str(e)}
    try:
        state = status_report(read_facts(client, full=True))  # as `unlocker status --json` shows it
        variables = client.getvar_all()
    except UnlockerError as e:
        return {"reachable": True, "error": str(e)}
    finally:
        client.close()
    # Transport names may carry USB serials; the redactor tags the "serial" key, so keep kind only.
    return {"reachable": True, "transport": client.name.split(":")[0], "state": state, "variables": variables}

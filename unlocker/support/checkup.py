"""Everything `unlocker doctor` checks: the basic checks of :mod:`unlocker.support.doctor`, the
ones that apply only on some computers (:mod:`unlocker.support.host_checks`) and, on request,
the network (:mod:`unlocker.support.network`)."""

from __future__ import annotations

from collections.abc import Callable

from unlocker.support import host_checks
from unlocker.support.doctor import Check, run_checks

#: Checks that return None where they do not apply (not Windows, not a virtual machine, ...).
WHERE_THEY_APPLY: tuple[Callable[[], Check | None], ...] = (
    host_checks.check_windows_driver,
    host_checks.check_virtualization,
    host_checks.check_adb_server,
)


def run_all(*, network: bool = False) -> list[Check]:
    found = run_checks()
    found += [c for c in (check() for check in WHERE_THEY_APPLY) if c is not None]
    if network:
        from unlocker.support.network import check_network

        found += check_network()
    return found

"""The exception hierarchy shared by every layer.

Every error carries a sentence a user can act on. The CLI prints ``str(error)``
(plus the ``hint`` when there is one) on a single line and exits with
``error.exit_code``; library users catch the classes.
"""

from __future__ import annotations

# Exit codes the CLI documents in --help. Keep them stable: scripts depend on them.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_WAITING_PERIOD = 3  # Mi Unlock: the server-side waiting period is not over yet


class UnlockerError(Exception):
    """Base class: a failure we understand and can explain."""

    exit_code = EXIT_FAILED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(UnlockerError):
    """The user asked for something that cannot work as asked (bad argument, bad name)."""

    exit_code = EXIT_USAGE


# --- transports -------------------------------------------------------------------------------


class TransportError(UnlockerError):
    """The byte pipe to the phone failed."""


class DeviceNotFound(TransportError):
    """No phone answered under the given name."""


class DevicePermissionError(TransportError):
    """The phone is there but the OS does not let us open it (udev rules on Linux)."""


class UsbBackendMissing(TransportError):
    """pyusb found no libusb backend."""


class DeviceDisconnected(TransportError):
    """The phone went away mid-conversation (unplugged, rebooted, cable)."""


class TransportTimeout(TransportError):
    """The phone did not answer in time."""


# --- protocol ---------------------------------------------------------------------------------


class ProtocolError(UnlockerError):
    """The phone answered something that is not fastboot (garbage, truncated frame)."""


class FastbootFailure(UnlockerError):
    """The phone answered FAIL. ``device_message`` is the phone's own text, verbatim."""

    def __init__(
        self, command: str, device_message: str, *, hint: str | None = None, device: str | None = None
    ) -> None:
        self.command = command
        self.device_message = device_message
        self.device = device
        where = f"{device}: " if device else ""
        super().__init__(f"{where}'{command}' failed: the phone says '{device_message}'", hint=hint)


class VariableUnknown(FastbootFailure):
    """getvar of a variable this bootloader does not publish."""


# --- images, planning, safety -----------------------------------------------------------------


class ImageError(UnlockerError):
    """An image file is corrupt, truncated or not what it claims to be."""


class PreflightError(UnlockerError):
    """A safety check refused a destructive step before anything was touched."""


class Aborted(UnlockerError):
    """The user declined a confirmation."""

"""The exception family shared by every layer, in one place.

Every error carries a sentence a person can act on (already translated: raise sites wrap their
text in ``_()``) and, where it helps, a ``hint`` saying what to do next. The CLI prints
``str(error)`` and the hint on one line each and exits with ``error.exit_code``; library users
catch the classes. Raise sites chain the low-level cause (``raise ... from e``) so ``--debug``
can show it; nothing here prints.
"""

from __future__ import annotations

import errno
import os

from unlocker.i18n import _

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any

# Exit codes the CLI documents in --help. Keep them stable: scripts depend on them.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_WAITING_PERIOD = 3  # Mi Unlock: the server-side waiting period is not over yet
EXIT_INTERRUPTED = 130  # Ctrl+C, as shells report SIGINT
EXIT_TERMINATED = 143  # SIGTERM (kill, a service manager, a closing terminal session)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is (the CLI installs the handler), so that everything
    that cleans up after Ctrl+C (partial files, what a flash may have changed) runs for it too."""


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


class Aborted(UnlockerError):
    """The user declined a confirmation (or none could be asked)."""


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


class PhoneBusy(TransportError):
    """Another unlocker command holds this phone (the per-phone lock)."""


# --- protocols --------------------------------------------------------------------------------


class ProtocolError(UnlockerError):
    """The phone answered something that is not the protocol (garbage, truncated frame)."""


class FastbootFailure(UnlockerError):
    """The phone answered FAIL. ``device_message`` is the phone's own text, verbatim.

    ``explain`` (the phone's text -> a hint) runs when the hint is first read, not when the error
    is raised: most FAILs are answers, not errors (``getvar`` of a variable this bootloader does
    not publish), and looking a hint up loads the whole knowledge base.
    """

    def __init__(
        self,
        command: str,
        device_message: str,
        *,
        hint: str | None = None,
        device: str | None = None,
        explain: Callable[[str], str | None] | None = None,
    ) -> None:
        self.command = command
        self.device_message = device_message
        self.device = device
        if device:
            text = _("{phone}: '{command}' failed: the phone says '{reply}'")
        else:
            text = _("'{command}' failed: the phone says '{reply}'")
        super().__init__(text.format(phone=device, command=command, reply=device_message), hint=hint)
        self._explain = None if hint is not None else explain

    @property  # type: ignore[override]
    def hint(self) -> str | None:
        if self._explain is not None:
            explain, self._explain = self._explain, None
            self._hint = explain(self.device_message)
        return self._hint

    @hint.setter
    def hint(self, value: str | None) -> None:
        self._hint = value
        self._explain = None


class VariableUnknown(FastbootFailure):
    """getvar of a variable this bootloader does not publish."""


class AdbUnauthorized(UnlockerError):
    """The phone did not accept this computer's adb key (its owner allows it on the phone's screen)."""


class ServiceRefused(UnlockerError):
    """The phone refused an adb service: not offered in the mode it is in."""


class SideloadFailed(UnlockerError):
    """The recovery said it could not install the package it was sent."""


# --- images, planning, flashing ---------------------------------------------------------------


class ImageError(UnlockerError):
    """An image file is corrupt, truncated or not what it claims to be."""


class PreflightError(UnlockerError):
    """A safety check refused a destructive step before anything was touched."""


class FlashError(UnlockerError):
    """Flashing stopped part-way; the message names the partition and the piece, and says what is
    known of the partition's state (data sent or not, write confirmed or not)."""


class FlashInterrupted(FlashError):
    """Ctrl+C or SIGTERM during a flash; exits 130 or 143 like the signal would."""

    def __init__(self, message: str, *, terminated: bool, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.exit_code = EXIT_TERMINATED if terminated else EXIT_INTERRUPTED


# --- firmware packages ------------------------------------------------------------------------


class PackageError(UnlockerError):
    """A firmware package (fastboot ROM, OTA zip, payload) is damaged, hostile or not understood."""


class RollbackRefused(PreflightError):
    """The package is older than the phone's anti-rollback index: flashing it would brick the phone."""


class DiskSpaceError(UnlockerError):
    """Unpacking on this computer failed: not enough free space, or the folder cannot be written."""


# --- unlocking --------------------------------------------------------------------------------


class NoUnlockFlow(UnlockerError):
    """No unlock flow is known for this phone (or the index says it cannot be unlocked)."""


class TokenUnavailable(UnlockerError):
    """The bootloader gives no unlock token: not a Xiaomi bootloader, or not in the right mode."""


class WaitingPeriodNotOver(UnlockerError):
    """Xiaomi's server-side waiting period is not over yet (exit code 3)."""

    exit_code = EXIT_WAITING_PERIOD


class UnlockRefused(UnlockerError):
    """The vendor's server refused the unlock; ``code`` is its numeric answer."""

    def __init__(self, message: str, *, code: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code


# --- Mi account and servers -------------------------------------------------------------------


class LoginError(UnlockerError):
    """The Mi account server did not let us in (wrong password, captcha, second factor, network)."""


class NotLoggedIn(UnlockerError):
    """No stored Mi account session."""


class UnlockServerError(UnlockerError):
    """Xiaomi's unlock server failed or refused a request; ``code`` is its answer when it gave one."""

    def __init__(self, message: str, *, code: int | None = None, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.code = code


class ResponseDecodeError(UnlockerError):
    """The unlock server's answer could not be decrypted or parsed."""


# --- firmware index and downloads -------------------------------------------------------------


class IndexInvalid(UnlockerError):
    """The index data has problems; ``issues`` lists each with file and line."""

    def __init__(self, message: str, issues: Sequence[Any], *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.issues = list(issues)


class NotInIndex(UsageError):
    """A codename the index does not know (exit code 2, like any bad name on the command line)."""


class UpdateError(UnlockerError):
    """A refresh failed for one ROM and device; the previous cache is intact."""


class DownloadError(UnlockerError):
    """No source delivered the artifact with the right checksum."""


# --- the computer's own files ----------------------------------------------------------------


class FileAccessError(UnlockerError):
    """The operating system refused a file operation: a missing folder, no permission, a full
    disk, a file too large for the file system. The CLI turns any OSError it did not expect into
    one of these (:meth:`from_os_error`), so such a failure is one line, never a traceback."""

    @classmethod
    def from_os_error(cls, error: OSError) -> FileAccessError:
        reason = error.strerror or str(error)
        path = os.fsdecode(error.filename) if error.filename is not None else None
        if path is not None and error.errno == errno.ENOENT:
            folder = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(folder):
                return cls(
                    _("the folder {folder} does not exist").format(folder=folder),
                    hint=_("Create it first, or choose another place."),
                )
        hints = {
            errno.ENOENT: _("Check the name: there is no such file."),
            errno.EACCES: _("You may not use it: check its permissions, or choose another place."),
            errno.EPERM: _("You may not use it: check its permissions, or choose another place."),
            errno.EROFS: _("That drive is read-only: choose another place."),
            errno.ENOSPC: _("The disk is full: free some space or choose another drive."),
            errno.EFBIG: _(
                "The file system cannot hold a file this large (FAT32 stops at 4 GiB): choose a folder "
                "on another drive, or check the input: it may claim an absurd size."
            ),
            errno.EISDIR: _("That is a folder: give a file name."),
            errno.ENOTDIR: _("A part of that path is a file, not a folder: check the path."),
            errno.ENAMETOOLONG: _("The name is too long: choose a shorter one."),
        }
        hint = hints.get(
            error.errno or 0, _("Check the paths and the disk named in the command, then try again.")
        )
        if path is None:
            return cls(_("the operating system refused: {reason}").format(reason=reason), hint=hint)
        return cls(_("cannot use {path}: {reason}").format(path=path, reason=reason), hint=hint)


# --- guided install ---------------------------------------------------------------------------


class InstallError(UnlockerError):
    """A guided install cannot start or go on; its journal says where it stopped."""


class WrongPhone(PreflightError):
    """The phone attached is not the one the build, kit or unfinished install is for."""


class ChecksumMismatch(UnlockerError):
    """A file's sha256 differs from the one the index, the ROM project or a kit gives."""


class KitError(InstallError):
    """An offline kit is incomplete, damaged or edited."""

"""How the engine reports progress: a small protocol the CLI implements with tqdm bars."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol
else:
    # typing costs start-up time (issue 15); only a type checker needs the structural check, and
    # other modules import FlashReporter for their annotations, so the name stays a class.
    Protocol = object


class FlashReporter(Protocol):
    def pieces_planned(self, count: int, total: int) -> None: ...
    def transfer_started(self, label: str, size: int) -> None: ...
    def transferred(self, nbytes: int) -> None: ...
    def transfer_done(self) -> None: ...
    def note(self, message: str) -> None: ...


class SilentReporter:
    def pieces_planned(self, count: int, total: int) -> None:
        pass

    def transfer_started(self, label: str, size: int) -> None:
        pass

    def transferred(self, nbytes: int) -> None:
        pass

    def transfer_done(self) -> None:
        pass

    def note(self, message: str) -> None:
        pass

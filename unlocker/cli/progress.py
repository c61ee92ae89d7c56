"""tqdm progress bars on stderr: one per transfer, plus an overall bar for multi-piece flashes."""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from tqdm import tqdm


def byte_bar(total: int | None, desc: str, *, position: int = 0) -> tqdm:
    """A bytes bar with rate and ETA; it vanishes when done (the final summary line stays)."""
    from tqdm import tqdm  # only when a bar is drawn: --no-progress never imports it

    return tqdm(
        total=total,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc=desc,
        position=position,
        leave=False,
        file=sys.stderr,
    )


def show_bytes(bar: tqdm, done: int, total: int | None) -> None:
    """Move ``bar`` to ``done`` of ``total`` bytes (for callbacks that report a running count).

    Through ``update``, so tqdm redraws at its own pace rather than once per call."""
    if total and bar.total != total:
        bar.total = total
    bar.update(done - bar.n)


class BarReporter:
    """Implements flashing.progress.FlashReporter; ``enabled=False`` keeps only the notes."""

    def __init__(self, enabled: bool, *, notes: bool = True) -> None:
        self.enabled = enabled
        self.notes = notes
        self._bar: tqdm | None = None
        self._overall: tqdm | None = None

    def pieces_planned(self, count: int, total: int) -> None:
        if self.enabled and count > 1:
            self._overall = byte_bar(total, f"all {count} pieces", position=1)

    def transfer_started(self, label: str, size: int) -> None:
        if self.enabled:
            self._bar = byte_bar(size, label)

    def transferred(self, nbytes: int) -> None:
        if self._bar is not None:
            self._bar.update(nbytes)
        if self._overall is not None:
            self._overall.update(nbytes)

    def transfer_done(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def note(self, message: str) -> None:
        if not self.notes:
            return
        if self.enabled:
            from tqdm import tqdm

            tqdm.write(message, file=sys.stderr)  # above the bars, which stay intact
        else:
            print(message, file=sys.stderr)

    def close(self) -> None:
        self.transfer_done()
        if self._overall is not None:
            self._overall.close()
            self._overall = None

"""tqdm progress bars on stderr: one per transfer, plus an overall bar for multi-piece flashes."""

from __future__ import annotations

from tqdm import tqdm


class BarReporter:
    """Implements flashing.progress.FlashReporter; ``enabled=False`` makes it print notes only."""

    def __init__(self, enabled: bool, *, total: int | None = None, notes: bool = True) -> None:
        self.enabled = enabled
        self.notes = notes
        self._bar: tqdm | None = None
        self._overall: tqdm | None = None
        if enabled and total:
            self._overall = tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc="overall",
                position=1,
                leave=False,
            )

    def transfer_started(self, label: str, size: int) -> None:
        if self.enabled:
            self._bar = tqdm(
                total=size, unit="B", unit_scale=True, unit_divisor=1024, desc=label, leave=False
            )

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
        if self.notes:
            tqdm.write(message, file=__import__("sys").stderr)

    def close(self) -> None:
        self.transfer_done()
        if self._overall is not None:
            self._overall.close()

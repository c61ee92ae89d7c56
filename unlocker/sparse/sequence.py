"""What ``collections.abc.Sequence`` adds to a class's ``__len__`` and ``__getitem__``, without it.

The extent tables and pieces a flash walks are read-only sequences; deriving them from
``collections.abc.Sequence`` imports ``collections`` (about 2.4 ms of start-up, issue 15). Type
checkers see ``Sequence`` itself (the modules import it under ``TYPE_CHECKING``); at run time
these are its methods, with the same results, but ``isinstance(x, Sequence)`` is False.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator


class ReadOnlySequence:
    """Base of a read-only sequence: subclasses define ``__len__``, ``__getitem__`` (raising
    IndexError past the end) and usually a faster ``__iter__``."""

    __slots__ = ()

    def __class_getitem__(cls, item: object) -> type:
        return cls  # ``ReadOnlySequence[Extent]`` as a base: the element type is for checkers only

    def __iter__(self) -> Iterator[object]:
        i = 0
        try:
            while True:
                yield self[i]
                i += 1
        except IndexError:
            return

    def __contains__(self, value: object) -> bool:
        return any(v is value or v == value for v in self)

    def __reversed__(self) -> Iterator[object]:
        for i in range(len(self) - 1, -1, -1):
            yield self[i]

    def index(self, value: object, start: int = 0, stop: int | None = None) -> int:
        """The first index of ``value`` (between ``start`` and ``stop``); ValueError if absent."""
        if start is not None and start < 0:
            start = max(len(self) + start, 0)
        if stop is not None and stop < 0:
            stop += len(self)
        i = start
        while stop is None or i < stop:
            try:
                v = self[i]
            except IndexError:
                break
            if v is value or v == value:
                return i
            i += 1
        raise ValueError

    def count(self, value: object) -> int:
        """How many items equal ``value``."""
        return sum(1 for v in self if v is value or v == value)

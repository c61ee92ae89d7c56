"""ExtentTable and Piece are read-only sequences of extents, without collections.abc.Sequence."""

from __future__ import annotations

import pytest

from unlocker.sparse.extents import Extent, ExtentTable, ImageLayout
from unlocker.sparse.format import FILL, RAW
from unlocker.sparse.resparse import Piece, iter_pieces

BLOCK = 4096


def _table(count: int) -> ExtentTable:
    table = ExtentTable()
    for i in range(count):
        if i % 2:
            table.add(FILL, 3 * i, 2, 0, i)
        else:
            table.add(RAW, 3 * i, 2, 1000 + i)
    return table


def _expected(count: int) -> list[Extent]:
    return [
        Extent(FILL, 3 * i, 2, 0, i.to_bytes(4, "little")) if i % 2 else Extent(RAW, 3 * i, 2, 1000 + i)
        for i in range(count)
    ]


def test_table_answers_as_the_list_of_its_extents() -> None:
    table, items = _table(7), _expected(7)
    assert list(table) == items and len(table) == 7
    assert [table[i] for i in range(-7, 7)] == items + items
    for bad in (7, -8, 100):
        with pytest.raises(IndexError):
            table[bad]
    for cut in (slice(2, 5), slice(None, -2), slice(5, 2), slice(-100, 100), slice(None)):
        assert table[cut] == items[cut]
    assert list(table.between(2, 6)) == items[2:6]
    assert list(reversed(table)) == items[::-1]
    assert items[3] in table and Extent(RAW, 1, 1) not in table
    assert table.index(items[4]) == 4 and table.index(items[4], -3) == 4 and table.count(items[1]) == 1
    with pytest.raises(ValueError):
        table.index(items[1], 2)


def test_table_grows_after_a_walk_stopped_half_way() -> None:
    """A walk holds a view of the table only while it runs: an abandoned one lets it grow."""
    table = _table(4)
    walk = iter(table)
    next(walk)
    walk.close()
    table.add(RAW, 100, 1, 5)
    assert len(table) == 5 and table[-1] == Extent(RAW, 100, 1, 5)


def test_table_stores_each_extent_in_25_bytes() -> None:
    table = _table(1000)
    assert len(table._rows) == 25 * 1000


def test_piece_answers_as_the_list_of_its_extents() -> None:
    layout = ImageLayout(BLOCK, 3 * 40, _table(40))
    # Room for three RAW extents of 2 blocks, three FILLs and one more block: RAW extents are cut,
    # so pieces begin with the rest of one (head) and end with the start of another (tail).
    budget = 3 * (12 + 2 * BLOCK) + 3 * (12 + 4) + 12 + BLOCK + 100
    pieces = list(iter_pieces(layout, 56 + budget))
    assert len(pieces) > 3 and all(isinstance(p, Piece) for p in pieces)
    assert any(p.head for p in pieces) and any(p.tail for p in pieces)
    for piece in pieces:
        items = list(piece)
        assert len(piece) == len(items) and [piece[i] for i in range(-len(items), len(items))] == items * 2
        assert piece[1:] == items[1:] and list(reversed(piece)) == items[::-1]
        assert items[-1] in piece and piece.index(items[-1]) == len(items) - 1
        assert piece.count(items[0]) == items.count(items[0])
        with pytest.raises(IndexError):
            piece[len(items)]

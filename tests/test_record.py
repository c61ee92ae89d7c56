"""unlocker.record: named tuples like typing.NamedTuple's, without importing typing."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys

import pytest

from unlocker.record import Record


class Piece(Record):
    """A piece of an image."""

    kind: int
    start: int
    data: bytes = b""

    @property
    def end(self) -> int:
        return self.start + len(self.data)

    def moved(self, by: int) -> Piece:
        return Piece(self.kind, self.start + by, self.data)


def test_a_record_is_a_tuple_with_named_fields() -> None:
    p = Piece(1, start=10, data=b"ab")
    assert isinstance(p, tuple) and tuple(p) == (1, 10, b"ab")
    assert (p.kind, p.start, p.data) == (1, 10, b"ab") == (p[0], p[1], p[2])
    kind, start, data = p
    assert (kind, start, data) == (1, 10, b"ab")
    assert p == (1, 10, b"ab") and hash(p) == hash((1, 10, b"ab"))
    assert repr(p) == "Piece(kind=1, start=10, data=b'ab')"
    assert Piece._fields == ("kind", "start", "data") == Piece.__match_args__


def test_defaults_methods_and_properties_are_kept() -> None:
    p = Piece(2, 5)
    assert p.data == b"" and p.end == 5
    assert p.moved(3) == Piece(2, 8) and Piece.__doc__ == "A piece of an image."
    with pytest.raises(TypeError):
        Piece(1)  # start is required
    with pytest.raises(AttributeError):
        p.kind = 3  # type: ignore[misc]
    with pytest.raises(AttributeError):
        p.other = 1  # type: ignore[attr-defined]  # no __dict__: as small as a tuple


def test_records_copy_and_pickle_as_themselves() -> None:
    p = Piece(1, 2, b"x")
    assert copy.copy(p) == p and type(copy.deepcopy(p)) is Piece
    assert pickle.loads(pickle.dumps(p)) == p


def test_a_field_without_default_after_one_with_is_refused() -> None:
    with pytest.raises(TypeError, match="follows"):

        class Bad(Record):
            a: int = 0
            b: int


def test_matching_by_position() -> None:
    match Piece(1, 2):
        case Piece(kind, start):
            assert (kind, start) == (1, 2)
        case _:
            pytest.fail("no match")


def test_importing_record_imports_no_typing() -> None:
    code = "import sys, unlocker.record; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, check=True)
    assert not set(loaded.stdout.split()) & {"typing", "collections", "functools", "re"}


@pytest.mark.parametrize("arity", [1, 2, 5, 8, 9, 12])
def test_every_field_count_takes_positions_and_keywords(arity: int) -> None:
    """Constructors come written out up to 8 fields and compiled beyond: both kinds bind the
    same way, keywords by the record's own field names."""
    names = [f"f{i}" for i in range(arity)]
    wide = type(Record)(
        "Wide", (Record,), {"__module__": __name__, "__annotations__": dict.fromkeys(names, "int")}
    )
    by_position = wide(*range(arity))
    by_keyword = wide(**{name: i for i, name in enumerate(names)})
    assert by_position == by_keyword == tuple(range(arity))
    assert getattr(by_keyword, names[-1]) == arity - 1
    with pytest.raises(TypeError):
        wide(*range(arity + 1))

"""Named tuples declared as ``typing.NamedTuple`` classes are, without importing typing.

``typing`` (with the re, collections, functools and contextlib it imports) costs about 13 ms of
start-up, ``collections`` alone 2.4 ms: several times what ``unlocker status`` spends talking to a
phone (issue 15: a fast start). The records on the paths of ``status`` and ``flash`` derive from
:class:`Record` instead::

    class Extent(Record):
        kind: int
        start: int
        value: bytes = b""

What that makes is what ``typing.NamedTuple`` makes: a tuple subclass with the fields by name and
by index, unpacking, equality and hashing as tuples, a ``repr`` naming the fields, and the
methods and properties of the class body. Type checkers see ``typing.NamedTuple`` itself.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType
    from typing import NamedTuple as Record
else:

    class _RecordType(type):
        def __new__(mcls, name: str, bases: tuple[type, ...], namespace: dict[str, object]) -> type:
            if namespace.get("__module__") == __name__:  # Record itself
                return super().__new__(mcls, name, bases, namespace)
            fields = tuple(_annotations(namespace))
            if not fields:
                raise TypeError(f"record {name} declares no fields")  # i18n: not user-facing
            with_default = [field in namespace for field in fields]
            if True in with_default and not all(with_default[with_default.index(True) :]):
                raise TypeError(f"record {name}: a field without a default follows one with a default")
            defaults = tuple(namespace.pop(field) for field in fields if field in namespace)
            if "_cls" in fields:
                raise TypeError(f"record {name}: _cls is not a field name")
            new = _function(_constructor(len(fields)).replace(co_varnames=("_cls", *fields)), _GLOBALS)
            new.__name__ = "__new__"
            new.__qualname__ = f"{name}.__new__"
            new.__defaults__ = defaults or None
            namespace.update(
                {field: _tuplegetter(index, f"Field {field}") for index, field in enumerate(fields)}
            )
            namespace.update(
                __slots__=(),
                __new__=new,
                _fields=fields,
                __match_args__=fields,
                __getnewargs__=_getnewargs,
            )
            namespace.setdefault("__repr__", _repr)
            return super().__new__(mcls, name, (tuple,), namespace)

    try:
        # namedtuple's own field accessor, in C: a field reads as fast as a namedtuple's, where
        # property(itemgetter(i)) is half as slow again (fields are read per sparse chunk).
        from _collections import _tuplegetter
    except ImportError:  # another Python: what collections itself falls back to
        from operator import itemgetter

        def _tuplegetter(index: int, doc: str) -> property:
            return property(itemgetter(index), doc=doc)

    _GLOBALS = {"_tuple_new": tuple.__new__}
    # Written out up to 8 fields, so they arrive compiled in the .pyc: compiling one with eval
    # costs about 0.1 ms, several times in every command's start (issue 15).
    _constructors: dict[int, CodeType] = {
        len(f.__code__.co_varnames) - 1: f.__code__
        for f in (
            lambda _cls, _0: _tuple_new(_cls, (_0,)),  # noqa: F821 - a global of _GLOBALS
            lambda _cls, _0, _1: _tuple_new(_cls, (_0, _1)),  # noqa: F821
            lambda _cls, _0, _1, _2: _tuple_new(_cls, (_0, _1, _2)),  # noqa: F821
            lambda _cls, _0, _1, _2, _3: _tuple_new(_cls, (_0, _1, _2, _3)),  # noqa: F821
            lambda _cls, _0, _1, _2, _3, _4: _tuple_new(_cls, (_0, _1, _2, _3, _4)),  # noqa: F821
            lambda _cls, _0, _1, _2, _3, _4, _5: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5)),  # noqa: F821
            lambda _cls, _0, _1, _2, _3, _4, _5, _6: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6)),  # noqa: F821
            lambda _cls, _0, _1, _2, _3, _4, _5, _6, _7: _tuple_new(_cls, (_0, _1, _2, _3, _4, _5, _6, _7)),  # noqa: F821
        )
    }
    _function = type(lambda: None)  # types.FunctionType, without importing types

    def _constructor(arity: int) -> CodeType:
        """The code of a constructor taking ``arity`` fields, as collections.namedtuple writes it
        (one tuple construction per call: records are made per sparse chunk). Compiled once per
        arity beyond those written out; each record renames its parameters to its fields, so
        keywords work."""
        code = _constructors.get(arity)
        if code is None:
            names = ", ".join(f"_{index}" for index in range(arity))
            code = eval(f"lambda _cls, {names}: _tuple_new(_cls, ({names},))", _GLOBALS).__code__
            _constructors[arity] = code
        return code

    def _annotations(namespace: dict[str, object]) -> dict[str, object]:
        if "__annotations__" in namespace:
            return namespace["__annotations__"]  # type: ignore[return-value]
        annotate = namespace.get("__annotate__")  # Python 3.14 without the __future__ import
        return annotate(1) if callable(annotate) else {}  # 1: the VALUE format

    def _repr(self: tuple[object, ...]) -> str:
        pairs = ", ".join(f"{field}={value!r}" for field, value in zip(self._fields, self, strict=True))  # type: ignore[attr-defined]
        return f"{type(self).__name__}({pairs})"

    def _getnewargs(self: tuple[object, ...]) -> tuple[object, ...]:
        return tuple(self)

    class Record(metaclass=_RecordType):
        """Base of the records: see the module's description."""


__all__ = ["Record"]

"""Fuzzing the index's schema validator with documents volunteers could write (and worse).

Property: ``compose`` either raises its documented YamlSyntaxError (which ``unlocker index
validate`` reports as FILE:LINE) or gives a node tree, and ``validate_node`` then returns a list
of issues, each printable as FILE:LINE: FIELD: MESSAGE; never another exception.
"""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.index.conftest import SHIPPED
from unlocker.index.yamlnodes import Issue, YamlSyntaxError, compose

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KINDS = ("device", "rom", "method", "platforms")
ALIOTH = (SHIPPED / "devices" / "alioth.yaml").read_text(encoding="utf-8")
CRDROID = (SHIPPED / "roms" / "crdroid.yaml").read_text(encoding="utf-8")  # has builds with sizes

# Scalars YAML 1.1 reads in surprising ways (sexagesimal, octal, special floats, dates, tags).
tricky = st.sampled_from(
    ["1:30", "190:20:30", "0x1F", "0o17", "017", "1_000", ".inf", "-.inf", ".nan", "~", "null", "yes", "No",
     "on", "2026-01-01", "2026-13-45", "!!binary aGk=", "!!int abc", "''", "'", "- -", "*x", "&x", "{", "]"]
)  # fmt: skip
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12), tricky)
documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.one_of(
                st.sampled_from(
                    ["codename", "names", "unlock", "method", "devices", "builds", "steps", "size", "names"]
                ),
                st.text(max_size=8),
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=15,
)


def check(text: str) -> None:
    try:
        node = compose(text, "fuzz.yaml")
    except YamlSyntaxError as e:
        assert e.issue.file == "fuzz.yaml" and str(e.issue)
        return
    from unlocker.index.schema import validate_node

    for kind in KINDS:
        issues = validate_node(node, kind, "fuzz.yaml")
        assert isinstance(issues, list)
        for issue in issues:
            assert isinstance(issue, Issue) and issue.file == "fuzz.yaml" and str(issue)


@FUZZ
@given(st.text(max_size=200))
@example("")
@example("&a [*a]")  # a list that contains itself
@example("&a {x: *a}")
@example("a: !!python/object:os.system ls")
@example("size: 1:30")
@example("%YAML 9.9\n---\nx")
@example("? [a, b]\n: c")
def test_random_text(text: str) -> None:
    check(text)


@FUZZ
@given(documents)
def test_random_documents(document: object) -> None:
    check(yaml.safe_dump(document, allow_unicode=True))


@FUZZ
@given(
    st.sampled_from([ALIOTH, CRDROID]),
    st.lists(
        st.tuples(st.integers(0, 100_000), st.one_of(tricky, st.text(max_size=6))), min_size=1, max_size=3
    ),
)
@example(
    CRDROID, [(CRDROID.splitlines().index(next(x for x in CRDROID.splitlines() if "size:" in x)), "1:30")]
)
def test_edited_shipped_files(original: str, edits: list[tuple[int, str]]) -> None:
    """A real file with a few values replaced: gets past the first checks into the deep ones."""
    lines = original.splitlines()
    for position, value in edits:
        i = position % len(lines)
        key, sep, _old = lines[i].partition(": ")
        lines[i] = f"{key}{sep}{value}" if sep else f"{lines[i]}{value}"
    check("\n".join(lines))

"""YAML parsed twice over: as a node tree (with line numbers) and as plain Python data.

Volunteers edit the index by hand, so every complaint must point at a file and a line. PyYAML's
composer keeps ``start_mark`` on each node; we validate the nodes and only then build values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from unlocker.i18n import _

try:  # libyaml is ~10x faster on the ~600 device files; the pure-Python loader is the fallback
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in one file: ``file:line: field: message``."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class YamlSyntaxError(Exception):
    def __init__(self, issue: Issue) -> None:
        super().__init__(str(issue))
        self.issue = issue


def line_of(node: yaml.Node | None) -> int:
    """1-based line of a node (0 when unknown)."""
    return node.start_mark.line + 1 if node is not None and node.start_mark is not None else 0


def compose(text: str, filename: str) -> yaml.Node | None:
    """Parse ``text`` into a node tree; syntax errors become a YamlSyntaxError with file:line."""
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else 0
        problem = " ".join(str(part) for part in (e.context, e.problem) if part)
        message = _("YAML syntax error: {problem}").format(problem=problem)
        raise YamlSyntaxError(Issue(filename, line, "", message)) from e
    except yaml.YAMLError as e:
        raise YamlSyntaxError(Issue(filename, 0, "", _("YAML error: {problem}").format(problem=e))) from e


def to_python(node: yaml.Node | None) -> Any:
    """Build plain Python values (dict/list/str/int/float/bool/None) from a composed node."""
    if node is None:
        return None
    constructor = yaml.SafeLoader("")
    return constructor.construct_document(node)


def mapping_items(node: yaml.Node) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """(key, key node, value node) of a mapping node; keys as their source text."""
    if not isinstance(node, yaml.MappingNode):
        return []
    return [(str(k.value), k, v) for k, v in node.value]


def get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value node under ``key`` of a mapping node, or None."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v
    return None

"""Check YAML node trees against the index's JSON Schemas (firmware_index/schema/*.schema.json).

The schemas are plain JSON Schema (draft 7 subset) so editors can use them too; this module
interprets the subset we use directly on YAML nodes, so each complaint carries its line. Supported
keywords: type, enum, const, pattern, minLength, minimum, properties, required,
additionalProperties, minProperties, items, minItems, uniqueItems, $ref (local definitions).
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import yaml

from unlocker.i18n import _
from unlocker.index.shipped import shipped_root
from unlocker.index.yamlnodes import Issue, line_of, mapping_items

_TAG_TYPES = {
    "tag:yaml.org,2002:str": "string",
    "tag:yaml.org,2002:int": "integer",
    "tag:yaml.org,2002:float": "number",
    "tag:yaml.org,2002:bool": "boolean",
    "tag:yaml.org,2002:null": "null",
}

SCHEMA_NAMES = ("device", "rom", "method")


@cache
def load_schema(kind: str) -> dict[str, Any]:
    """The shipped JSON Schema for ``kind`` ('device', 'rom' or 'method')."""
    text = shipped_root().joinpath("schema", f"{kind}.schema.json").read_text("utf-8")
    return json.loads(text)


def node_type(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "object"
    if isinstance(node, yaml.SequenceNode):
        return "array"
    return _TAG_TYPES.get(node.tag, "string")


def _matches_type(actual: str, wanted: str) -> bool:
    return actual == wanted or (wanted == "number" and actual == "integer")


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        value = node.value if node.tag != "tag:yaml.org,2002:null" else "null"
        return f"{node_type(node)} {value!r}"
    return _("a list") if isinstance(node, yaml.SequenceNode) else _("a mapping")


def _scalar_value(node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        return node
    kind = node_type(node)
    if kind == "null":
        return None
    if kind == "boolean":
        return node.value.lower() in ("true", "yes", "on", "y")
    if kind in ("integer", "number"):
        # YAML 1.1's own reading: 1_000, 0x1F, 017 (octal), 1:30 (sexagesimal), .inf
        try:
            return yaml.constructor.SafeConstructor().construct_object(node)
        except (ValueError, yaml.YAMLError):
            return node.value
    return node.value


class Validator:
    """Validate one document against one schema, collecting Issues (never raising)."""

    def __init__(self, schema: dict[str, Any], filename: str) -> None:
        self.root = schema
        self.filename = filename
        self.issues: list[Issue] = []

    def report(self, node: yaml.Node | None, field: str, message: str) -> None:
        self.issues.append(Issue(self.filename, line_of(node), field, message))

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            ref = schema["$ref"]
            if not ref.startswith("#/definitions/"):
                raise ValueError(f"unsupported $ref {ref}")
            schema = self.root["definitions"][ref.rsplit("/", 1)[1]]
        return schema

    def check(self, node: yaml.Node | None, schema: dict[str, Any], field: str = "") -> None:
        schema = self.resolve(schema)
        if node is None:
            self.report(node, field, _("the file is empty"))
            return
        actual = node_type(node)
        if "enum" in schema:
            if not isinstance(node, yaml.ScalarNode) or _scalar_value(node) not in schema["enum"]:
                allowed = ", ".join("null" if v is None else str(v) for v in schema["enum"])
                self.report(
                    node,
                    field,
                    _("must be one of: {allowed} (found {found})").format(
                        allowed=allowed, found=_describe(node)
                    ),
                )
            return
        if "const" in schema and _scalar_value(node) != schema["const"]:
            self.report(
                node,
                field,
                _("must be {value} (found {found})").format(
                    value=repr(schema["const"]), found=_describe(node)
                ),
            )
            return
        wanted = schema.get("type")
        if wanted is not None:
            wanted_list = wanted if isinstance(wanted, list) else [wanted]
            if not any(_matches_type(actual, w) for w in wanted_list):
                self.report(
                    node,
                    field,
                    _("expected {types}, found {found}").format(
                        types=(" " + _("or") + " ").join(wanted_list), found=_describe(node)
                    ),
                )
                return
        if actual == "string":
            self._check_string(node, schema, field)
        elif actual in ("integer", "number") and "minimum" in schema:
            value = _scalar_value(node)
            if not isinstance(value, (int, float)) or value < schema["minimum"]:
                self.report(
                    node,
                    field,
                    _("must be at least {minimum} (found {found})").format(
                        minimum=schema["minimum"], found=node.value
                    ),
                )
        elif actual == "object":
            self._check_object(node, schema, field)
        elif actual == "array":
            self._check_array(node, schema, field)

    def _check_string(self, node: yaml.Node, schema: dict[str, Any], field: str) -> None:
        value = node.value
        if len(value) < schema.get("minLength", 0):
            self.report(node, field, _("must not be empty"))
        pattern = schema.get("pattern")
        if pattern and not re.search(pattern, value):
            self.report(
                node,
                field,
                _("{value} does not match the pattern {pattern}").format(value=repr(value), pattern=pattern),
            )

    def _check_object(self, node: yaml.MappingNode, schema: dict[str, Any], field: str) -> None:
        items = mapping_items(node)
        seen: dict[str, yaml.Node] = {}
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, key_node, value in items:
            sub = f"{field}.{key}" if field else key
            if key in seen:
                self.report(
                    key_node, sub, _("duplicate key (first on line {line})").format(line=line_of(seen[key]))
                )
                continue
            seen[key] = key_node
            if key in properties:
                self.check(value, properties[key], sub)
            elif extra is False:
                known = ", ".join(properties) or _("none")
                self.report(key_node, sub, _("unknown field (known fields: {known})").format(known=known))
            elif isinstance(extra, dict):
                self.check(value, extra, sub)
        for key in schema.get("required", []):
            if key not in seen:
                self.report(node, field or key, _("missing required field '{field}'").format(field=key))
        if len(items) < schema.get("minProperties", 0):
            self.report(
                node, field, _("needs at least {count} entries").format(count=schema["minProperties"])
            )

    def _check_array(self, node: yaml.SequenceNode, schema: dict[str, Any], field: str) -> None:
        if len(node.value) < schema.get("minItems", 0):
            self.report(node, field, _("needs at least {count} item(s)").format(count=schema["minItems"]))
        item_schema = schema.get("items")
        seen: dict[Any, int] = {}
        for i, item in enumerate(node.value):
            sub = f"{field}[{i}]"
            if item_schema is not None:
                self.check(item, item_schema, sub)
            if schema.get("uniqueItems") and isinstance(item, yaml.ScalarNode):
                if item.value in seen:
                    self.report(
                        item,
                        sub,
                        _("{value} is listed twice (also item {other})").format(
                            value=repr(item.value), other=seen[item.value]
                        ),
                    )
                seen.setdefault(item.value, i)


def validate_node(node: yaml.Node | None, kind: str, filename: str) -> list[Issue]:
    """Every schema violation of one document, each with file and line."""
    validator = Validator(load_schema(kind), filename)
    validator.check(node, validator.root)
    return validator.issues

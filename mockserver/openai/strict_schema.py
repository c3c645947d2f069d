"""Strict mode's rules for a JSON Schema (`strict: true` on a function tool or a json_schema).

With `strict: true` the API compiles the schema into a grammar and refuses what it cannot
compile, with a 400 naming where (`In context=('properties', 'a'), ...`). The rules, as the
structured-outputs guide states them and real answers word them:

- every object lists all its properties in `required` and sets `additionalProperties: false`;
- a subschema has a `type` (or `anyOf`, `enum`, `const`, a `$ref`); arrays have `items`;
- `$ref` points inside the schema (`#`, `#/$defs/...`, `#/definitions/...`);
- some keywords are refused (`allOf`, `oneOf`, `not`, `if`, `uniqueItems`...), and `format`
  is one of the supported formats;
- at most 10 levels of nesting, 5000 properties, 1000 enum values, and 120,000 characters
  of property names, definition names, enum and const values.

`strict_problem(schema, root)` returns the first problem as the API words it (None: none).
One iterative walk, each subschema visited once, stopping at the first problem: the cost is
linear in the schema, and the schema is bounded by the body's size and nesting limits.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

MAX_DEPTH = 10
MAX_PROPERTIES = 5000
MAX_ENUM_VALUES = 1000
MAX_STRING_CHARS = 120_000
# One enum of more than 250 strings may hold at most 15,000 characters.
LARGE_ENUM = 250
MAX_LARGE_ENUM_CHARS = 15_000

REFUSED_KEYWORDS = (
    "allOf", "oneOf", "not", "if", "then", "else", "dependentRequired", "dependentSchemas",
    "patternProperties", "unevaluatedProperties", "propertyNames", "minProperties",
    "maxProperties", "unevaluatedItems", "contains", "minContains", "maxContains", "uniqueItems",
)  # fmt: skip
FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)
_NESTING = ("object", "array")
_TYPED_BY = ("type", "anyOf", "enum", "const", "$ref")
_TOP_LEVEL_REFUSED = ("oneOf", "anyOf", "allOf", "enum", "not")
# Keywords whose value is one subschema, or a list of them, or a map of them.
_ONE = ("items", "additionalProperties")
_LIST = ("anyOf", "prefixItems")
_MAP = ("properties", "$defs", "definitions")

Root = Literal["function", "response_format"]
Path = tuple[str | int, ...]


@dataclass
class _Totals:
    properties: int = 0
    enum_values: int = 0
    chars: int = 0
    depth: int = 0


def strict_problem(schema: Mapping[str, Any], root: Root) -> str | None:
    """The first reason strict mode refuses schema, worded as the API words it."""
    found = next((k for k in _TOP_LEVEL_REFUSED if k in schema), None)
    if root == "function" and found is not None:
        return (
            "schema must have type 'object' and not have 'oneOf'/'anyOf'/'allOf'/'enum'/'not' "
            f"at the top level. Found '{found}'."
        )
    totals = _Totals()
    for path, node, depth in _subschemas(schema):
        problem = _node_problem(node, schema)
        if problem is not None:
            return f"In context={path!r}, {problem}"
        problem = _count(node, depth, totals)
        if problem is not None:
            return problem
    return None


def _subschemas(schema: Mapping[str, Any]) -> Iterator[tuple[Path, Mapping[str, Any], int]]:
    """Every subschema with its path and nesting level (objects and arrays count a level;
    anyOf branches and definitions do not), depth first, iteratively."""
    stack: list[tuple[Path, Any, int]] = [((), schema, 1)]
    while stack:
        path, node, depth = stack.pop()
        if not isinstance(node, dict):
            continue
        yield path, node, depth
        children: list[tuple[Path, Any, int]] = []
        for key in _ONE:
            if isinstance(node.get(key), dict):
                children.append(((*path, key), node[key], depth + 1))
        for key in _LIST:
            subs = node.get(key)
            if isinstance(subs, list):
                children.extend(((*path, key, i), sub, depth) for i, sub in enumerate(subs))
        for key in _MAP:
            subs = node.get(key)
            if isinstance(subs, dict):
                step = 1 if key == "properties" else 0
                children.extend(((*path, key, k), v, depth + step) for k, v in subs.items())
        stack.extend(reversed(children))


def _node_problem(node: Mapping[str, Any], root: Mapping[str, Any]) -> str | None:
    """What strict mode refuses in this subschema itself (its children are walked apart)."""
    ref = node.get("$ref")
    if isinstance(ref, str):
        if not _resolves(root, ref):
            return f"reference to component '{ref}' which was not found in the schema."
        return None
    refused = next((k for k in REFUSED_KEYWORDS if k in node), None)
    if refused is not None:
        return f"'{refused}' is not permitted."
    if node and not any(k in node for k in _TYPED_BY) and not _only_definitions(node):
        return "schema must have a 'type' key."
    fmt = node.get("format")
    if isinstance(fmt, str) and fmt not in FORMATS:
        return f"'{fmt}' is not a valid format."
    kinds = node.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "object" in kinds:
        return _object_problem(node)
    if "array" in kinds and "items" not in node and "prefixItems" not in node:
        return "array schema missing items."
    return None


def _only_definitions(node: Mapping[str, Any]) -> bool:
    """A schema of definitions (and annotations) only: a holder of `$defs`."""
    holder = "$defs" in node or "definitions" in node
    return holder and all(k in {"$defs", "definitions", "description", "title"} for k in node)


def _object_problem(node: Mapping[str, Any]) -> str | None:
    if node.get("additionalProperties") is not False:
        return "'additionalProperties' is required to be supplied and to be false."
    properties = node.get("properties")
    if not isinstance(properties, dict):
        return "object schema missing properties."
    required = node.get("required")
    listed = set(required) if isinstance(required, list) else set()
    missing = [name for name in properties if name not in listed]
    if missing or not isinstance(required, list):
        detail = f" Missing '{missing[0]}'." if missing else ""
        return (
            f"'required' is required to be supplied and to be an array including "
            f"every key in properties.{detail}"
        )
    extra = next((name for name in required if name not in properties), None)
    if extra is not None:
        return f"Extra required key '{extra}' supplied."
    return None


def _count(node: Mapping[str, Any], depth: int, totals: _Totals) -> str | None:
    """Add node to the schema's totals; the first limit it passes, as the API words it."""
    kinds = node.get("type")
    if any(k in _NESTING for k in (kinds if isinstance(kinds, list) else [kinds])):
        totals.depth = max(totals.depth, depth)  # objects and arrays nest; values do not
    if totals.depth > MAX_DEPTH:
        return f"{totals.depth} levels of nesting exceeds limit of {MAX_DEPTH}."
    properties = node.get("properties")
    if isinstance(properties, dict):
        totals.properties += len(properties)
        totals.chars += sum(len(str(name)) for name in properties)
        if totals.properties > MAX_PROPERTIES:
            return f"{totals.properties} parameters exceeds limit of {MAX_PROPERTIES}."
    for key in ("$defs", "definitions"):
        if isinstance(node.get(key), dict):
            totals.chars += sum(len(str(name)) for name in node[key])
    return _count_values(node, totals)


def _count_values(node: Mapping[str, Any], totals: _Totals) -> str | None:
    enum = node.get("enum")
    values = enum if isinstance(enum, list) else []
    strings = [v for v in values if isinstance(v, str)]
    totals.enum_values += len(values)
    if totals.enum_values > MAX_ENUM_VALUES:
        return f"{totals.enum_values} enum values exceeds limit of {MAX_ENUM_VALUES}."
    enum_chars = sum(map(len, strings))
    if len(strings) > LARGE_ENUM and enum_chars > MAX_LARGE_ENUM_CHARS:
        return (
            f"{enum_chars} total characters of enum values with more than {LARGE_ENUM} values "
            f"exceeds limit of {MAX_LARGE_ENUM_CHARS}."
        )
    const = node.get("const")
    totals.chars += enum_chars + (len(const) if isinstance(const, str) else 0)
    if totals.chars > MAX_STRING_CHARS:
        return f"{totals.chars} total string length exceeds limit of {MAX_STRING_CHARS}."
    return None


def _resolves(root: Mapping[str, Any], ref: str) -> bool:
    """A local JSON pointer (`#`, `#/$defs/Name`...) that leads to a schema in root."""
    if not ref.startswith("#"):
        return False
    node: Any = root
    for raw in (part for part in ref[1:].split("/") if part):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return isinstance(node, dict | bool)

"""Reading a JSON Schema's keywords for the value generator: what a node asks for.

Small pure helpers of schema_values.py: which type a typeless schema implies, which keys an
object needs (required, dependentRequired, maxProperties), what schema a property's value
must meet (properties, patternProperties, additionalProperties), how arrays split into a
prefix and the rest, and JSON-exact comparison of values (1 is not true).
"""

from __future__ import annotations

import json
from typing import Any

from mockserver.zeroconfig.budget import Budget

_OBJECT_KEYS = ("properties", "required", "additionalProperties", "patternProperties",
                "minProperties", "maxProperties", "dependentRequired", "propertyNames")  # fmt: skip
_ARRAY_KEYS = ("items", "prefixItems", "minItems", "maxItems", "contains", "uniqueItems")
_STRING_KEYS = ("minLength", "maxLength", "pattern", "format")
_NUMBER_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


def canonical(value: Any) -> str:
    """Equal JSON values give equal strings (and 1 differs from true, as JSON Schema says)."""
    return json.dumps(value, sort_keys=True)


def excluded(negated: Any) -> set[str]:
    """The values `not` rules out when it is a const or an enum (else none are known)."""
    if not isinstance(negated, dict):
        return set()
    if "const" in negated:
        return {canonical(negated["const"])}
    values = negated.get("enum")
    return {canonical(v) for v in values} if isinstance(values, list) else set()


def implied_type(schema: dict[str, Any]) -> str:
    """The type a schema without `type` describes, from its keywords (else a string)."""
    for kind, keys in (("object", _OBJECT_KEYS), ("array", _ARRAY_KEYS),
                       ("string", _STRING_KEYS), ("number", _NUMBER_KEYS)):  # fmt: skip
        if any(key in schema for key in keys):
            return kind
    return "string"


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def names(value: Any, default: list[str]) -> list[str]:
    if not isinstance(value, list):
        return default
    return [name for name in value if isinstance(name, str)]


def with_dependencies(keys: list[str], schema: dict[str, Any]) -> list[str]:
    """dependentRequired: a present key brings the keys it depends on."""
    needs = mapping(schema.get("dependentRequired"))
    out = list(keys)
    for key in out:  # grows while iterating: dependencies of dependencies come too
        extra = needs.get(key)
        out += (
            [k for k in extra if isinstance(k, str) and k not in out]
            if isinstance(extra, list)
            else []
        )
    return out


def trim(keys: list[str], required: list[str], most: Any) -> list[str]:
    if not isinstance(most, int) or isinstance(most, bool) or len(keys) <= most:
        return keys
    optional = [k for k in keys if k not in required]
    drop = set(optional[: len(keys) - most])
    return [k for k in keys if k not in drop]


def property_schema(schema: dict[str, Any], key: str, budget: Budget) -> Any:
    """What the value under key must satisfy: its property schema and matching patterns (a
    pattern that cannot be run in the budget's time counts as not matching)."""
    parts: list[Any] = []
    props = mapping(schema.get("properties"))
    if key in props:
        parts.append(props[key])
    for pattern, sub in mapping(schema.get("patternProperties")).items():
        if budget.search(pattern, key):
            parts.append(sub)
    if not parts:
        extra = schema.get("additionalProperties", True)
        parts.append(extra if isinstance(extra, dict | bool) else True)
    return parts[0] if len(parts) == 1 else {"allOf": parts}


def item_schemas(schema: dict[str, Any]) -> tuple[list[Any], Any]:
    """(schemas of the first items, schema of the rest: False when no more are allowed)."""
    items = schema.get("items", True)
    if isinstance(schema.get("prefixItems"), list):
        return schema["prefixItems"], items
    if isinstance(items, list):  # draft-07 tuple form
        return items, schema.get("additionalItems", True)
    return [], items


def count_keyword(schema: dict[str, Any], key: str) -> int | None:
    value = schema.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def min_contains(schema: dict[str, Any]) -> int:
    wanted = count_keyword(schema, "minContains")
    return 1 if wanted is None else wanted

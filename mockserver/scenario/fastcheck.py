"""A yes/no validator compiled from the scenario schema: the fast path of loading.

jsonschema walks the schema anew for every document and builds error objects as it goes:
about half of the CPU time of loading hundreds of valid files. Most files are valid, and a
valid file needs no explanation, so `schema.check` asks this predicate first and calls
jsonschema only when it says no (then jsonschema finds and describes every problem).

The predicate must never accept what jsonschema rejects; it may reject what jsonschema would
accept (that only costs time). So it handles the keywords the schema uses, with their exact
meaning for the values YAML produces, and a keyword it does not know makes it answer no.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sized
from typing import Any

Predicate = Callable[[Any], bool]

# Keywords that say nothing about validity.
_ANNOTATIONS = frozenset(
    {"title", "description", "examples", "default", "x-empty", "$schema", "$id", "$defs"}
)

# JSON types by exact Python type: bool is not an integer, and an integral float (1.0, which
# jsonschema counts as an integer) is left to jsonschema.
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "object": (dict,),
    "array": (list,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _never(_: Any) -> bool:
    return False


def compile_schema(node: Any) -> Predicate:
    """A predicate true only for instances that node (with no $ref left) accepts."""
    if node is True or node == {}:
        return lambda _: True
    if not isinstance(node, dict) or "$ref" in node:
        return _never
    checks: list[Predicate] = []
    for keyword, value in node.items():
        if keyword in _ANNOTATIONS:
            continue
        maker = _KEYWORDS.get(keyword)
        if maker is None:
            return _never
        checks.append(maker(value, node))
    if len(checks) == 1:
        return checks[0]
    return _all_of(tuple(checks))


def _all_of(checks: tuple[Predicate, ...]) -> Predicate:
    def check(instance: Any) -> bool:
        for one in checks:  # noqa: SIM110 (a plain loop is faster: every node of every file)
            if not one(instance):
                return False
        return True

    return check


def _type(value: Any, _node: dict[str, Any]) -> Predicate:
    names = value if isinstance(value, list) else [value]
    if any(name not in _TYPES for name in names):
        return _never
    exact = frozenset(t for name in names for t in _TYPES[name])
    return lambda instance: type(instance) in exact


def _properties(value: dict[str, Any], node: dict[str, Any]) -> Predicate:
    """properties together with additionalProperties (absent: anything more is allowed)."""
    known = {key: compile_schema(sub) for key, sub in value.items()}
    extra_schema = node.get("additionalProperties", True)
    extra = compile_schema(extra_schema)
    closed = extra_schema is False

    def check(instance: Any) -> bool:
        if type(instance) is not dict:
            return True
        for key, item in instance.items():
            sub = known.get(key)
            if sub is None:
                if closed or not extra(item):
                    return False
            elif not sub(item):
                return False
        return True

    return check


def _additional_only(value: Any, node: dict[str, Any]) -> Predicate:
    if "properties" in node:  # checked by _properties
        return lambda _: True
    return _properties({}, node)


def _required(value: list[str], _node: dict[str, Any]) -> Predicate:
    keys = tuple(value)
    return lambda instance: type(instance) is not dict or all(k in instance for k in keys)


def _items(value: Any, _node: dict[str, Any]) -> Predicate:
    if not isinstance(value, dict | bool):
        return _never
    each = compile_schema(value)

    def check(instance: Any) -> bool:
        if type(instance) is list:
            for item in instance:
                if not each(item):
                    return False
        return True

    return check


def _sized(kind: type[Sized], at_least: bool) -> Callable[[Any, dict[str, Any]], Predicate]:
    def make(limit: Any, _node: dict[str, Any]) -> Predicate:
        if at_least:
            return lambda instance: type(instance) is not kind or len(instance) >= limit
        return lambda instance: type(instance) is not kind or len(instance) <= limit

    return make


def _bound(test: Callable[[Any, Any], bool]) -> Callable[[Any, dict[str, Any]], Predicate]:
    def make(limit: Any, _node: dict[str, Any]) -> Predicate:
        numbers = (int, float)
        return lambda instance: type(instance) not in numbers or test(instance, limit)

    return make


def _enum(value: list[Any], _node: dict[str, Any]) -> Predicate:
    # Only strings and null are compared here; other values (1 vs 1.0 vs true) go to jsonschema.
    allowed = frozenset(v for v in value if type(v) is str or v is None)
    return lambda instance: (type(instance) is str or instance is None) and instance in allowed


def _const(value: Any, node: dict[str, Any]) -> Predicate:
    return _enum([value], node)


def _pattern(value: str, _node: dict[str, Any]) -> Predicate:
    regex = re.compile(value)
    return lambda instance: type(instance) is not str or regex.search(instance) is not None


def _any_of(value: list[Any], _node: dict[str, Any]) -> Predicate:
    branches = [compile_schema(sub) for sub in value]
    return lambda instance: any(branch(instance) for branch in branches)


def _one_of(value: list[Any], _node: dict[str, Any]) -> Predicate:
    branches = [compile_schema(sub) for sub in value]
    return lambda instance: sum(1 for branch in branches if branch(instance)) == 1


_KEYWORDS: dict[str, Callable[[Any, dict[str, Any]], Predicate]] = {
    "type": _type,
    "properties": _properties,
    "additionalProperties": _additional_only,
    "required": _required,
    "items": _items,
    "minItems": _sized(list, True),
    "maxItems": _sized(list, False),
    "minLength": _sized(str, True),
    "maxLength": _sized(str, False),
    "minProperties": _sized(dict, True),
    "maxProperties": _sized(dict, False),
    "minimum": _bound(lambda n, limit: n >= limit),
    "maximum": _bound(lambda n, limit: n <= limit),
    "exclusiveMinimum": _bound(lambda n, limit: n > limit),
    "exclusiveMaximum": _bound(lambda n, limit: n < limit),
    "enum": _enum,
    "const": _const,
    "pattern": _pattern,
    "anyOf": _any_of,
    "oneOf": _one_of,
}

"""Values that validate against a JSON Schema: function arguments and structured outputs.

Covers what tool and response schemas use: boolean schemas, types (and lists of them),
enum/const, anyOf/oneOf/allOf, if/then, $ref (`#`, $defs, definitions), properties with
required, dependentRequired, additionalProperties, patternProperties and min/maxProperties,
arrays with items, prefixItems (and draft-07 item lists), contains, min/maxItems and
uniqueItems, numeric bounds with multipleOf, and strings by format, pattern and length.
Strings come from faker, picked by property name where a name says what it holds.

Every value is checked with jsonschema and drawn again (a few times) when it does not fit, so
what the generator cannot aim at directly (oneOf's "exactly one", `not`) usually still comes
out valid. Work is bounded (depth, items, values per draw): a recursive or unsatisfiable
schema gets a value quickly, never an error or a stalled server.
"""

from __future__ import annotations

import json
import random
import re
from typing import Any

from faker import Faker

from . import schema_scalars as scalars
from .regex_values import string_matching
from .schema_check import checker, is_valid
from .schema_merge import flatten, merge

MAX_DEPTH = 8  # recursive schemas stop here by taking their simplest branch
MAX_NODES = 2_000  # values per draw; past it every value is the least that fits its type
MAX_ITEMS = 256  # array length cap (a larger minItems is left unmet)
ATTEMPTS = 4  # draws before a value that does not validate is returned as it is

_OBJECT_KEYS = ("properties", "required", "additionalProperties", "patternProperties",
                "minProperties", "maxProperties", "dependentRequired", "propertyNames")  # fmt: skip
_ARRAY_KEYS = ("items", "prefixItems", "minItems", "maxItems", "contains", "uniqueItems")
_STRING_KEYS = ("minLength", "maxLength", "pattern", "format")
_NUMBER_KEYS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_LEAST = {"object": {}, "array": [], "string": "", "boolean": False, "null": None}


class SchemaValues:
    def __init__(self, fake: Faker, rng: random.Random, root: Any) -> None:
        self.fake = fake
        self.rng = rng
        self.root = root
        self.nodes = 0

    def value(self, schema: Any, name: str = "") -> Any:
        """A value for schema, drawn again (up to ATTEMPTS times) until it validates."""
        check = checker(self.root) if schema is self.root else None
        drawn = self._draw(schema, name)
        for _ in range(ATTEMPTS - 1):
            if check is None or is_valid(check, drawn):
                break
            drawn = self._draw(schema, name)
        return drawn

    def _draw(self, schema: Any, name: str) -> Any:
        self.nodes = 0
        return self._value(schema, name, 0)

    def _value(self, schema: Any, name: str, depth: int) -> Any:
        self.nodes += 1
        if schema is True:
            schema = {}
        if not isinstance(schema, dict):
            return None  # false (or not a schema): nothing fits
        if self.nodes > MAX_NODES or depth > MAX_DEPTH * 2:
            return self._least(schema)
        flat = flatten(schema, self.root)
        if not isinstance(flat, dict):
            return None
        excluded = _excluded(flat.get("not"))
        drawn = self._shaped(flat, name, depth)
        for _ in range(4 if excluded else 0):  # `not: {const: 0}` and the like: draw again
            if _canonical(drawn) not in excluded:
                break
            drawn = self._shaped(flat, name, depth)
        return drawn

    def _shaped(self, flat: dict[str, Any], name: str, depth: int) -> Any:
        if "const" in flat:
            return flat["const"]
        if isinstance(flat.get("enum"), list) and flat["enum"]:
            return self._enum(flat)
        for key in ("anyOf", "oneOf"):
            options = flat.get(key)
            if isinstance(options, list) and options:
                rest = {k: v for k, v in flat.items() if k != key}
                return self._value(merge(rest, self._pick(options, depth)), name, depth + 1)
        return self._typed(flat, self._type_of(flat, depth), name, depth)

    def _typed(self, schema: dict[str, Any], kind: str, name: str, depth: int) -> Any:
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, name, depth)
        if kind in ("integer", "number"):
            return scalars.number(schema, self.rng, integer=kind == "integer")
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return scalars.text(schema, self.fake, self.rng, name)

    def _type_of(self, schema: dict[str, Any], depth: int) -> str:
        kind = schema.get("type")
        if isinstance(kind, str):
            return kind
        if isinstance(kind, list):
            named = [k for k in kind if isinstance(k, str)]
            non_null = [k for k in named if k != "null"]
            if not non_null or (depth >= MAX_DEPTH and "null" in named):
                return "null" if "null" in named else "string"
            return self.rng.choice(non_null)
        return _implied_type(schema)

    def _enum(self, schema: dict[str, Any]) -> Any:
        kind = schema.get("type")
        kinds = kind if isinstance(kind, list) else [kind] if isinstance(kind, str) else []
        fitting = [v for v in schema["enum"] if not kinds or _json_type(v) in kinds]
        return self.rng.choice(fitting or schema["enum"])

    def _pick(self, options: list[Any], depth: int) -> Any:
        if depth >= MAX_DEPTH:  # prefer a branch that ends the recursion
            for option in options:
                if isinstance(option, dict) and option.get("type") in ("null", "string"):
                    return option
        return self.rng.choice(options)

    def _least(self, schema: dict[str, Any]) -> Any:
        """The cheapest value that fits the schema's type, drawn without recursing."""
        flat = flatten(schema, self.root)
        schema = flat if isinstance(flat, dict) else {}
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return schema["enum"][0]
        kind = schema.get("type")
        kind = (
            next((k for k in kind if isinstance(k, str)), None) if isinstance(kind, list) else kind
        )
        if kind in ("integer", "number"):
            return scalars.number(schema, self.rng, integer=kind == "integer")
        least = _LEAST.get(kind if isinstance(kind, str) else _implied_type(schema))
        return least.copy() if isinstance(least, dict | list) else least

    # ---- objects ---------------------------------------------------------------------------

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        props = _mapping(schema.get("properties"))
        required = _names(schema.get("required"), default=list(props))  # strict: every key
        keys = [k for k in props if k in required or depth < MAX_DEPTH]
        keys += [k for k in required if k not in keys]
        keys = _trim(_with_dependencies(keys, schema), required, schema.get("maxProperties"))
        out = {key: self._value(_property_schema(schema, key), key, depth + 1) for key in keys}
        self._fill(out, schema, depth)
        return out

    def _fill(self, out: dict[str, Any], schema: dict[str, Any], depth: int) -> None:
        """Add properties up to minProperties: declared ones first, then additional ones."""
        wanted = schema.get("minProperties")
        if not isinstance(wanted, int) or isinstance(wanted, bool):
            return
        spare = [k for k in _mapping(schema.get("properties")) if k not in out]
        for attempt in range(min(wanted, MAX_ITEMS) * 2):
            if len(out) >= wanted:
                return
            key = spare.pop(0) if spare else self._extra_key(schema, attempt)
            if key is None:
                return  # additionalProperties: false, and no declared key left
            out.setdefault(key, self._value(_property_schema(schema, key), key, depth + 1))

    def _extra_key(self, schema: dict[str, Any], attempt: int) -> str | None:
        patterns = list(_mapping(schema.get("patternProperties")))
        if patterns:
            drawn = string_matching(self.rng.choice(patterns), self.rng, 1, 64)
            if drawn is not None:
                return drawn
        if schema.get("additionalProperties") is False:
            return None
        names = schema.get("propertyNames")
        if isinstance(names, dict):
            return str(scalars.text(names, self.fake, self.rng, "")) or f"key{attempt}"
        return f"{self.fake.word()}_{attempt}"

    # ---- arrays ----------------------------------------------------------------------------

    def _array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        prefix, rest = _item_schemas(schema)
        count = self._count(schema, len(prefix), rest is False, depth)
        contains = schema.get("contains")
        need = _min_contains(schema) if isinstance(contains, dict | bool) else 0
        if need and rest is not False:  # room for the items `contains` asks for
            count = max(count, min(len(prefix) + need, MAX_ITEMS))
        least = _count_keyword(schema, "minItems") or 0
        seen: set[str] | None = set() if schema.get("uniqueItems") is True else None
        items: list[Any] = []
        for i in range(count):
            sub = prefix[i] if i < len(prefix) else rest
            if i >= len(prefix) and need > 0:
                sub, need = merge(sub if isinstance(sub, dict | bool) else {}, contains), need - 1
            drawn, fresh = self._item(sub, name, depth, seen)
            if not fresh and i >= len(prefix) and len(items) >= least:
                break  # no new distinct value, and the array is long enough without one
            items.append(drawn)
        return items

    def _count(self, schema: dict[str, Any], prefix: int, closed: bool, depth: int) -> int:
        low = _count_keyword(schema, "minItems")
        high = _count_keyword(schema, "maxItems")
        if high is None:
            high = max(low or 1, 3)
        if closed:
            high = min(high, prefix)
        if low is None:
            low = min(1, high)
        count = low if depth >= MAX_DEPTH else self.rng.randint(low, max(low, high))
        return min(count, MAX_ITEMS)

    def _item(self, schema: Any, name: str, depth: int, seen: set[str] | None) -> tuple[Any, bool]:
        """An array item, and whether it differs from the others (when they must differ)."""
        for _ in range(1 if seen is None else 4):
            drawn = self._value(schema, name, depth + 1)
            if seen is None:
                return drawn, True
            key = _canonical(drawn)
            if key not in seen:
                seen.add(key)
                return drawn, True
        return drawn, False


# ---- helpers ---------------------------------------------------------------------------------


def _canonical(value: Any) -> str:
    """Equal JSON values give equal strings (and 1 differs from true, as JSON Schema says)."""
    return json.dumps(value, sort_keys=True)


def _excluded(negated: Any) -> set[str]:
    """The values `not` rules out when it is a const or an enum (else none are known)."""
    if not isinstance(negated, dict):
        return set()
    if "const" in negated:
        return {_canonical(negated["const"])}
    values = negated.get("enum")
    return {_canonical(v) for v in values} if isinstance(values, list) else set()


def _implied_type(schema: dict[str, Any]) -> str:
    """The type a schema without `type` describes, from its keywords (else a string)."""
    for kind, keys in (("object", _OBJECT_KEYS), ("array", _ARRAY_KEYS),
                       ("string", _STRING_KEYS), ("number", _NUMBER_KEYS)):  # fmt: skip
        if any(key in schema for key in keys):
            return kind
    return "string"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    names = {float: "number", str: "string", list: "array", dict: "object"}
    return names.get(type(value), "string")


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _names(value: Any, default: list[str]) -> list[str]:
    if not isinstance(value, list):
        return default
    return [name for name in value if isinstance(name, str)]


def _with_dependencies(keys: list[str], schema: dict[str, Any]) -> list[str]:
    """dependentRequired: a present key brings the keys it depends on."""
    needs = _mapping(schema.get("dependentRequired"))
    out = list(keys)
    for key in out:  # grows while iterating: dependencies of dependencies come too
        extra = needs.get(key)
        out += (
            [k for k in extra if isinstance(k, str) and k not in out]
            if isinstance(extra, list)
            else []
        )
    return out


def _trim(keys: list[str], required: list[str], most: Any) -> list[str]:
    if not isinstance(most, int) or isinstance(most, bool) or len(keys) <= most:
        return keys
    optional = [k for k in keys if k not in required]
    drop = set(optional[: len(keys) - most])
    return [k for k in keys if k not in drop]


def _property_schema(schema: dict[str, Any], key: str) -> Any:
    """What the value under key must satisfy: its property schema and matching patterns."""
    parts: list[Any] = []
    props = _mapping(schema.get("properties"))
    if key in props:
        parts.append(props[key])
    for pattern, sub in _mapping(schema.get("patternProperties")).items():
        try:
            if re.search(pattern, key):
                parts.append(sub)
        except re.error:
            continue
    if not parts:
        extra = schema.get("additionalProperties", True)
        parts.append(extra if isinstance(extra, dict | bool) else True)
    return parts[0] if len(parts) == 1 else {"allOf": parts}


def _item_schemas(schema: dict[str, Any]) -> tuple[list[Any], Any]:
    """(schemas of the first items, schema of the rest: False when no more are allowed)."""
    items = schema.get("items", True)
    if isinstance(schema.get("prefixItems"), list):
        return schema["prefixItems"], items
    if isinstance(items, list):  # draft-07 tuple form
        return items, schema.get("additionalItems", True)
    return [], items


def _count_keyword(schema: dict[str, Any], key: str) -> int | None:
    value = schema.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _min_contains(schema: dict[str, Any]) -> int:
    wanted = _count_keyword(schema, "minContains")
    return 1 if wanted is None else wanted

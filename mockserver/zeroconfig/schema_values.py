"""Values that validate against a JSON Schema: function arguments and structured outputs.

Covers what tool and response schemas use: boolean schemas, types (and lists of them),
enum/const, anyOf/oneOf/allOf, if/then, $ref (`#`, $defs, definitions), properties with
required, dependentRequired, additionalProperties, patternProperties and min/maxProperties,
arrays with items, prefixItems (and draft-07 item lists), contains, min/maxItems and
uniqueItems, numeric bounds with multipleOf, and strings by format, pattern and length.
Strings come from faker, picked by property name where a name says what it holds.

Every value is checked with jsonschema and drawn again (a few times) when it does not fit, so
what the generator cannot aim at directly (oneOf's "exactly one", `not`) usually still comes
out valid. Work is bounded (depth, items, values per draw, the bytes of the value, the time
spent in the client's patterns: see budget.py): a recursive, unsatisfiable or hostile schema
gets a value quickly, never an error or a stalled server; what a bound cut is in the notes.
"""

from __future__ import annotations

import random
from typing import Any

from faker import Faker

from mockserver.errors import json_kind
from mockserver.zeroconfig import schema_scalars as scalars
from mockserver.zeroconfig.budget import Budget
from mockserver.zeroconfig.regex_values import string_matching
from mockserver.zeroconfig.schema_check import checker, is_valid
from mockserver.zeroconfig.schema_keywords import (
    canonical,
    count_keyword,
    excluded,
    implied_type,
    item_schemas,
    mapping,
    min_contains,
    names,
    property_schema,
    trim,
    with_dependencies,
)
from mockserver.zeroconfig.schema_merge import flatten, merge

MAX_DEPTH = 8  # recursive schemas stop here by taking their simplest branch
MAX_NODES = 2_000  # values per draw; past it every value is the least that fits its type
MAX_ITEMS = 256  # array length cap (a larger minItems is left unmet)
ATTEMPTS = 4  # draws before a value that does not validate is returned as it is

_LEAST = {"object": {}, "array": [], "string": "", "boolean": False, "null": None}


class SchemaValues:
    def __init__(
        self, fake: Faker, rng: random.Random, root: Any, budget: Budget | None = None
    ) -> None:
        self.fake = fake
        self.rng = rng
        self.root = root
        self.budget = budget if budget is not None else Budget()
        self.nodes = 0
        self.room = self.budget.max_bytes  # bytes the value may still take (roughly, as JSON)

    def value(self, schema: Any, name: str = "") -> Any:
        """A value for schema, drawn again (up to ATTEMPTS times) until it validates."""
        check = checker(self.root) if schema is self.root else None
        drawn = self._draw(schema, name)
        for _ in range(ATTEMPTS - 1):
            if check is None or is_valid(check, drawn, self.budget):
                break
            drawn = self._draw(schema, name)
        return drawn

    def _draw(self, schema: Any, name: str) -> Any:
        self.nodes = 0
        self.room = self.budget.max_bytes
        return self._value(schema, name, 0)

    def _value(self, schema: Any, name: str, depth: int) -> Any:
        self.nodes += 1
        if schema is True:
            schema = {}
        if not isinstance(schema, dict):
            return None  # false (or not a schema): nothing fits
        if self.nodes > MAX_NODES or depth > MAX_DEPTH * 2:
            return self._least(schema)
        if self.room <= 0:
            self.budget.note(
                f"size budget of {self.budget.max_bytes} bytes reached: "
                "the rest of the value is the least of each type"
            )
            return self._least(schema)
        flat = flatten(schema, self.root)
        if not isinstance(flat, dict):
            return None
        ruled_out = excluded(flat.get("not"))
        drawn = self._shaped(flat, name, depth)
        for _ in range(4 if ruled_out else 0):  # `not: {const: 0}` and the like: draw again
            if canonical(drawn) not in ruled_out:
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
            self.room -= 8
            return scalars.number(schema, self.rng, integer=kind == "integer")
        if kind == "boolean":
            self.room -= 5
            return self.rng.random() < 0.5
        if kind == "null":
            self.room -= 4
            return None
        return self._text(schema, name)

    def _text(self, schema: dict[str, Any], name: str) -> str:
        drawn = scalars.text(schema, self.fake, self.rng, name, self.budget, max(self.room, 0))
        self.room -= len(drawn) + 2
        return drawn

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
        return implied_type(schema)

    def _enum(self, schema: dict[str, Any]) -> Any:
        kind = schema.get("type")
        kinds = kind if isinstance(kind, list) else [kind] if isinstance(kind, str) else []
        fitting = [v for v in schema["enum"] if not kinds or json_kind(v) in kinds]
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
        least = _LEAST.get(kind if isinstance(kind, str) else implied_type(schema))
        return least.copy() if isinstance(least, dict | list) else least

    # ---- objects ---------------------------------------------------------------------------

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        props = mapping(schema.get("properties"))
        required = names(schema.get("required"), default=list(props))  # strict: every key
        keys = [k for k in props if k in required or depth < MAX_DEPTH]
        keys += [k for k in required if k not in keys]
        keys = trim(with_dependencies(keys, schema), required, schema.get("maxProperties"))
        self.room -= sum(len(key) + 4 for key in keys)
        out = {key: self._value(self._property(schema, key), key, depth + 1) for key in keys}
        self._fill(out, schema, depth)
        return out

    def _fill(self, out: dict[str, Any], schema: dict[str, Any], depth: int) -> None:
        """Add properties up to minProperties: declared ones first, then additional ones."""
        wanted = schema.get("minProperties")
        if not isinstance(wanted, int) or isinstance(wanted, bool):
            return
        spare = [k for k in mapping(schema.get("properties")) if k not in out]
        for attempt in range(min(wanted, MAX_ITEMS) * 2):
            if len(out) >= wanted:
                return
            key = spare.pop(0) if spare else self._extra_key(schema, attempt)
            if key is None:
                return  # additionalProperties: false, and no declared key left
            if key not in out:
                self.room -= len(key) + 4
                out[key] = self._value(self._property(schema, key), key, depth + 1)

    def _property(self, schema: dict[str, Any], key: str) -> Any:
        return property_schema(schema, key, self.budget)

    def _extra_key(self, schema: dict[str, Any], attempt: int) -> str | None:
        patterns = list(mapping(schema.get("patternProperties")))
        if patterns:
            drawn = string_matching(self.rng.choice(patterns), self.rng, 1, 64, self.budget)
            if drawn is not None:
                return drawn
        if schema.get("additionalProperties") is False:
            return None
        names = schema.get("propertyNames")
        if isinstance(names, dict):
            return self._text(names, "") or f"key{attempt}"
        return f"{self.fake.word()}_{attempt}"

    # ---- arrays ----------------------------------------------------------------------------

    def _array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        prefix, rest = item_schemas(schema)
        count = self._count(schema, len(prefix), rest is False, depth)
        contains = schema.get("contains")
        need = min_contains(schema) if isinstance(contains, dict | bool) else 0
        if need and rest is not False:  # room for the items `contains` asks for
            count = max(count, min(len(prefix) + need, MAX_ITEMS))
        least = count_keyword(schema, "minItems") or 0
        seen: set[str] | None = set() if schema.get("uniqueItems") is True else None
        items: list[Any] = []
        for i in range(count):
            sub = prefix[i] if i < len(prefix) else rest
            if i >= len(prefix) and need > 0:
                sub, need = merge(sub if isinstance(sub, dict | bool) else {}, contains), need - 1
            self.room -= 1
            drawn, fresh = self._item(sub, name, depth, seen)
            if not fresh and i >= len(prefix) and len(items) >= least:
                break  # no new distinct value, and the array is long enough without one
            items.append(drawn)
        return items

    def _count(self, schema: dict[str, Any], prefix: int, closed: bool, depth: int) -> int:
        low = count_keyword(schema, "minItems")
        high = count_keyword(schema, "maxItems")
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
            key = canonical(drawn)
            if key not in seen:
                seen.add(key)
                return drawn, True
        return drawn, False

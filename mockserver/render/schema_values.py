"""Values that validate against a JSON Schema: function arguments and structured outputs.

Covers what tool and response schemas use in practice: types, enum/const, anyOf/oneOf/allOf,
$ref into $defs/definitions, required/optional properties, array and string bounds, numeric
ranges and common string formats. Strings come from faker, picked by property name where a
name says what it holds (city, email, name...).
"""

from __future__ import annotations

import random
from typing import Any

from faker import Faker

MAX_DEPTH = 8  # recursive schemas stop here by taking their simplest branch

_BY_NAME = {
    "city": "city",
    "country": "country",
    "email": "email",
    "name": "name",
    "first_name": "first_name",
    "last_name": "last_name",
    "address": "street_address",
    "street": "street_name",
    "phone": "phone_number",
    "company": "company",
    "url": "url",
    "title": "sentence",
    "description": "sentence",
    "location": "city",
    "query": "sentence",
}
_FORMATS = {
    "email": lambda f: f.email(),
    "date-time": lambda f: f.date_time().isoformat() + "Z",
    "date": lambda f: f.date(),
    "time": lambda f: f.time(),
    "uuid": lambda f: f.uuid4(),
    "uri": lambda f: f.url(),
    "hostname": lambda f: f.hostname(),
    "ipv4": lambda f: f.ipv4(),
}


class SchemaValues:
    def __init__(self, fake: Faker, rng: random.Random, root: dict[str, Any]) -> None:
        self.fake = fake
        self.rng = rng
        self.root = root

    def value(self, schema: Any, name: str = "", depth: int = 0) -> Any:
        if not isinstance(schema, dict) or depth > MAX_DEPTH * 2:
            return None if depth > MAX_DEPTH * 2 else self.fake.word()
        if "$ref" in schema:
            return self.value(self._resolve(schema["$ref"]), name, depth + 1)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return self.rng.choice(schema["enum"])
        for key in ("anyOf", "oneOf"):
            if schema.get(key):
                return self.value(self._pick(schema[key], depth), name, depth + 1)
        if schema.get("allOf"):
            return self.value(_merge_all(schema["allOf"]), name, depth + 1)
        return self._typed(schema, _type_of(schema, depth), name, depth)

    def _typed(self, schema: dict[str, Any], kind: str, name: str, depth: int) -> Any:
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            return self._array(schema, name, depth)
        if kind == "integer":
            low, high = _bounds(schema, 0, 100)
            return self.rng.randint(int(low), int(high))
        if kind == "number":
            low, high = _bounds(schema, 0, 100)
            return round(self.rng.uniform(low, high), 2)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return self._string(schema, name)

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        props: dict[str, Any] = schema.get("properties") or {}
        required = set(schema.get("required") or props)  # strict schemas require every key
        return {
            key: self.value(sub, key, depth + 1)
            for key, sub in props.items()
            if key in required or depth < MAX_DEPTH
        }

    def _array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        low = int(schema.get("minItems", 1))
        high = int(schema.get("maxItems", max(low, 3)))
        count = low if depth >= MAX_DEPTH else self.rng.randint(low, max(low, high))
        return [self.value(schema.get("items", {}), name, depth + 1) for _ in range(count)]

    def _string(self, schema: dict[str, Any], name: str) -> str:
        fmt = schema.get("format")
        if fmt in _FORMATS:
            return str(_FORMATS[fmt](self.fake))
        provider = _BY_NAME.get(name.lower())
        text = str(getattr(self.fake, provider)()) if provider else self.fake.word()
        low = int(schema.get("minLength", 0))
        high = schema.get("maxLength")
        while len(text) < low:
            text += " " + self.fake.word()
        return text[: int(high)] if high is not None else text

    def _pick(self, options: list[Any], depth: int) -> Any:
        if depth >= MAX_DEPTH:  # prefer a branch that ends the recursion
            for option in options:
                if isinstance(option, dict) and option.get("type") in ("null", "string"):
                    return option
        return self.rng.choice(options)

    def _resolve(self, ref: str) -> Any:
        node: Any = self.root
        for part in ref.lstrip("#/").split("/"):
            if not isinstance(node, dict) or part not in node:
                return {}
            node = node[part]
        return node


def _type_of(schema: dict[str, Any], depth: int) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        non_null = [k for k in kind if k != "null"]
        return "null" if depth >= MAX_DEPTH or not non_null else str(non_null[0])
    if kind is None:
        return "object" if "properties" in schema else "string"
    return str(kind)


def _bounds(schema: dict[str, Any], low: float, high: float) -> tuple[float, float]:
    lo = schema.get("minimum", schema.get("exclusiveMinimum", low))
    hi = schema.get("maximum", schema.get("exclusiveMaximum", max(high, lo + high)))
    if "exclusiveMinimum" in schema and "minimum" not in schema:
        lo += 1
    if "exclusiveMaximum" in schema and "maximum" not in schema:
        hi -= 1
    return lo, max(lo, hi)


def _merge_all(parts: list[Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    for part in parts:
        if isinstance(part, dict):
            merged["properties"].update(part.get("properties") or {})
            merged["required"] += part.get("required") or []
            merged.update({k: v for k, v in part.items() if k not in ("properties", "required")})
    return merged

"""The zero-config generator's values validate against the schemas they were drawn for.

Every JSON Schema construct a tool's parameters or a `text.format` schema may use, checked
with jsonschema (formats included) over a dozen seeds; and schemas no value can satisfy, or
that recurse, still get a value quickly, never an exception.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator

from mockserver.zeroconfig.generate import json_for_schema
from mockserver.zeroconfig.regex_values import string_matching
from mockserver.zeroconfig.schema_check import checker

SEEDS = range(12)
SCHEMAS: list[tuple[str, Any]] = [  # JSON Schemas: objects, and booleans
    ("pattern-digits", {"type": "string", "pattern": "^[0-9]{3}-[0-9]{4}$"}),
    ("pattern-phone", {"type": "string", "pattern": "^\\+?[1-9]\\d{1,14}$"}),
    ("pattern-hex", {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"}),
    ("pattern-alt", {"type": "string", "pattern": "^(draft|published|archived)$"}),
    ("pattern-unanchored", {"type": "string", "pattern": "[A-Z]{2}\\d"}),
    ("pattern-email-ish", {"type": "string", "pattern": "^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$"}),
    ("pattern-len", {"type": "string", "pattern": "^[a-z]+$", "minLength": 5, "maxLength": 8}),
    ("pattern-lookahead", {"type": "string", "pattern": "^(?=.*[0-9])[a-zA-Z0-9]{8,12}$"}),
    ("pattern-backref", {"type": "string", "pattern": "^(ab|cd)-\\1$"}),
    ("min-exclusive", {"type": "integer", "minimum": 0, "exclusiveMinimum": 0}),
    ("exclusive-both", {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}),
    ("exclusive-tight-int", {"type": "integer", "exclusiveMinimum": 4, "exclusiveMaximum": 6}),
    ("max-only-negative", {"type": "integer", "maximum": -5}),
    ("max-only-exclusive-zero", {"type": "number", "exclusiveMaximum": 0}),
    ("min-only-large", {"type": "integer", "minimum": 1000000}),
    ("float-bounds-integer", {"type": "integer", "minimum": 1.5, "maximum": 3.5}),
    ("tiny-range", {"type": "number", "minimum": 0.001, "maximum": 0.002}),
    ("huge-range", {"type": "number", "minimum": -1.7e308, "maximum": 1.7e308}),
    ("multiple-int", {"type": "integer", "multipleOf": 7, "minimum": 1, "maximum": 100}),
    ("multiple-float", {"type": "number", "multipleOf": 0.25, "minimum": 0, "maximum": 10}),
    ("multiple-tenth", {"type": "number", "multipleOf": 0.1, "minimum": 0, "maximum": 5}),
    ("multiple-half-int", {"type": "integer", "multipleOf": 2.5}),
    (
        "multiple-exclusive",
        {"type": "integer", "multipleOf": 5, "exclusiveMinimum": 0, "exclusiveMaximum": 10},
    ),
    (
        "min-properties",
        {
            "type": "object",
            "properties": {"a": {"type": "string"}},
            "required": [],
            "minProperties": 3,
        },
    ),
    (
        "min-properties-closed",
        {
            "type": "object",
            "properties": {
                "a": {"type": "string"},
                "b": {"type": "integer"},
                "c": {"type": "boolean"},
            },
            "required": ["a"],
            "minProperties": 2,
            "additionalProperties": False,
        },
    ),
    (
        "max-properties",
        {
            "type": "object",
            "properties": {"a": {}, "b": {}, "c": {}},
            "required": ["a"],
            "maxProperties": 1,
        },
    ),
    (
        "unique-items",
        {
            "type": "array",
            "items": {"type": "integer", "minimum": 0, "maximum": 5},
            "minItems": 4,
            "uniqueItems": True,
        },
    ),
    (
        "unique-enum",
        {
            "type": "array",
            "items": {"enum": ["a", "b", "c"]},
            "minItems": 3,
            "maxItems": 3,
            "uniqueItems": True,
        },
    ),
    (
        "unique-booleans",
        {"type": "array", "items": {"type": "boolean"}, "minItems": 2, "uniqueItems": True},
    ),
    (
        "prefix-items",
        {
            "type": "array",
            "prefixItems": [{"type": "number"}, {"type": "string", "format": "date"}],
            "items": False,
            "minItems": 2,
        },
    ),
    (
        "prefix-open",
        {
            "type": "array",
            "prefixItems": [{"const": "x"}],
            "items": {"type": "integer"},
            "minItems": 3,
        },
    ),
    (
        "tuple-draft7",
        {
            "type": "array",
            "items": [{"type": "string"}, {"type": "integer"}],
            "additionalItems": False,
        },
    ),
    ("const-object", {"const": {"kind": "point", "xy": [1, 2]}}),
    (
        "const-in-object",
        {
            "type": "object",
            "properties": {
                "kind": {"const": "circle"},
                "r": {"type": "number", "exclusiveMinimum": 0},
            },
            "required": ["kind", "r"],
        },
    ),
    ("type-list", {"type": ["string", "null"]}),
    ("type-list-numbers", {"type": ["integer", "boolean"], "minimum": 3, "maximum": 4}),
    (
        "type-list-in-object",
        {
            "type": "object",
            "properties": {"a": {"type": ["number", "string"], "minimum": 10, "minLength": 2}},
            "required": ["a"],
        },
    ),
    (
        "formats",
        {
            "type": "object",
            "properties": {
                "date_time": {"type": "string", "format": "date-time"},
                "date": {"type": "string", "format": "date"},
                "time": {"type": "string", "format": "time"},
                "email": {"type": "string", "format": "email"},
                "uuid": {"type": "string", "format": "uuid"},
                "uri": {"type": "string", "format": "uri"},
                "hostname": {"type": "string", "format": "hostname"},
                "ipv4": {"type": "string", "format": "ipv4"},
                "ipv6": {"type": "string", "format": "ipv6"},
                "duration": {"type": "string", "format": "duration"},
                "json_pointer": {"type": "string", "format": "json-pointer"},
                "regex": {"type": "string", "format": "regex"},
                "idn_email": {"type": "string", "format": "idn-email"},
                "uri_reference": {"type": "string", "format": "uri-reference"},
                "relative_json_pointer": {"type": "string", "format": "relative-json-pointer"},
                "unknown_format": {"type": "string", "format": "unknown-format"},
            },
            "required": [],
        },
    ),
    ("format-maxlength", {"type": "string", "format": "email", "maxLength": 10}),
    (
        "additional-schema",
        {
            "type": "object",
            "additionalProperties": {"type": "integer", "minimum": 1},
            "minProperties": 2,
        },
    ),
    (
        "additional-schema-props",
        {
            "type": "object",
            "properties": {"id": {"type": "string"}},
            "required": ["id"],
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "minProperties": 3,
        },
    ),
    (
        "pattern-properties",
        {
            "type": "object",
            "patternProperties": {"^x-[a-z]+$": {"type": "string"}},
            "additionalProperties": False,
            "minProperties": 2,
        },
    ),
    (
        "pattern-props-overlap",
        {
            "type": "object",
            "properties": {"x-a": {"type": ["string", "integer"]}},
            "patternProperties": {"^x-": {"type": "string"}},
            "required": ["x-a"],
        },
    ),
    ("required-undeclared", {"type": "object", "properties": {}, "required": ["name", "age"]}),
    (
        "required-undeclared-typed",
        {"type": "object", "additionalProperties": {"type": "integer"}, "required": ["n"]},
    ),
    (
        "dependent-required",
        {
            "type": "object",
            "properties": {"card": {"type": "string"}, "billing": {"type": "string"}},
            "required": ["card"],
            "dependentRequired": {"card": ["billing"]},
        },
    ),
    (
        "ref-root",
        {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#"}, "maxItems": 2},
            },
            "required": ["name"],
        },
    ),
    (
        "ref-root-optional",
        {
            "type": "object",
            "properties": {"value": {"type": "integer"}, "next": {"$ref": "#"}},
            "required": ["value"],
        },
    ),
    (
        "ref-defs",
        {
            "$defs": {
                "Addr": {
                    "type": "object",
                    "properties": {
                        "city": {"type": "string"},
                        "zip": {"type": "string", "pattern": "^\\d{5}$"},
                    },
                    "required": ["city", "zip"],
                    "additionalProperties": False,
                }
            },
            "type": "object",
            "properties": {
                "home": {"$ref": "#/$defs/Addr"},
                "work": {"anyOf": [{"$ref": "#/$defs/Addr"}, {"type": "null"}]},
            },
            "required": ["home", "work"],
            "additionalProperties": False,
        },
    ),
    (
        "ref-definitions",
        {
            "definitions": {"n": {"type": "integer", "minimum": 5}},
            "type": "array",
            "items": {"$ref": "#/definitions/n"},
        },
    ),
    (
        "ref-escaped",
        {
            "$defs": {"a/b": {"type": "integer"}, "c~d": {"type": "boolean"}},
            "type": "object",
            "properties": {"x": {"$ref": "#/$defs/a~1b"}, "y": {"$ref": "#/$defs/c~0d"}},
            "required": ["x", "y"],
        },
    ),
    ("ref-siblings", {"$defs": {"s": {"type": "string"}}, "$ref": "#/$defs/s", "maxLength": 3}),
    (
        "ref-tree-recursive-defs",
        {
            "$defs": {
                "node": {
                    "type": "object",
                    "properties": {
                        "v": {"type": "integer"},
                        "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}},
                    },
                    "required": ["v", "kids"],
                }
            },
            "$ref": "#/$defs/node",
        },
    ),
    (
        "oneof-discriminated",
        {
            "oneOf": [
                {
                    "type": "object",
                    "properties": {"kind": {"const": "a"}, "x": {"type": "integer"}},
                    "required": ["kind", "x"],
                },
                {
                    "type": "object",
                    "properties": {"kind": {"const": "b"}, "y": {"type": "string"}},
                    "required": ["kind", "y"],
                },
            ]
        },
    ),
    (
        "anyof-with-base",
        {
            "type": "object",
            "properties": {"a": {"type": "integer"}},
            "anyOf": [{"required": ["a"]}, {"required": ["b"]}],
        },
    ),
    (
        "allof-objects",
        {
            "allOf": [
                {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
                {"properties": {"b": {"type": "string"}}, "required": ["b"]},
            ]
        },
    ),
    ("allof-bounds", {"allOf": [{"type": "integer", "minimum": 5}, {"maximum": 7}]}),
    (
        "if-then-else",
        {
            "type": "object",
            "properties": {"country": {"enum": ["US", "CA"]}, "code": {"type": "string"}},
            "required": ["country", "code"],
            "if": {"properties": {"country": {"const": "US"}}},
            "then": {"properties": {"code": {"pattern": "^[0-9]{5}$"}}},
            "else": {"properties": {"code": {"pattern": "^[A-Z][0-9][A-Z] [0-9][A-Z][0-9]$"}}},
        },
    ),
    ("not-simple", {"type": "integer", "not": {"const": 0}, "minimum": 0, "maximum": 1}),
    (
        "contains",
        {
            "type": "array",
            "items": {"type": "integer"},
            "contains": {"minimum": 100},
            "minItems": 2,
        },
    ),
    ("contains-min", {"type": "array", "contains": {"const": "x"}, "minContains": 2}),
    ("enum-mixed", {"enum": ["a", 1, None, {"k": [1]}]}),
    ("enum-with-type", {"type": "string", "enum": ["a", 1, None]}),
    ("boolean-true-items", {"type": "array", "items": True, "minItems": 1}),
    ("true-schema", True),
    ("empty-schema", {}),
    ("string-bounds", {"type": "string", "minLength": 30, "maxLength": 31}),
    ("string-zero", {"type": "string", "maxLength": 0}),
    ("array-zero", {"type": "array", "maxItems": 0}),
    (
        "nested-strict",
        {
            "type": "object",
            "properties": {
                "user": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "tags": {
                            "type": "array",
                            "items": {"type": "string", "enum": ["x", "y"]},
                            "uniqueItems": True,
                        },
                    },
                    "required": ["name", "tags"],
                    "additionalProperties": False,
                }
            },
            "required": ["user"],
            "additionalProperties": False,
        },
    ),
    ("nullable-anyof", {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]}),
    (
        "draft07-schema",
        {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {
                "t": {
                    "type": "array",
                    "items": [{"type": "integer"}],
                    "additionalItems": {"type": "string"},
                }
            },
            "required": ["t"],
        },
    ),
    (
        "deep-required-arrays",
        {
            "type": "object",
            "properties": {
                "m": {
                    "type": "array",
                    "minItems": 2,
                    "items": {
                        "type": "array",
                        "minItems": 2,
                        "items": {"type": "array", "minItems": 2, "items": {"type": "integer"}},
                    },
                }
            },
            "required": ["m"],
        },
    ),
    (
        "property-names",
        {"type": "object", "propertyNames": {"pattern": "^[a-z]{3}$"}, "minProperties": 2},
    ),
]


def _validator(schema: dict[str, Any]) -> Draft7Validator | Draft202012Validator:
    draft7 = isinstance(schema, dict) and (
        "draft-07" in schema.get("$schema", "") or isinstance(schema.get("items"), list)
    )
    cls = Draft7Validator if draft7 else Draft202012Validator
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.mark.parametrize("schema", [c[1] for c in SCHEMAS], ids=[c[0] for c in SCHEMAS])
def test_values_validate_against_their_schema(schema: dict[str, Any]) -> None:
    validator = _validator(schema)
    for seed in SEEDS:
        value = json_for_schema(schema, random.Random(seed))
        errors = [e.message for e in validator.iter_errors(value)]
        assert not errors, (seed, value, errors)
        json.dumps(value, allow_nan=False)  # and it is JSON


def test_values_are_deterministic_and_vary_with_the_seed() -> None:
    schema = dict(SCHEMAS)["ref-defs"]
    first = [json_for_schema(schema, random.Random(s)) for s in SEEDS]
    assert first == [json_for_schema(schema, random.Random(s)) for s in SEEDS]
    assert len({json.dumps(v) for v in first}) > 1


UNSATISFIABLE = [
    ("false", {"type": "object", "properties": {"a": False}, "required": ["a"]}),
    ("min-above-max", {"type": "integer", "minimum": 10, "maximum": 1}),
    ("min-items-above-max", {"type": "array", "minItems": 5, "maxItems": 2}),
    ("unique-from-two-values", {"type": "array", "items": {"type": "boolean"}, "minItems": 3,
                                "uniqueItems": True}),
    ("conflicting-types", {"allOf": [{"type": "string"}, {"type": "integer"}]}),
    ("conflicting-consts", {"allOf": [{"const": 1}, {"const": 2}]}),
    ("infinite-required", {"type": "object", "properties": {"a": {"$ref": "#"}},
                           "required": ["a"]}),
    ("ref-to-itself", {"$defs": {"a": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}),
    ("ref-loop-through-if", {"type": "object", "properties": {"x": {
        "if": {"$ref": "#"}, "then": {"$ref": "#"}, "else": False}}}),
    ("ref-elsewhere", {"type": "object", "properties": {"a": {"$ref": "https://x.test/s"}}}),
    ("ref-missing", {"type": "object", "properties": {"a": {"$ref": "#/$defs/nope"}}}),
    ("not-anything", {"not": {}}),
    ("one-of-twins", {"oneOf": [{"type": "integer"}, {"type": "integer"}]}),
    ("pattern-impossible", {"type": "string", "pattern": "^a$", "minLength": 3}),
    ("pattern-not-python", {"type": "string", "pattern": "^\\p{L}+$"}),
    ("pattern-not-a-regex", {"type": "string", "pattern": "(("}),
    ("huge-min-items", {"type": "array", "minItems": 10**9}),
    ("huge-min-length", {"type": "string", "minLength": 10**9}),
    ("huge-min-properties", {"type": "object", "minProperties": 10**9}),
    ("huge-numbers", {"type": "integer", "minimum": 10**300, "multipleOf": 7}),
    ("tiny-multiple", {"type": "number", "multipleOf": 1e-300, "minimum": 1e300}),
    ("deep-min-items", json.loads('{"type":"array","minItems":9,"items":' * 12 + "{}" + "}" * 12)),
    ("wide-recursion", {"type": "object", "properties": {f"p{i}": {"$ref": "#"}
                                                         for i in range(20)}}),
]  # fmt: skip


@pytest.mark.parametrize("schema", [c[1] for c in UNSATISFIABLE],
                         ids=[c[0] for c in UNSATISFIABLE])  # fmt: skip
def test_impossible_or_hostile_schemas_still_get_a_value_quickly(
    schema: dict[str, Any],
) -> None:
    start = time.perf_counter()
    for seed in range(3):
        json.dumps(json_for_schema(schema, random.Random(seed)), allow_nan=False)
    assert time.perf_counter() - start < 3


@pytest.mark.parametrize(
    ("schema", "checked"),
    [
        ({"type": "object", "properties": {"next": {"$ref": "#"}}}, True),  # descends: finite
        ({"$defs": {"n": {"items": {"$ref": "#/$defs/n"}}}, "$ref": "#/$defs/n"}, True),
        ({"allOf": [{"$ref": "#"}]}, False),  # the same value forever
        ({"if": {"$ref": "#"}, "then": {}}, False),
        ({"properties": {"x": {"if": {"$ref": "#"}}}}, True),  # `properties` descends first
        ({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"not": {"$ref": "#/$defs/a"}}},
          "$ref": "#/$defs/a"}, False),
        ({"properties": {"a": {"$ref": "https://x.test/s"}}}, False),
        ({"$id": "https://x.test/root", "type": "object"}, False),
    ],
)  # fmt: skip
def test_values_are_only_checked_where_checking_terminates(
    schema: dict[str, Any], checked: bool
) -> None:
    assert (checker(schema) is not None) == checked


@pytest.mark.parametrize(
    ("pattern", "low", "high"),
    [
        ("^[0-9]{3}-[0-9]{4}$", 0, None),
        ("^(draft|published)$", 0, None),
        ("^[a-z]+$", 20, 25),
        ("^(?:[A-Z]{2}|\\d)_\\w{2,}$", 0, None),
        ("^(ab|cd)-\\1$", 0, None),
        ("[^a-z\\s]{4}", 0, None),
    ],
)  # fmt: skip
def test_strings_matching_a_pattern(pattern: str, low: int, high: int | None) -> None:
    import re

    for seed in SEEDS:
        text = string_matching(pattern, random.Random(seed), low, high)
        assert text is not None and re.search(pattern, text), (seed, text)
        assert low <= len(text) <= (high if high is not None else len(text))


@pytest.mark.parametrize("pattern", ["((", "^\\p{L}$", "^a{99999999}$", "^a$"])
def test_patterns_that_cannot_be_drawn_give_none(pattern: str) -> None:
    assert string_matching(pattern, random.Random(1), min_length=5) is None

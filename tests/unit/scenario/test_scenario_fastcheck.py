"""The fast yes/no validator never accepts what jsonschema rejects, and accepts good files."""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import pytest

from mockserver.scenario import schema
from mockserver.scenario.fastcheck import compile_schema
from mockserver.scenario.yamlmarks import parse

GALLERY = sorted((Path(__file__).resolve().parents[3] / "scenarios").glob("*.yaml"))

# Values of every JSON type, and the ones whose typing is subtle (bool vs int, 1.0, "").
ODD_VALUES: list[Any] = [
    True, False, None, 0, 1, -1, 2.5, 1.0, float("nan"), "", "x", "bad name!",
    "probability", [], [1], ["a"], {}, {"message": "hi"}, {"zzz": 1}, 10**9,
]  # fmt: skip


def documents() -> list[Any]:
    docs = []
    for file in GALLERY:
        data = parse(file.read_text(encoding="utf-8"), str(file)).data
        docs.extend(data if isinstance(data, list) else [data])
    return docs


def slots(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into value (mapping keys and list indexes)."""
    out = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            out += slots(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += slots(item, (*path, i))
    return out


def mutated(doc: Any, rng: random.Random) -> Any:
    doc = copy.deepcopy(doc)
    path = rng.choice(slots(doc)[1:])
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    choice = rng.random()
    if choice < 0.7:
        parent[path[-1]] = copy.deepcopy(rng.choice(ODD_VALUES))
    elif choice < 0.85 and isinstance(parent, dict):
        parent["unknown_" + str(path[-1])] = 1
    elif isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent.pop(path[-1])
    return doc


def test_gallery_takes_the_fast_path() -> None:
    docs = documents()
    assert docs
    for doc in docs:
        assert schema.is_valid("scenario")(doc), doc.get("name")


def test_fast_yes_implies_jsonschema_yes() -> None:
    rng = random.Random(7)
    docs = documents()
    accepted = rejected = 0
    for _ in range(3000):
        doc = mutated(rng.choice(docs), rng)
        errors = list(schema.validator("scenario").iter_errors(doc))
        if schema.is_valid("scenario")(doc):
            accepted += 1
            assert not errors, (doc, [e.message for e in errors])
        elif errors:
            rejected += 1
    assert accepted > 100 and rejected > 1000  # both sides exercised


@pytest.mark.parametrize(
    ("node", "value", "expected"),
    [
        ({"type": "integer"}, True, False),
        ({"type": "integer"}, 1.0, False),  # jsonschema accepts it: the slow path decides
        ({"type": "number", "minimum": 0}, -0.5, False),
        ({"type": ["string", "null"]}, None, True),
        ({"enum": ["a", "b"]}, "b", True),
        ({"enum": [1]}, 1, False),  # non-string enums are left to jsonschema
        ({"properties": {"a": {"type": "string"}}, "additionalProperties": False}, {"b": 1}, False),
        ({"properties": {"a": {"type": "string"}}}, {"b": 1}, True),
        ({"additionalProperties": {"type": "integer"}}, {"b": "x"}, False),
        ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, 3, True),
        ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, 3, False),
        ({"pattern": "^[a-z]+$"}, "abc", True),
        ({"uniqueItems": True}, [1], False),  # an unknown keyword: never "yes"
    ],
)
def test_keywords(node: dict[str, Any], value: Any, expected: bool) -> None:
    assert compile_schema(node)(value) is expected

"""The compiled shapes give jsonschema's verdicts on the schemas we ship, with our words.

The schema `mockserver schema` publishes and the check loading runs are one file; these
tests hold the walk (shapes.py) to the JSON Schema standard, so editors and the server agree.
"""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mockserver.scenario import schema, spec_items
from mockserver.scenario.shapes import Schema
from mockserver.scenario.yamlmarks import parse

GALLERY = sorted((Path(__file__).resolve().parents[3] / "scenarios").glob("*.yaml"))

# Values of every JSON type, and the ones whose typing is subtle (bool vs int, 1.0, "").
ODD_VALUES: list[Any] = [
    True, False, None, 0, 1, -1, 2.5, 1.0, float("nan"), "", "x", "bad name!",
    "probability", "wrd", [], [1], ["a"], {}, {"message": "hi"}, {"zzz": 1}, {"gte": 0},
    {"size": 0}, [{}], 10**9,
]  # fmt: skip

ITEMS: list[dict[str, Any]] = [
    {"type": "web_search_call", "status": "completed", "action": {"type": "search", "query": "q"}},
    {"type": "file_search_call", "status": "completed", "queries": ["q"], "results": None},
    {"type": "mcp_list_tools", "server_label": "s", "tools": []},
    {"type": "function_call", "call_id": "c", "name": "n", "arguments": "{}"},
    {
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": "x", "annotations": []}],
    },
]


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


def test_the_gallery_is_valid() -> None:
    docs = documents()
    assert docs
    for doc in docs:
        assert schema.check(doc) == [], doc.get("name")


def test_the_walk_agrees_with_jsonschema_on_the_published_schema() -> None:
    """The schema editors get (`mockserver schema`) accepts exactly what loading accepts."""
    published = jsonschema.Draft202012Validator(schema.schema())
    rng = random.Random(7)
    docs = documents()
    accepted = rejected = 0
    for _ in range(3000):
        doc = mutated(rng.choice(docs), rng)
        ours = schema.check(doc)
        assert bool(ours) == (not published.is_valid(doc)), (doc, ours)
        accepted += not ours
        rejected += bool(ours)
    assert accepted > 100 and rejected > 1000  # both sides exercised


def test_the_walk_agrees_with_jsonschema_on_the_spec_items() -> None:
    rng = random.Random(11)
    defs = spec_items._spec()["$defs"]
    validators: dict[str, jsonschema.Draft202012Validator] = {}
    accepted = rejected = 0
    for _ in range(1500):
        item = mutated(rng.choice(ITEMS), rng)
        if not isinstance(item.get("type"), str):
            continue
        name = spec_items._spec()["by_type"]["OutputItem"].get(item["type"])
        if name is None:
            continue
        item = {"id": "placeholder_0", **item}
        theirs = validators.get(name) or validators.setdefault(
            name, jsonschema.Draft202012Validator({"$defs": defs, "$ref": f"#/$defs/{name}"})
        )
        ours = spec_items._compiled().shape(f"#/$defs/{name}").findings(item)
        assert bool(ours) == (not theirs.is_valid(item)), (item, ours)
        accepted += not ours
        rejected += bool(ours)
    assert accepted > 50 and rejected > 300


@pytest.mark.parametrize(
    ("node", "value"),
    [
        ({"type": "integer"}, True),
        ({"type": "integer"}, 1.0),  # JSON Schema: an integral number is an integer
        ({"type": "number", "minimum": 0}, -0.5),
        ({"type": "number", "minimum": 0}, False),  # a boolean is not a number
        ({"type": ["string", "null"]}, None),
        ({"enum": ["a", "b"]}, "b"),
        ({"enum": [1]}, True),
        ({"enum": [1]}, 1.0),
        ({"const": True}, 1),
        ({"properties": {"a": {"type": "string"}}, "additionalProperties": False}, {"b": 1}),
        ({"properties": {"a": {"type": "string"}}}, {"b": 1}),
        ({"additionalProperties": {"type": "integer"}}, {"b": "x"}),
        ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, 3),
        ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, 3),  # both fit: not one of
        ({"oneOf": [{"type": "integer"}, {"type": "string"}]}, 3),
        ({"allOf": [{"type": "integer"}, {"minimum": 5}]}, 3),
        ({"pattern": "^[a-z]+$"}, "abc"),
        ({"propertyNames": {"maxLength": 2}}, {"abc": 1}),
        ({"maxProperties": 1, "minProperties": 1}, {}),
    ],
)
def test_keywords_as_jsonschema(node: dict[str, Any], value: Any) -> None:
    ours = Schema({"$defs": {"x": node}}).shape("#/$defs/x").findings(value)
    assert bool(ours) == (not jsonschema.Draft202012Validator(node).is_valid(value))


def test_an_unknown_keyword_is_refused_when_compiled() -> None:
    with pytest.raises(ValueError, match="uniqueItems"):
        Schema({"$defs": {"x": {"uniqueItems": True}}}).shape("#/$defs/x")


def test_every_definition_compiles() -> None:
    for name in schema.schema()["$defs"]:
        schema.shape(name)
    for name in spec_items._spec()["$defs"]:
        spec_items._compiled().shape(f"#/$defs/{name}")


def test_the_walk_compiles_the_published_definitions_themselves() -> None:
    """Not a copy: what `mockserver schema` prints is the very node each shape checks."""
    for name, node in schema.schema()["$defs"].items():
        assert schema.shape(name).node is node

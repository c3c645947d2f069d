"""Generated numbers are always finite: JSON has no Infinity or NaN, and most clients (every one
but Python's) refuse them. Before, `exclusiveMinimum: 1.7976931348623157e308` generated inf
(written out as `Infinity`) and a `multipleOf` past the largest double raised OverflowError.
"""

from __future__ import annotations

import json
import math
import random
import sys
from typing import Any

import pytest
from aiohttp import ClientSession
from conftest import StartServer

from mockserver.config import Config
from mockserver.zeroconfig.generate import json_for_schema

MAX = sys.float_info.max

EDGE_SCHEMAS: list[dict[str, Any]] = [
    {"type": "number", "exclusiveMinimum": MAX},
    {"type": "number", "exclusiveMaximum": -MAX},
    {"type": "number", "minimum": MAX, "exclusiveMaximum": MAX},
    {"type": "number", "multipleOf": 1e308, "minimum": 1e308},
    {"type": "number", "multipleOf": 1e-320},
    {"type": "number", "minimum": -MAX, "maximum": MAX},
    {"type": "integer", "minimum": 1e308, "maximum": MAX},
]


def _refuse(constant: str) -> None:
    raise AssertionError(f"{constant} is not JSON")


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


@pytest.mark.parametrize("schema", EDGE_SCHEMAS, ids=[json.dumps(s) for s in EDGE_SCHEMAS])
def test_numbers_at_the_edge_of_the_doubles_stay_finite(schema: dict[str, Any]) -> None:
    for seed in range(5):
        value = json_for_schema(schema, random.Random(seed))
        assert _finite(value), value
        json.dumps(value, allow_nan=False)  # standard JSON


async def test_structured_output_and_tool_arguments_are_standard_json(
    start_server: StartServer,
) -> None:
    mock = await start_server(Config(seed=2))
    properties = {f"n{i}": schema for i, schema in enumerate(EDGE_SCHEMAS)}
    schema = {"type": "object", "properties": properties, "required": list(properties)}
    text_format = {"type": "json_schema", "name": "edge", "schema": schema, "strict": False}
    tool = {"type": "function", "name": "f", "parameters": schema, "strict": False}
    bodies = [
        {"model": "gpt-4o", "input": "numbers", "text": {"format": text_format}},
        {"model": "gpt-4o", "input": "numbers", "tools": [tool], "tool_choice": "required"},
    ]
    async with ClientSession(mock.root, headers={"Authorization": "Bearer sk-n"}) as http:
        for body in bodies:
            async with http.post("/v1/responses", json=body) as resp:
                raw = await resp.text()
                assert resp.status == 200, raw
            assert not any(word in raw for word in ("Infinity", "NaN"))
            item = json.loads(raw)["output"][0]
            produced = item["arguments"] if "arguments" in item else item["content"][0]["text"]
            assert _finite(json.loads(produced, parse_constant=_refuse)), produced
        async with http.get("/_mock/requests") as resp:
            journal = await resp.text()
    assert not any(word in journal for word in ("Infinity", "NaN"))

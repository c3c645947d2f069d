"""The trimmed spec schemas shipped for `item:` replies match the official spec they come from."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
import specschema
from specschema import spec_schema

from mockserver.scenario import spec_items

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "mockserver" / "scenario" / "output_items.schema.json"


def generator() -> Any:
    spec = importlib.util.spec_from_file_location(
        "gen", ROOT / "scripts" / "gen_output_items_schema.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_file_is_what_the_script_makes_from_the_spec() -> None:
    made = generator().build(specschema._spec())  # the parsed spec, shared with other tests
    assert made == json.loads(SHIPPED.read_text(encoding="utf-8"))


def test_every_output_item_type_has_a_branch() -> None:
    branches = spec_schema("OutputItem")["oneOf"]
    assert len(spec_items.item_types()) == len(branches)


@pytest.mark.parametrize(
    "item",
    [
        {
            "type": "web_search_call",
            "status": "completed",
            "action": {"type": "search", "query": "q"},
        },
        {"type": "file_search_call", "status": "completed", "queries": ["q"], "results": None},
        {"type": "image_generation_call", "status": "completed", "result": "aGVsbG8="},
        {"type": "mcp_list_tools", "server_label": "s", "tools": []},
        {
            "type": "code_interpreter_call",
            "status": "completed",
            "container_id": "c",
            "code": "print(1)",
            "outputs": [{"type": "logs", "logs": "1"}],
        },
    ],
    ids=lambda item: item["type"],
)
def test_spec_items_pass(item: dict[str, Any]) -> None:
    assert spec_items.check_item(item, ("item",)) == []

"""The README's scenario reference and the JSON Schema never drift: same keys, valid examples."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from mockserver.scenario import load_text
from mockserver.scenario.schema import schema

DOC = Path(__file__).resolve().parents[3] / "docs" / "scenarios.md"
MARKER = re.compile(r"<!-- schema: (\S+) -->")


def tables() -> dict[str, list[tuple[str, str]]]:
    """{schema pointer: [(key, example), ...]} for every marked table of the reference."""
    found: dict[str, list[tuple[str, str]]] = {}
    pointer = None
    for line in DOC.read_text(encoding="utf-8").splitlines():
        marker = MARKER.fullmatch(line.strip())
        if marker:
            pointer = marker.group(1)
            found[pointer] = []
        elif pointer and line.startswith("| `"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            key, example = cells[0].strip("`"), cells[1].strip("`").replace("\\|", "|")
            found[pointer].append((key, example))
        elif pointer and not line.startswith("|"):
            pointer = None if found[pointer] else pointer
    return found


def node(pointer: str) -> Any:  # a node of the JSON Schema
    here = schema()["$defs"]
    for part in pointer.split("/"):
        here = here[int(part)] if isinstance(here, list) else here[part]
    return here


TABLES = tables()


def test_the_reference_covers_every_object_of_the_schema() -> None:
    defs = schema()["$defs"]
    with_keys = {name for name, d in defs.items() if d.get("properties") and name != "counter"}
    assert with_keys <= set(TABLES)


@pytest.mark.parametrize("pointer", TABLES, ids=list(TABLES))
def test_a_table_lists_exactly_the_schema_keys(pointer: str) -> None:
    documented = [key for key, _ in TABLES[pointer]]
    assert sorted(documented) == sorted(node(pointer)["properties"])
    assert len(documented) == len(set(documented))


EXAMPLES = [(pointer, key, example) for pointer, rows in TABLES.items() for key, example in rows]


@pytest.mark.parametrize(
    ("pointer", "key", "example"), EXAMPLES, ids=[f"{p}.{k}" for p, k, _ in EXAMPLES]
)
def test_every_example_is_valid(pointer: str, key: str, example: str) -> None:
    fragment = yaml.safe_load(example)
    assert isinstance(fragment, dict) and list(fragment) == [key], example
    root = schema()
    target = {"$defs": root["$defs"], "$ref": f"#/$defs/{pointer}/properties/{key}"}
    jsonschema.Draft202012Validator(target).validate(fragment[key])


def test_the_full_examples_load() -> None:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)
    scenarios = [b for b in blocks if re.search(r"^name: ", b, flags=re.MULTILINE)]
    assert scenarios
    for block in scenarios:
        assert load_text(block, "README")

"""The scenario language's one definition: schema.json, published and checked as is.

`mockserver schema` prints schema.json for editors' YAML language servers; loading compiles
the same file into shapes (shapes.py) and walks each document once, describing every problem
in plain words (`what is wrong; what is allowed`). There is no second, hand-kept validator.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from mockserver.scenario.problems import Path
from mockserver.scenario.shapes import Finding, Schema, Shape, shown, type_name

__all__ = ["Finding", "check", "schema", "schema_json", "shape", "shown", "type_name"]


@functools.cache
def schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def schema_json() -> str:
    """The schema as `mockserver schema` prints it (for editors' YAML language servers)."""
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


@functools.cache
def _compiled() -> Schema:
    return Schema(schema())


def shape(definition: str) -> Shape:
    """The compiled shape of one of the schema's $defs (scenario, rule, when, pacing, ...)."""
    return _compiled().shape(f"#/$defs/{definition}")


def check(instance: Any, definition: str = "scenario", base: Path = ()) -> list[Finding]:
    """Every schema violation of instance, described; [] when it is valid."""
    return shape(definition).findings(instance, base)

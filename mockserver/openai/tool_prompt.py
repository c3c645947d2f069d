"""Tools and a response format as the model reads them, for counting input tokens.

The API does not feed the JSON of `tools` and `text.format` to the model: it writes them
into a developer message in a TypeScript-like notation (the format OpenAI documents for its
open-weight models, and the one real usage figures fit: a function without parameters costs
about 20 tokens, a two-field response format about 30). Hosted tools keep their JSON here;
their real prompts are the API's own and unknown.

    # Tools

    ## functions

    namespace functions {

    // Get the weather
    type get_weather = (_: {
    // The city
    location: string,
    unit?: "celsius" | "fahrenheit",
    }) => any;

    } // namespace functions
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

_MAX_DEPTH = 16  # deeper schemas are written as `any` (bounds the work a request controls)
_SCALARS = {"string": "string", "number": "number", "integer": "number", "boolean": "boolean",
            "null": "null"}  # fmt: skip


def tools_text(tools: Sequence[Mapping[str, Any]]) -> str:
    """The `# Tools` section for the function tools (empty without any)."""
    functions = [_function(t) for t in tools if t.get("type") == "function"]
    if not functions:
        return ""
    body = "\n\n".join(functions)
    return (
        f"# Tools\n\n## functions\n\nnamespace functions {{\n\n{body}\n\n}} // namespace functions"
    )


def response_format_text(text_format: Any) -> str:
    """The `# Response Formats` section for a json_schema text.format (else empty)."""
    if not isinstance(text_format, Mapping) or text_format.get("type") != "json_schema":
        return ""
    name = str(text_format.get("name", "response"))
    head = f"# Response Formats\n\n## {name}\n\n{_comment(text_format.get('description'))}"
    return f"{head}type {name} = {_type(text_format.get('schema'), 0)}"


def _function(tool: Mapping[str, Any]) -> str:
    name = str(tool.get("name", ""))
    params = tool.get("parameters")
    props = params.get("properties") if isinstance(params, Mapping) else None
    signature = f"(_: {_object(params, 0)})" if isinstance(props, Mapping) and props else "()"
    return f"{_comment(tool.get('description'))}type {name} = {signature} => any;"


def _comment(description: Any) -> str:
    return f"// {description}\n" if isinstance(description, str) and description else ""


def _type(schema: Any, depth: int) -> str:
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
        return "any"
    if "enum" in schema and isinstance(schema["enum"], list):
        return " | ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"]) or "never"
    if "const" in schema:
        return json.dumps(schema["const"], ensure_ascii=False)
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            return " | ".join(_type(s, depth + 1) for s in schema[key]) or "any"
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(_type({**schema, "type": k}, depth + 1) for k in kind) or "any"
    if kind == "array":
        return f"{_type(schema.get('items'), depth + 1)}[]"
    if kind == "object" or "properties" in schema:
        return _object(schema, depth)
    return _SCALARS.get(kind, "any") if isinstance(kind, str) else "any"


def _object(schema: Any, depth: int) -> str:
    props = schema.get("properties") if isinstance(schema, Mapping) else None
    if not isinstance(props, Mapping) or not props:
        return "object"
    required = schema.get("required")
    needed = set(required) if isinstance(required, list) else set()
    lines = []
    for name, prop in props.items():
        mark = "" if name in needed else "?"
        about = prop.get("description") if isinstance(prop, Mapping) else None
        lines.append(f"{_comment(about)}{name}{mark}: {_type(prop, depth + 1)},")
    return "{\n" + "\n".join(lines) + "\n}"

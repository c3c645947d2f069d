"""The structured parts of a create body: their sub-tables and the checkers the table names.

request_table.py lists every parameter; where a part needs more than a Field can declare
(input, a tool, tool_choice, text.format, ids), its entry names a checker from here. A checker
gets the value (its JSON type already checked), the object holding it and its param path (e.g.
`tools[0]`), and returns what the server keeps, or raises the API's error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mockserver.errors import InvalidRequest, invalid_type, unsupported_value
from mockserver.openai.ids import looks_like_response_id
from mockserver.openai.request_fields import Field, Table, check_value
from mockserver.openai.request_items import input_item
from mockserver.openai.request_schemas import (
    check_function_parameters,
    check_response_format_schema,
)
from mockserver.openai.tools import find_choice, offered_tools

FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
BUILTIN_TOOL_TYPES = frozenset(
    {
        "file_search", "web_search", "web_search_preview", "web_search_2025_08_26",
        "web_search_preview_2025_03_11", "computer_use_preview", "computer", "mcp",
        "code_interpreter", "image_generation", "local_shell", "shell", "custom",
        "apply_patch", "tool_search", "namespace", "programmatic_tool_calling",
    }
)  # fmt: skip
TOOL_TYPES = ("function", *sorted(BUILTIN_TOOL_TYPES))
TOOL_CHOICE_MODES = ("none", "auto", "required")
# ToolChoiceParam's object forms, by type (the built-in tools' own types are accepted too).
TOOL_CHOICE_TYPES = (
    "allowed_tools", "function", "mcp", "custom", "file_search", "web_search_preview",
    "computer", "computer_use_preview", "computer_use", "web_search_preview_2025_03_11",
    "image_generation", "code_interpreter", "programmatic_tool_calling", "apply_patch", "shell",
)  # fmt: skip
ALLOWED_TOOLS_MODES = ("auto", "required")
VERBOSITIES = ("low", "medium", "high")
TEXT_FORMATS = ("text", "json_object", "json_schema")
REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
INCLUDABLE = (
    "file_search_call.results",
    "web_search_call.results",
    "web_search_call.action.sources",
    "message.input_image.image_url",
    "computer_call_output.output.image_url",
    "code_interpreter_call.outputs",
    "reasoning.encrypted_content",
    "message.output_text.logprobs",
)


def _function_parameters(value: Any, tool: Mapping[str, Any], param: str) -> Any:
    """tools[i].parameters: a valid JSON Schema of an object (request_schemas.py), one strict
    mode can compile when the tool says `strict: true`."""
    strict = tool.get("strict") is True
    check_function_parameters(value, tool["name"], param[: -len(".parameters")], strict=strict)
    return value


TOOL_TYPE = Table(Field("type", ("string",), required=True, enum=TOOL_TYPES))
FUNCTION_TOOL = Table(
    Field("name", required=True, pattern=FUNCTION_NAME),
    Field("parameters", ("object",), check=_function_parameters),
    Field("description", ("string",)),
    Field("strict", ("boolean",), default=True),
)
INCLUDE = Field("include", ("array",), factory=list, items=Field("include[]", enum=INCLUDABLE))
JSON_SCHEMA_FORMAT = Table(
    Field("name", required=True, pattern=FUNCTION_NAME),
    Field("schema", ("object",), required=True, null="error"),
    Field("strict", ("boolean",)),
    Field("description", ("string",)),
)
ALLOWED_TOOLS = Table(
    Field("mode", required=True, enum=ALLOWED_TOOLS_MODES),
    Field("tools", ("array",), required=True, items=Field("", ("object",), shape=Table(
        Field("type", ("string",), required=True), Field("name", ("string",))))),
)  # fmt: skip
_NAME = Table(Field("name", ("string",), required=True))
_SERVER_LABEL = Table(Field("server_label", ("string",), required=True))


def include(value: Any) -> list[str]:
    """`include` values, checked as in a create body (GET input_items reads them too)."""
    kept: list[str] = [] if value is None else check_value(INCLUDE, value, {}, "include")
    return kept


def input_items(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A body's input, checked and normalised as parse_request keeps it."""
    return _INPUT.run(body, "")["input_items"]  # type: ignore[no-any-return]


def input_value(value: str | list[Any], body: Mapping[str, Any], param: str) -> list[Any]:
    """input: a string is one user message; a list is items, each checked."""
    if type(value) is str:
        return [{"type": "message", "role": "user",
                 "content": [{"type": "input_text", "text": value}]}]  # fmt: skip
    return [input_item(item, i) for i, item in enumerate(value)]


INPUT = Field("input", ("string", "array"), required=True, unless=("prompt", "conversation"),
              factory=list, check=input_value, attr="input_items")  # fmt: skip
_INPUT = Table(INPUT)


def tool(value: dict[str, Any], listing: Any, param: str) -> dict[str, Any]:
    """tools[i]: a function tool echoed with its defaults filled in; a built-in one as sent."""
    if value.get("type") != "function":
        TOOL_TYPE.run(value, param + ".")
        if value.get("type") == "namespace":
            _namespace_functions(value.get("tools"), param)
        return dict(value)
    kept = FUNCTION_TOOL.run(value, param + ".")
    rest = {k: v for k, v in value.items() if k not in {"type", "name", "description"}}
    return {"type": "function", "name": kept["name"], "description": kept["description"],
            "parameters": kept["parameters"], "strict": kept["strict"], **rest}  # fmt: skip


def _namespace_functions(tools: Any, param: str) -> None:
    """A namespace's function tools are checked as top-level ones (name, schema, strict)."""
    for j, inner in enumerate(tools if isinstance(tools, list) else ()):
        if isinstance(inner, dict) and inner.get("type") == "function":
            FUNCTION_TOOL.run(inner, f"{param}.tools[{j}].")


def tool_choice(value: str | dict[str, Any], body: Mapping[str, Any], param: str) -> Any:
    """tool_choice: a mode, or an object naming a tool type (a function must be in `tools`)."""
    if isinstance(value, str):
        if value not in TOOL_CHOICE_MODES:
            raise unsupported_value(param, value, TOOL_CHOICE_MODES)
        return value
    kind = value.get("type")
    if type(kind) is not str:
        raise invalid_type(param, "a string or an object with a type", value)
    if kind not in TOOL_CHOICE_TYPES and kind not in BUILTIN_TOOL_TYPES:
        raise unsupported_value(f"{param}.type", kind, TOOL_CHOICE_TYPES)
    if kind == "allowed_tools":
        ALLOWED_TOOLS.run(value, param + ".")
        return value
    if kind in ("function", "mcp", "custom"):
        (_SERVER_LABEL if kind == "mcp" else _NAME).run(value, param + ".")
    _check_offered(value, body, param)
    return value


def _check_offered(choice: dict[str, Any], body: Mapping[str, Any], param: str) -> None:
    """A tool_choice object names a tool the request offers (namespaced and additional_tools
    included), as the API checks it."""
    offered = offered_tools(body.get("tools"), _items(body.get("input")))
    if find_choice(offered, choice) is None:
        named = choice.get("server_label") if choice["type"] == "mcp" else choice.get("name")
        raise InvalidRequest(
            f"Tool choice '{named or choice['type']}' not found in 'tools' parameter.",
            code="invalid_value",
            param=param,
        )


def _items(value: Any) -> list[dict[str, Any]]:
    return [i for i in value if isinstance(i, dict)] if isinstance(value, list) else []


def text_format(fmt: dict[str, Any], text: Mapping[str, Any], param: str) -> dict[str, Any]:
    """text.format: one of the formats; a json_schema one has a name and a valid schema."""
    kind = fmt.get("type")
    if kind not in TEXT_FORMATS:
        raise unsupported_value(f"{param}.type", kind, TEXT_FORMATS)
    if kind == "json_schema":
        kept = JSON_SCHEMA_FORMAT.run(fmt, param + ".")
        check_response_format_schema(kept["schema"], kept["name"], strict=kept["strict"] is True)
    return fmt


def response_id(value: str, body: Mapping[str, Any], param: str) -> str:
    """previous_response_id: a response id's form (whether it exists is the store's answer)."""
    if not looks_like_response_id(value):
        raise InvalidRequest(
            f"Invalid '{param}': '{value}'. Expected an ID that begins with 'resp'.",
            code="invalid_value",
            param=param,
        )
    return value


def needs_store(background: bool, body: Mapping[str, Any], param: str) -> bool:
    """background: only with `store` left true."""
    if background and body.get("store") is False:
        raise InvalidRequest(
            "Background mode requires 'store' to be true.", code="invalid_value", param="store"
        )
    return background

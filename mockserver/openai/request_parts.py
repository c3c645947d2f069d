"""Checks of the structured parts of a create body: input, tools, tool_choice, text, metadata...

Each function takes the raw value and returns it normalised, or raises the API's error with
the parameter's path (e.g. `tools[0].name`, `text.format.schema`).
"""

from __future__ import annotations

import re
from typing import Any

from mockserver.errors import InvalidRequest, invalid_type, missing_parameter, unsupported_value
from mockserver.openai.ids import looks_like_response_id
from mockserver.openai.request_items import input_item
from mockserver.openai.request_schemas import (
    check_function_parameters,
    check_response_format_schema,
)

FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
BUILTIN_TOOL_TYPES = frozenset(
    {
        "file_search", "web_search", "web_search_preview", "web_search_2025_08_26",
        "web_search_preview_2025_03_11", "computer_use_preview", "computer", "mcp",
        "code_interpreter", "image_generation", "local_shell", "shell", "custom",
        "apply_patch", "tool_search", "namespace", "programmatic_tool_calling",
    }
)  # fmt: skip
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


def input_items(body: dict[str, Any]) -> list[dict[str, Any]]:
    value = body.get("input")
    if value is None:
        if body.get("prompt") is not None or body.get("conversation") is not None:
            return []
        raise missing_parameter("input")
    if isinstance(value, str):
        return [_user_message(value)]
    if not isinstance(value, list):
        raise invalid_type("input", "a string or an array", value)
    return [input_item(item, i) for i, item in enumerate(value)]


def _user_message(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def tools(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid_type("tools", "an array", value)
    return [_tool(tool, i) for i, tool in enumerate(value)]


def _tool(tool: Any, index: int) -> dict[str, Any]:
    where = f"tools[{index}]"
    if not isinstance(tool, dict):
        raise invalid_type(where, "an object", tool)
    kind = tool.get("type")
    if kind is None:
        raise missing_parameter(f"{where}.type")
    if not isinstance(kind, str):
        raise invalid_type(f"{where}.type", "a string", kind)
    if kind == "function":
        return _function_tool(tool, where)
    if kind not in BUILTIN_TOOL_TYPES:
        raise unsupported_value(f"{where}.type", kind, ["function", *sorted(BUILTIN_TOOL_TYPES)])
    return dict(tool)


def _function_tool(tool: dict[str, Any], where: str) -> dict[str, Any]:
    name = tool.get("name")
    if name is None:
        raise missing_parameter(f"{where}.name")
    if not isinstance(name, str) or not FUNCTION_NAME.match(name):
        raise _bad_name(f"{where}.name")
    params = tool.get("parameters")
    if params is not None and not isinstance(params, dict):
        raise invalid_type(f"{where}.parameters", "an object", params)
    if params is not None:
        check_function_parameters(params, name, where)
    _optional_type(tool, "description", str, where, "a string")
    _optional_type(tool, "strict", bool, where, "a boolean")
    # The API echoes function tools with these defaults filled in.
    return {
        "type": "function",
        "name": name,
        "description": tool.get("description"),
        "parameters": params,
        "strict": tool.get("strict", True),
        **{k: v for k, v in tool.items() if k not in {"type", "name", "description"}},
    }


def _bad_name(param: str) -> InvalidRequest:
    return InvalidRequest(
        f"Invalid '{param}': string does not match pattern. Expected a string that "
        f"matches the pattern '{FUNCTION_NAME.pattern}'.",
        code="invalid_value",
        param=param,
    )


def tool_choice(value: Any, raw_tools: Any) -> Any:
    if value is None:
        return "auto"
    if isinstance(value, str):
        if value not in TOOL_CHOICE_MODES:
            raise unsupported_value("tool_choice", value, TOOL_CHOICE_MODES)
        return value
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        raise invalid_type("tool_choice", "a string or an object with a type", value)
    kind = value["type"]
    if kind not in TOOL_CHOICE_TYPES and kind not in BUILTIN_TOOL_TYPES:
        raise unsupported_value("tool_choice.type", kind, TOOL_CHOICE_TYPES)
    if kind == "function":
        _check_named_function(value, raw_tools)
    elif kind == "allowed_tools":
        _check_allowed_tools(value)
    elif kind in ("mcp", "custom"):
        field = "server_label" if kind == "mcp" else "name"
        _required_type(value, field, str, "tool_choice", "a string")
    return value


def _check_allowed_tools(choice: dict[str, Any]) -> None:
    mode = choice.get("mode")
    if mode is None:
        raise missing_parameter("tool_choice.mode")
    if mode not in ALLOWED_TOOLS_MODES:
        raise unsupported_value("tool_choice.mode", mode, ALLOWED_TOOLS_MODES)
    listed = _required_type(choice, "tools", list, "tool_choice", "an array")
    for i, tool in enumerate(listed):
        if not isinstance(tool, dict):
            raise invalid_type(f"tool_choice.tools[{i}]", "an object", tool)
        _required_type(tool, "type", str, f"tool_choice.tools[{i}]", "a string")
        _optional_type(tool, "name", str, f"tool_choice.tools[{i}]", "a string")


def _check_named_function(choice: dict[str, Any], raw_tools: Any) -> None:
    name = _required_type(choice, "name", str, "tool_choice", "a string")
    names = [t.get("name") for t in raw_tools or [] if isinstance(t, dict)]
    if name not in names:
        raise InvalidRequest(
            f"Tool choice '{name}' not found in 'tools' parameter.",
            code="invalid_value",
            param="tool_choice",
        )


def text(value: Any) -> dict[str, Any]:
    if value is None:
        return {"format": {"type": "text"}, "verbosity": "medium"}
    if not isinstance(value, dict):
        raise invalid_type("text", "an object", value)
    fmt = value.get("format", {"type": "text"})
    if not isinstance(fmt, dict):
        raise invalid_type("text.format", "an object", fmt)
    kind = fmt.get("type")
    if kind not in TEXT_FORMATS:
        raise unsupported_value("text.format.type", kind, TEXT_FORMATS)
    if kind == "json_schema":
        _check_json_schema_format(fmt)
    verbosity = value.get("verbosity", "medium")
    if verbosity is not None and verbosity not in VERBOSITIES:
        raise unsupported_value("text.verbosity", verbosity, VERBOSITIES)
    return {"format": fmt, "verbosity": verbosity}


def _check_json_schema_format(fmt: dict[str, Any]) -> None:
    name = fmt.get("name")
    if name is None:
        raise missing_parameter("text.format.name")
    if not isinstance(name, str) or not FUNCTION_NAME.match(name):
        raise _bad_name("text.format.name")
    if "schema" not in fmt:
        raise missing_parameter("text.format.schema")
    if not isinstance(fmt["schema"], dict):
        raise invalid_type("text.format.schema", "an object", fmt["schema"])
    _optional_type(fmt, "strict", bool, "text.format", "a boolean")
    _optional_type(fmt, "description", str, "text.format", "a string")
    check_response_format_schema(fmt["schema"], name)


def _optional_type(obj: dict[str, Any], key: str, kind: type, where: str, expected: str) -> None:
    value = obj.get(key)
    if value is not None and not isinstance(value, kind):
        raise invalid_type(f"{where}.{key}", expected, value)


def _required_type(obj: dict[str, Any], key: str, kind: type, where: str, expected: str) -> Any:
    value = obj.get(key)
    if value is None:
        raise missing_parameter(f"{where}.{key}")
    if not isinstance(value, kind):
        raise invalid_type(f"{where}.{key}", expected, value)
    return value


def metadata(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid_type("metadata", "an object", value)
    if len(value) > 16:
        raise InvalidRequest(
            "Invalid 'metadata': too many properties. Expected an object with at most 16 "
            f"properties, but got an object with {len(value)} properties instead.",
            code="object_above_max_properties",
            param="metadata",
        )
    for key, item in value.items():
        _check_metadata_entry(key, item)
    return dict(value)


def _check_metadata_entry(key: str, item: Any) -> None:
    if len(key) > 64:
        raise InvalidRequest(
            "Invalid 'metadata': string too long. Expected a string with maximum length 64, "
            f"but got a string with length {len(key)} instead.",
            code="string_above_max_length",
            param="metadata",
        )
    if not isinstance(item, str):
        raise invalid_type(f"metadata.{key}", "a string", item)
    if len(item) > 512:
        raise InvalidRequest(
            f"Invalid 'metadata.{key}': string too long. Expected a string with maximum length "
            f"512, but got a string with length {len(item)} instead.",
            code="string_above_max_length",
            param=f"metadata.{key}",
        )


def reasoning(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid_type("reasoning", "an object", value)
    effort = value.get("effort")
    if effort is not None and effort not in REASONING_EFFORTS:
        raise unsupported_value("reasoning.effort", effort, REASONING_EFFORTS)
    return dict(value)


def previous_response_id(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_type("previous_response_id", "a string", value)
    if not looks_like_response_id(value):
        raise InvalidRequest(
            f"Invalid 'previous_response_id': '{value}'. Expected an ID that begins with 'resp'.",
            code="invalid_value",
            param="previous_response_id",
        )
    return value


def include(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid_type("include", "an array", value)
    for i, item in enumerate(value):
        if item not in INCLUDABLE:
            raise unsupported_value(f"include[{i}]", item, INCLUDABLE)
    return list(value)


def include_obfuscation(stream_options: Any) -> bool:
    if stream_options is None:
        return True
    if not isinstance(stream_options, dict):
        raise invalid_type("stream_options", "an object", stream_options)
    value = stream_options.get("include_obfuscation", True)
    if not isinstance(value, bool):
        raise invalid_type("stream_options.include_obfuscation", "a boolean", value)
    return value

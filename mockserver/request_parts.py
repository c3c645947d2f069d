"""Checks of the structured parts of a create body: input, tools, tool_choice, text, metadata...

Each function takes the raw value and returns it normalised, or raises the API's error with
the parameter's path (e.g. `tools[0].name`, `text.format.schema`).
"""

from __future__ import annotations

import re
from typing import Any

from .errors import InvalidRequest, invalid_type, missing_parameter, unsupported_value
from .ids import looks_like_response_id

FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
BUILTIN_TOOL_TYPES = frozenset(
    {
        "file_search", "web_search", "web_search_preview", "web_search_2025_08_26",
        "web_search_preview_2025_03_11", "computer_use_preview", "computer", "mcp",
        "code_interpreter", "image_generation", "local_shell", "shell", "custom",
        "apply_patch", "tool_search",
    }
)  # fmt: skip
TOOL_CHOICE_MODES = ("none", "auto", "required")
TEXT_FORMATS = ("text", "json_object", "json_schema")
REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
MESSAGE_ROLES = ("user", "assistant", "system", "developer")
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
    return [_input_item(item, i) for i, item in enumerate(value)]


def _user_message(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def _input_item(item: Any, index: int) -> dict[str, Any]:
    where = f"input[{index}]"
    if not isinstance(item, dict):
        raise invalid_type(where, "an object", item)
    kind = item.get("type", "message" if "role" in item else None)
    if kind is None:
        raise missing_parameter(f"{where}.type")
    if kind == "message":
        return _message(item, where)
    if kind == "function_call_output" and "call_id" not in item:
        raise missing_parameter(f"{where}.call_id")
    if kind == "function_call_output" and "output" not in item:
        raise missing_parameter(f"{where}.output")
    return dict(item)


def _message(item: dict[str, Any], where: str) -> dict[str, Any]:
    role = item.get("role")
    if role not in MESSAGE_ROLES:
        raise unsupported_value(f"{where}.role", role, MESSAGE_ROLES)
    content = item.get("content")
    if isinstance(content, str):
        kind = "output_text" if role == "assistant" else "input_text"
        content = [{"type": kind, "text": content}]
    elif not isinstance(content, list):
        raise invalid_type(f"{where}.content", "a string or an array", content)
    for i, part in enumerate(content):
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            raise invalid_type(f"{where}.content[{i}]", "an object with a type", part)
    return {**item, "type": "message", "content": content}


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
        raise InvalidRequest(
            f"Invalid '{where}.name': string does not match pattern. Expected a string that "
            f"matches the pattern '{FUNCTION_NAME.pattern}'.",
            code="invalid_value",
            param=f"{where}.name",
        )
    params = tool.get("parameters")
    if params is not None and not isinstance(params, dict):
        raise invalid_type(f"{where}.parameters", "an object", params)
    # The API echoes function tools with these defaults filled in.
    return {
        "type": "function",
        "name": name,
        "description": tool.get("description"),
        "parameters": params,
        "strict": tool.get("strict", True),
        **{k: v for k, v in tool.items() if k not in {"type", "name", "description"}},
    }


def tool_choice(value: Any, raw_tools: Any) -> Any:
    if value is None:
        return "auto"
    if isinstance(value, str):
        if value not in TOOL_CHOICE_MODES:
            raise unsupported_value("tool_choice", value, TOOL_CHOICE_MODES)
        return value
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        raise invalid_type("tool_choice", "a string or an object with a type", value)
    if value["type"] == "function":
        _check_named_function(value, raw_tools)
    return value


def _check_named_function(choice: dict[str, Any], raw_tools: Any) -> None:
    name = choice.get("name")
    if not isinstance(name, str):
        raise missing_parameter("tool_choice.name")
    names = {t.get("name") for t in raw_tools or [] if isinstance(t, dict)}
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
    return {"format": fmt, "verbosity": value.get("verbosity", "medium")}


def _check_json_schema_format(fmt: dict[str, Any]) -> None:
    if not isinstance(fmt.get("name"), str):
        raise missing_parameter("text.format.name")
    if "schema" not in fmt:
        raise missing_parameter("text.format.schema")
    if not isinstance(fmt["schema"], dict):
        raise invalid_type("text.format.schema", "an object", fmt["schema"])


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

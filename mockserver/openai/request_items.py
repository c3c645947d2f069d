"""Checks of the create body's `input` items: the fields the mock reads, stores and echoes.

An input item is stored as sent and comes back from GET .../input_items and in later turns'
conversations, so its type and the fields the server reads (ids, text, call ids, outputs)
are checked here, with the parameter's path (`input[0].content[1].text`). Fields the server
never reads are passed through untouched, as the API keeps them.
"""

from __future__ import annotations

from typing import Any

from mockserver.errors import invalid_type, missing_parameter, unsupported_value

MESSAGE_ROLES = ("user", "assistant", "system", "developer")
# The spec's InputItem union (EasyInputMessage, Item, ItemReferenceParam...), by `type`.
INPUT_ITEM_TYPES = (
    "message", "file_search_call", "computer_call", "computer_call_output", "web_search_call",
    "function_call", "function_call_output", "tool_search_call", "tool_search_output",
    "additional_tools", "reasoning", "compaction", "image_generation_call",
    "code_interpreter_call", "local_shell_call", "local_shell_call_output", "shell_call",
    "shell_call_output", "apply_patch_call", "apply_patch_call_output", "mcp_list_tools",
    "mcp_approval_request", "mcp_approval_response", "mcp_call", "custom_tool_call_output",
    "custom_tool_call", "compaction_trigger", "item_reference", "program", "program_output",
)  # fmt: skip
# Message content part types, listed as the API lists them when one is wrong.
CONTENT_TYPES = (
    "input_text", "input_image", "output_text", "refusal", "input_file", "computer_screenshot",
    "summary_text",
)  # fmt: skip
ITEM_STATUSES = ("in_progress", "completed", "incomplete")
_ITEM_STATUS_KINDS = ("message", "function_call", "function_call_output")
# Fields that, when present, must be strings: the server matches, joins and counts with them.
_STRING_FIELDS = ("id", "call_id", "name", "arguments", "status")
# Where the spec types one of those as an object instead, or adds one.
_OBJECT_FIELDS = {"tool_search_call": ("arguments",)}
_EXTRA_STRING_FIELDS = {"custom_tool_call": ("input",)}
# Fields each item type needs (besides `type`), as the spec requires them.
_REQUIRED = {
    "function_call": ("call_id", "name", "arguments"),
    "function_call_output": ("call_id", "output"),
    "custom_tool_call": ("call_id", "name", "input"),
    "custom_tool_call_output": ("call_id", "output"),
    "computer_call_output": ("call_id", "output"),
    "item_reference": ("id",),
}
# Required, but the spec lets them be null (FunctionCallOutputItemParam.call_id).
_NULLABLE = {("function_call_output", "call_id")}
# The string fields checked for each item type, in the order they are checked.
_STRINGS = {
    kind: tuple(n for n in (*_STRING_FIELDS, *_EXTRA_STRING_FIELDS.get(kind, ()))
                if n not in _OBJECT_FIELDS.get(kind, ()))
    for kind in INPUT_ITEM_TYPES
}  # fmt: skip
# Where a part keeps its text, for the part types that carry text.
_TEXT_KEYS = {"input_text": "text", "output_text": "text", "summary_text": "text",
              "refusal": "refusal"}  # fmt: skip


def input_item(item: Any, index: int) -> dict[str, Any]:
    """One input item, checked; a typeless item with a role is a message (EasyInputMessage)."""
    if type(item) is not dict:
        raise invalid_type(f"input[{index}]", "an object", item)
    kind = item.get("type", "message" if "role" in item else None)
    strings = _STRINGS.get(kind) if type(kind) is str else None
    if strings is None:
        _bad_type(kind, f"input[{index}].type")
    for name in _REQUIRED.get(kind, ()):  # type: ignore[arg-type]
        if item.get(name) is None and (name not in item or (kind, name) not in _NULLABLE):
            raise missing_parameter(f"input[{index}].{name}")
    for name in strings:  # type: ignore[union-attr]
        value = item.get(name)
        if value is not None and type(value) is not str:
            raise invalid_type(f"input[{index}].{name}", "a string", value)
    status = item.get("status")
    if status is not None and kind in _ITEM_STATUS_KINDS and status not in ITEM_STATUSES:
        raise unsupported_value(f"input[{index}].status", status, ITEM_STATUSES)
    if kind == "message":
        return _message(item, f"input[{index}]")
    if kind in ("function_call_output", "custom_tool_call_output"):
        _check_output(item["output"], f"input[{index}].output")
    return dict(item)


def _bad_type(kind: Any, param: str) -> None:
    if kind is None:
        raise missing_parameter(param)
    if not isinstance(kind, str):
        raise invalid_type(param, "a string", kind)
    raise unsupported_value(param, kind, INPUT_ITEM_TYPES)


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
        _check_part(part, f"{where}.content[{i}]", CONTENT_TYPES)
    return {**item, "type": "message", "content": content}


def _check_output(output: Any, where: str) -> None:
    """A tool output: a string, or a list of input_text / input_image / input_file parts."""
    if isinstance(output, str):
        return
    if not isinstance(output, list):
        raise invalid_type(where, "a string or an array", output)
    for i, part in enumerate(output):
        _check_part(part, f"{where}[{i}]", ("input_text", "input_image", "input_file"))


def _check_part(part: Any, where: str, allowed: tuple[str, ...]) -> None:
    if not isinstance(part, dict):
        raise invalid_type(where, "an object", part)
    kind = part.get("type")
    if kind is None:
        raise missing_parameter(f"{where}.type")
    if not isinstance(kind, str):
        raise invalid_type(f"{where}.type", "a string", kind)
    if kind not in allowed:
        raise unsupported_value(f"{where}.type", kind, allowed)
    key = _TEXT_KEYS.get(kind)
    if key is not None and not isinstance(part.get(key), str):
        if key not in part:
            raise missing_parameter(f"{where}.{key}")
        raise invalid_type(f"{where}.{key}", "a string", part[key])

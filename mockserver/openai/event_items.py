"""Stream events of one output item, per item kind (a registry keyed by item type; the
emitters of messages and function calls, the common items, are event_builder.py's).

Each emitter writes, in the real API's order: output_item.added (the item as it starts:
status in_progress, empty content/arguments), the item's progress and delta events, and
output_item.done with the final item unchanged. Deltas join to the final texts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mockserver.openai.event_builder import (
    EventList,
    Item,
    content_part,
    emit_function_call,
    emit_message,
    item_id_of,
    started_item,
)

Emitter = Callable[[EventList, int, Item], None]


# --- other argument streams -----------------------------------------------------------


def emit_custom_tool_call(b: EventList, index: int, item: Item) -> None:
    where: dict[str, Any] = {"output_index": index, "item_id": item_id_of(item)}
    b.added(index, started_item(item, input=""))
    b.text_deltas("response.custom_tool_call_input.delta", item.get("input", ""), **where)
    b.emit("response.custom_tool_call_input.done", {**where, "input": item.get("input", "")})
    b.done(index, item)


def emit_mcp_call(b: EventList, index: int, item: Item) -> None:
    where: dict[str, Any] = {"output_index": index, "item_id": item_id_of(item)}
    arguments: str = item.get("arguments", "")
    b.added(index, started_item(item, arguments="", output=None, error=None))
    b.emit("response.mcp_call.in_progress", where)
    b.text_deltas("response.mcp_call_arguments.delta", arguments, **where)
    b.emit("response.mcp_call_arguments.done", {**where, "arguments": arguments})
    failed = item.get("error") is not None or item.get("status") == "failed"
    b.emit("response.mcp_call.failed" if failed else "response.mcp_call.completed", where)
    b.done(index, item)


def emit_code_interpreter_call(b: EventList, index: int, item: Item) -> None:
    where: dict[str, Any] = {"output_index": index, "item_id": item_id_of(item)}
    code = item.get("code")
    b.added(index, started_item(item, code="", outputs=[]))
    b.emit("response.code_interpreter_call.in_progress", where)
    if code is not None:
        b.text_deltas("response.code_interpreter_call_code.delta", code, **where)
        b.emit("response.code_interpreter_call_code.done", {**where, "code": code})
    b.emit("response.code_interpreter_call.interpreting", where)
    b.emit("response.code_interpreter_call.completed", where)
    b.done(index, item)


# --- reasoning ---------------------------------------------------------------------------


def emit_reasoning(b: EventList, index: int, item: Item) -> None:
    item_id = item_id_of(item)
    empty: dict[str, Any] = {"summary": []}
    if "content" in item:
        empty["content"] = []
    b.added(index, started_item(item, **empty))
    for ci, part in enumerate(item.get("content") or []):
        content_part(b, index, item_id, ci, part)
    if b.reasoning_summary:
        for si, part in enumerate(item.get("summary") or []):
            _summary_part(b, index, item_id, si, part)
    b.done(index, item)


def _summary_part(b: EventList, index: int, item_id: str, si: int, part: dict[str, Any]) -> None:
    where: dict[str, Any] = {"item_id": item_id, "output_index": index, "summary_index": si}
    text: str = part.get("text", "")
    b.emit("response.reasoning_summary_part.added", {**where, "part": {**part, "text": ""}})
    b.text_deltas("response.reasoning_summary_text.delta", text, **where)
    b.emit("response.reasoning_summary_text.done", {**where, "text": text})
    b.emit("response.reasoning_summary_part.done", {**where, "part": part})


# --- built-in tool calls with progress events ---------------------------------------------


def _progress(prefix: str, steps: tuple[str, ...], **empty: Any) -> Emitter:
    """A tool item whose only stream is added -> progress events -> done."""

    def render(b: EventList, index: int, item: Item) -> None:
        b.added(index, started_item(item, **empty))
        for step in steps:
            b.emit(
                f"response.{prefix}.{step}", {"output_index": index, "item_id": item_id_of(item)}
            )
        b.done(index, item)

    return render


def _bare(item: Item) -> Item:
    """The item as real traffic announces a hosted search or image: id, type and status only
    (no `action`, no `result`: the spec requires them, recorded `added` events omit them)."""
    return {"id": item.get("id"), "type": item.get("type"), "status": "in_progress"}


def emit_web_search_call(b: EventList, index: int, item: Item) -> None:
    where: dict[str, Any] = {"output_index": index, "item_id": item_id_of(item)}
    b.added(index, _bare(item))
    for step in ("in_progress", "searching", "completed"):
        b.emit(f"response.web_search_call.{step}", where)
    b.done(index, item)


_IMAGE_SETTINGS = ("size", "quality", "background", "output_format")


def emit_image_generation_call(b: EventList, index: int, item: Item) -> None:
    """added -> in_progress -> generating -> partial_image x N (the request's image tool's
    `partial_images`) -> completed -> done. A partial image is the final image (recorded
    with partial_images: 1; later partials of a real stream refine it)."""
    where: dict[str, Any] = {"output_index": index, "item_id": item_id_of(item)}
    b.added(index, _bare(item))
    b.emit("response.image_generation_call.in_progress", where)
    b.emit("response.image_generation_call.generating", where)
    result = item.get("result")
    settings = {k: item[k] for k in _IMAGE_SETTINGS if isinstance(item.get(k), str)}
    for k in range(b.partial_images if isinstance(result, str) and result else 0):
        b.emit(
            "response.image_generation_call.partial_image",
            {**where, "partial_image_index": k, "partial_image_b64": result, **settings},
        )
    b.emit("response.image_generation_call.completed", where)
    b.done(index, item)


def emit_local_shell_call(b: EventList, index: int, item: Item) -> None:
    """No events of its own; `added` shows the action with `command: []` (recorded)."""
    action = item.get("action")
    started = started_item(item)
    if isinstance(action, dict):
        started["action"] = {**action, "command": []}
    b.added(index, started)
    b.done(index, item)


def emit_shell_call(b: EventList, index: int, item: Item) -> None:
    """added (no commands yet) -> per command: shell_call_command.added / .delta / .done
    (recorded; these events name the output index and command index, not the item)."""
    action = item.get("action")
    commands = action.get("commands") if isinstance(action, dict) else None
    started = started_item(item)
    if isinstance(action, dict):
        started["action"] = {**action, "commands": [], "max_output_length": None}
    b.added(index, started)
    for ci, command in enumerate(commands if isinstance(commands, list) else []):
        where: dict[str, Any] = {"output_index": index, "command_index": ci}
        b.emit("response.shell_call_command.added", {**where, "command": ""})
        b.text_deltas("response.shell_call_command.delta", str(command), **where)
        b.emit("response.shell_call_command.done", {**where, "command": str(command)})
    b.done(index, item)


def emit_shell_call_output(b: EventList, index: int, item: Item) -> None:
    """A hosted shell's output: added with `output: []` (its status as final), then per
    command shell_call_output_content.delta (its stdout / stderr at once) and .done (recorded)."""
    output = item.get("output")
    entries = [e for e in output if isinstance(e, dict)] if isinstance(output, list) else []
    b.added(index, {**item, "output": []})
    where: dict[str, Any] = {"item_id": item_id_of(item), "output_index": index}
    for ci, entry in enumerate(entries):
        delta = {k: entry[k] for k in ("stdout", "stderr") if isinstance(entry.get(k), str)}
        b.emit(
            "response.shell_call_output_content.delta",
            {"command_index": ci, "delta": delta, **where},
        )
        b.emit(
            "response.shell_call_output_content.done",
            {"command_index": ci, **where, "output": [entry]},
        )
    b.done(index, item)


def emit_apply_patch_call(b: EventList, index: int, item: Item) -> None:
    """A create or update streams its diff (apply_patch_call_operation_diff.delta / .done,
    recorded; not yet in the spec or the SDK's types); a delete has no diff to stream."""
    operation = item.get("operation")
    diff = operation.get("diff") if isinstance(operation, dict) else None
    if not isinstance(operation, dict) or not isinstance(diff, str):
        b.added(index, started_item(item))
        b.done(index, item)
        return
    where: dict[str, Any] = {"item_id": item_id_of(item), "output_index": index}
    b.added(index, started_item(item, operation={**operation, "diff": ""}))
    b.text_deltas("response.apply_patch_call_operation_diff.delta", diff, **where)
    b.emit("response.apply_patch_call_operation_diff.done", {**where, "diff": diff})
    b.done(index, item)


def _announced(keep_status: bool = False, **empty: Any) -> Emitter:
    """An item with no events of its own, announced without its final fields (recorded:
    tool_search_call `arguments: {}`, program `code: ""`, program_output `result: ""` with
    its final status)."""

    def render(b: EventList, index: int, item: Item) -> None:
        b.added(index, {**item, **empty} if keep_status else started_item(item, **empty))
        b.done(index, item)

    return render


def _emit_mcp_list_tools(b: EventList, index: int, item: Item) -> None:
    outcome = "failed" if item.get("error") else "completed"
    _progress("mcp_list_tools", ("in_progress", outcome), tools=[])(b, index, item)


def emit_plain(b: EventList, index: int, item: Item) -> None:
    """Any other item (computer_call, local_shell_call, mcp_approval_request...)."""
    b.added(index, started_item(item))
    b.done(index, item)


RENDERERS: dict[str, Emitter] = {
    "message": emit_message,
    "function_call": emit_function_call,
    "custom_tool_call": emit_custom_tool_call,
    "reasoning": emit_reasoning,
    "mcp_call": emit_mcp_call,
    "mcp_list_tools": _emit_mcp_list_tools,
    "code_interpreter_call": emit_code_interpreter_call,
    "web_search_call": emit_web_search_call,
    "file_search_call": _progress(
        "file_search_call", ("in_progress", "searching", "completed"), queries=[], results=None
    ),
    "image_generation_call": emit_image_generation_call,
    "local_shell_call": emit_local_shell_call,
    "shell_call": emit_shell_call,
    "shell_call_output": emit_shell_call_output,
    "apply_patch_call": emit_apply_patch_call,
    "tool_search_call": _announced(arguments={}),
    "program": _announced(code=""),
    "program_output": _announced(keep_status=True, result=""),
}

"""What the matcher and the templates see of one request, built once from plain data.

The core hands over the raw body, the whole conversation (earlier turns followed through
previous_response_id, then this request's input, as normalized item dicts), the headers
(lowercased names) and the tenant's call number for the scenario. Everything a `when` key
or a template needs is derived here, once, so each condition is a cheap lookup.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class ToolOutput:
    name: str | None  # None: no function_call with this call_id in the conversation
    call_id: str
    value: Any  # parsed JSON when the output is JSON text, else the text


@dataclass(frozen=True)
class MatchContext:
    body: Mapping[str, Any]
    conversation: tuple[Mapping[str, Any], ...]
    headers: Mapping[str, str]
    call: int
    model: str
    stream: bool
    instructions: str
    latest_user_text: str
    turn: int  # user messages in the conversation
    tool_names: frozenset[str]
    metadata: Mapping[str, str]
    # Tool outputs after the latest user message: this agent step's results.
    recent_outputs: tuple[ToolOutput, ...]
    # The latest output of each tool anywhere in the conversation (for templates).
    outputs_by_tool: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0  # for `probability`: draws depend on seed, rule and call only
    # Lowercased once per request, not once per rule (case-insensitive `*_contains`).
    input_lower: str = ""
    instructions_lower: str = ""


def build_context(
    body: Mapping[str, Any],
    conversation: Sequence[Mapping[str, Any]],
    headers: Mapping[str, str],
    call: int,
    seed: int = 0,
) -> MatchContext:
    items = tuple(i for i in conversation if isinstance(i, Mapping))
    last_user = _last_user_index(items)
    outputs = _tool_outputs(items)
    recent = tuple(o for index, o in outputs if index > last_user)
    by_tool = {o.name: o.value for _, o in outputs if o.name is not None}
    metadata = body.get("metadata")
    instructions = body.get("instructions")
    instructions = instructions if isinstance(instructions, str) else ""
    latest = message_text(items[last_user]) if last_user >= 0 else ""
    return MatchContext(
        body=body,
        conversation=items,
        headers=MappingProxyType({k.lower(): v for k, v in headers.items()}),
        call=call,
        model=str(body.get("model", "")),
        stream=body.get("stream") is True,
        instructions=instructions,
        latest_user_text=latest,
        turn=sum(1 for i in items if _is_user_message(i)),
        tool_names=_tool_names(body.get("tools")),
        metadata=MappingProxyType(dict(metadata) if isinstance(metadata, Mapping) else {}),
        recent_outputs=recent,
        outputs_by_tool=MappingProxyType(by_tool),
        seed=seed,
        input_lower=latest.lower(),
        instructions_lower=instructions.lower(),
    )


def _is_user_message(item: Mapping[str, Any]) -> bool:
    # EasyInputMessage has no `type`; a full input message has type "message".
    return item.get("role") == "user" and item.get("type", "message") == "message"


def _last_user_index(items: tuple[Mapping[str, Any], ...]) -> int:
    for index in range(len(items) - 1, -1, -1):
        if _is_user_message(items[index]):
            return index
    return -1


def message_text(item: Mapping[str, Any]) -> str:
    """The text parts of a message, joined by newlines (images and files have none)."""
    content = item.get("content")
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts = [p.get("text") for p in content if isinstance(p, Mapping)]
    return "\n".join(t for t in texts if isinstance(t, str))


def _tool_names(tools: Any) -> frozenset[str]:
    """Function and custom tools by name, built-in tools by type (web_search, file_search...)."""
    names: set[str] = set()
    for tool in tools if isinstance(tools, list) else ():
        if not isinstance(tool, Mapping):
            continue
        name = tool.get("name")
        names.add(name if isinstance(name, str) else str(tool.get("type", "")))
    names.discard("")
    return frozenset(names)


def _tool_outputs(items: tuple[Mapping[str, Any], ...]) -> list[tuple[int, ToolOutput]]:
    """function_call_output items, joined to their function_call by call_id for the name."""
    names = {
        i.get("call_id"): i.get("name")
        for i in items
        if i.get("type") in {"function_call", "custom_tool_call"}
    }
    found = []
    for index, item in enumerate(items):
        if item.get("type") not in {"function_call_output", "custom_tool_call_output"}:
            continue
        call_id = str(item.get("call_id", ""))
        name = names.get(call_id)
        output = ToolOutput(name if isinstance(name, str) else None, call_id, _parsed(item))
        found.append((index, output))
    return found


def _parsed(item: Mapping[str, Any]) -> Any:
    raw = item.get("output")
    text = raw if isinstance(raw, str) else message_text({"content": raw})
    try:
        return json.loads(text)
    except ValueError:
        return text

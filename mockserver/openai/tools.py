"""Every tool a request offers, in one flat list: the one place that reads `tools`.

A request offers tools in three places: its `tools` array; inside a `namespace` tool (a
group of function and custom tools the model calls with `namespace` on the call); and in
`additional_tools` input items (how the Codex CLI sends its tools), earlier turns' included.
`offered_tools(tools, items)` flattens them, in that order, into `OfferedTool`s. The scenario
`when: {tools}` key, expectations, the zero-config generator and the `tool_choice` check all
read this list, so a tool is visible to all of them or to none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Tools the model calls with arguments or free-form input (the client runs them).
CALLABLE_KINDS = frozenset({"function", "custom"})
# A call item the client runs, and the input item type that answers it (by call_id).
OUTPUT_OF_CALL = {
    "function_call": "function_call_output",
    "custom_tool_call": "custom_tool_call_output",
    "computer_call": "computer_call_output",
    "shell_call": "shell_call_output",
    "apply_patch_call": "apply_patch_call_output",
}
# tool_choice types that also name differently spelled tool types.
_CHOICE_ALIASES = {
    "web_search_preview": ("web_search_preview", "web_search_preview_2025_03_11"),
    "web_search_preview_2025_03_11": ("web_search_preview", "web_search_preview_2025_03_11"),
    "computer_use_preview": ("computer_use_preview", "computer"),
    "computer": ("computer", "computer_use_preview"),
    "computer_use": ("computer", "computer_use_preview"),
}


@dataclass(frozen=True)
class OfferedTool:
    kind: str  # the tool's type: function, custom, web_search, mcp, tool_search...
    name: str  # a function or custom tool's name; a built-in tool's type
    namespace: str | None  # the namespace tool it sits in, if any
    spec: Mapping[str, Any]  # the tool as sent
    deferred: bool = False  # defer_loading: found through tool_search, not offered up front

    @property
    def callable(self) -> bool:
        return self.kind in CALLABLE_KINDS


def offered_tools(tools: Any, items: Sequence[Mapping[str, Any]] = ()) -> tuple[OfferedTool, ...]:
    """The body's tools, then each additional_tools item's (namespaces flattened)."""
    found = list(_flatten(tools))
    for item in items:
        if isinstance(item, Mapping) and item.get("type") == "additional_tools":
            found.extend(_flatten(item.get("tools")))
    return tuple(found)


def tool_names(tools: Iterable[OfferedTool]) -> frozenset[str]:
    """What `when: {tools: [...]}` matches: function and custom tools by name (namespaced ones
    too), namespaces by name, built-in tools by type."""
    names = {t.name for t in tools}
    names.update(t.namespace for t in tools if t.namespace)
    names.discard("")
    return frozenset(names)


def find_choice(tools: Sequence[OfferedTool], choice: Mapping[str, Any]) -> OfferedTool | None:
    """The offered tool a tool_choice object names (None: not offered)."""
    kind = choice.get("type")
    if kind in CALLABLE_KINDS:
        name = choice.get("name")
        return next((t for t in tools if t.kind == kind and t.name == name), None)
    if kind == "mcp":
        label = choice.get("server_label")
        return next((t for t in tools if t.kind == "mcp" and t.spec.get("server_label") == label),
                    None)  # fmt: skip
    kinds = _CHOICE_ALIASES.get(str(kind), (kind,))
    return next((t for t in tools if t.kind in kinds), None)


def _flatten(tools: Any) -> Iterable[OfferedTool]:
    for tool in tools if isinstance(tools, list) else ():
        if not isinstance(tool, Mapping):
            continue
        kind = str(tool.get("type", ""))
        if kind == "namespace":
            namespace = str(tool.get("name", ""))
            yield OfferedTool(kind, namespace, None, tool)
            inner = tool.get("tools")
            for sub in inner if isinstance(inner, list) else ():
                if isinstance(sub, Mapping):
                    yield _offered(sub, namespace)
        else:
            yield _offered(tool, None)


def _offered(tool: Mapping[str, Any], namespace: str | None) -> OfferedTool:
    kind = str(tool.get("type", ""))
    name = tool.get("name")
    if kind not in CALLABLE_KINDS or not isinstance(name, str):
        name = kind
    return OfferedTool(kind, name, namespace, tool, tool.get("defer_loading") is True)

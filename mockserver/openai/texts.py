"""The text of input items, as the matcher, the generator and token counting read it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def message_text(item: Mapping[str, Any]) -> str:
    """The text parts of a message, joined by newlines (images and files have none)."""
    content = item.get("content")
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    parts = []
    for p in content:  # a loop, not a comprehension's frame; a dict is a Mapping without abc
        if (type(p) is dict or isinstance(p, Mapping)) and isinstance(t := p.get("text"), str):
            parts.append(t)
    return "\n".join(parts)


def is_user_message(item: Mapping[str, Any]) -> bool:
    """A user message: EasyInputMessage has no `type`, a full input message has "message"."""
    return item.get("role") == "user" and item.get("type", "message") == "message"


def last_user_index(items: Sequence[Any]) -> int:
    """Index of the latest user message in items (-1: none; an item that is not a mapping
    is no message)."""
    for index in range(len(items) - 1, -1, -1):
        item = items[index]
        if (type(item) is dict or isinstance(item, Mapping)) and is_user_message(item):
            return index
    return -1


def latest_user_text(items: Sequence[Any]) -> str:
    """The text of the latest user message in items ("" when there is none)."""
    last = last_user_index(items)
    return message_text(items[last]) if last >= 0 else ""

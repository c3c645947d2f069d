"""The text of input items, as the matcher, the generator and token counting read it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def message_text(item: Mapping[str, Any]) -> str:
    """The text parts of a message, joined by newlines (images and files have none)."""
    content = item.get("content")
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    return "\n".join(
        [t for p in content if isinstance(p, Mapping) and isinstance(t := p.get("text"), str)]
    )


def is_user_message(item: Mapping[str, Any]) -> bool:
    """A user message: EasyInputMessage has no `type`, a full input message has "message"."""
    return item.get("role") == "user" and item.get("type", "message") == "message"

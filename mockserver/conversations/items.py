"""Input items as conversation items: checked, with ids and statuses, as the API lists them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mockserver.errors import InvalidRequest
from mockserver.openai import compaction
from mockserver.openai.ids import IdFactory, item_id_prefix
from mockserver.openai.request_items import input_item

Item = dict[str, Any]
# Item types that carry a status in the spec's ConversationItem union.
_STATUS_KINDS = frozenset({"message", "function_call", "function_call_output"})


def as_resource(item: Item, ids: IdFactory) -> Item:
    """An input item as a conversation (or input_items) lists it: with an id, and a status
    where its type has one. An id the client gave is kept."""
    resource = item if item.get("id") else {"id": ids.hex_id(_prefix(item)), **item}
    if resource.get("type") in _STATUS_KINDS and "status" not in resource:
        resource = {**resource, "status": "completed"}
    if resource.get("type") == "message" and isinstance(resource.get("content"), list):
        resource = {**resource, "content": [_part(p) for p in resource["content"]]}
    return resource


def _part(part: Any) -> Any:
    """An output_text part as the API shows it: with its annotations and logprobs lists."""
    if isinstance(part, dict) and part.get("type") == "output_text":
        return {"annotations": [], "logprobs": [], **part}
    return part


def _prefix(item: Item) -> str:
    return item_id_prefix(str(item.get("type")), "item")


def checked_items(raw: Any, param: str = "items") -> list[Item]:
    """The `items` of a conversation body: each an input item (the create body's checks),
    with errors naming `items[i]`; a compaction item must be one the mock made (else every
    later response in the conversation would fail on it)."""
    items: list[Item] = []
    for index, item in enumerate(raw):
        try:
            items.append(input_item(item, index))
        except InvalidRequest as exc:
            raise _renamed(exc, param) from None
        if items[-1].get("type") == "compaction":
            where = f"{param}[{index}].encrypted_content"
            compaction.decode(items[-1].get("encrypted_content"), where)
    return items


def _renamed(exc: InvalidRequest, param: str) -> InvalidRequest:
    """The create body's error for `input[i]...`, said of `{param}[i]...`."""
    where = exc.param or ""
    named = param + where[len("input") :] if where.startswith("input") else where
    return InvalidRequest(
        exc.message.replace(f"'{where}'", f"'{named}'"), code=exc.code, param=named or None
    )


def resources(items: Sequence[Item], ids: IdFactory) -> list[Item]:
    return [as_resource(item, ids) for item in items]

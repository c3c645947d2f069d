"""Agent-loop inputs the API refuses: the items of a turn checked against the conversation.

`check(tenant, history, items)` runs once the conversation a request continues is known
(create.open_turn), over the earlier turns' items (`history`, oldest first) and this
request's input items. Each refusal has the API's status, message, `param: "input"` and
`code: null`, as real answers show them:

- an `item_reference` to an id no stored item has, or a reasoning item sent without its
  encrypted_content that no stored response holds: 404 "Item with id '...' not found. ...";
- an item id sent twice, or an id the previous responses already hold (a replayed item, or
  an `item_reference` to one, next to `previous_response_id`): 400 "Duplicate item found...";
- a `reasoning` item with no item after it that it produced: 400 "Item '...' of type
  'reasoning' was provided without its required following item.";
- a tool output whose `call_id` matches no call: 400 "No tool call found for function call
  output with call_id ...";
- a function or custom tool call with no output: 400 "No tool output found for function
  call ..." (a turn after tool calls must send their outputs).

Pure and linear in the items, but for an id it must read back (an `item_reference`, a bare
reasoning item) that the history does not hold: that one looks in the tenant's stored
responses, one scan of each stored body for its ids, parsed only when it holds one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from mockserver.errors import InvalidRequest, NotFound
from mockserver.openai.tools import OUTPUT_OF_CALL
from mockserver.pipeline.conversation import NOTHING_KEPT, Kept
from mockserver.pipeline.store import StoredResponse, Tenant

Item = Mapping[str, Any]
_ID = re.compile(rb'"id":"([^"\\]+)"')  # ids in stored (compact) JSON; escaped ones are rare

# The calls the API pairs with their outputs in a turn's input, and the output answering each.
_CALL_WORDS = {"function_call": "function call", "custom_tool_call": "custom tool call"}
_OUTPUT_OF = {OUTPUT_OF_CALL[call]: call for call in _CALL_WORDS}
# What may follow a reasoning item: what the model produced after it (not an input of the
# user's, a tool's output, or another turn's reasoning).
_NOT_PRODUCED = frozenset({*_OUTPUT_OF, "reasoning", "additional_tools", "compaction_trigger",
                           "computer_call_output", "local_shell_call_output", "shell_call_output",
                           "apply_patch_call_output", "mcp_approval_response",
                           "tool_search_output", "program_output"})  # fmt: skip


def check(
    tenant: Tenant, history: Sequence[Item], items: Sequence[Item], kept: Kept = NOTHING_KEPT
) -> None:
    """Raise the API's error for the first agent-loop mistake in items (nothing if none).
    `kept`: responses a connection keeps besides the store (the WebSocket mode's)."""
    if not history and _plain_messages(items):
        return  # messages alone, with no ids: nothing to resolve, repeat, follow or pair
    resolved = _resolve_references(tenant, history, items, kept)
    _no_duplicates(history, resolved)
    _reasoning_followed(resolved)
    _outputs_have_calls([*history, *resolved])
    _calls_have_outputs([*history, *resolved])


def _resolve_references(
    tenant: Tenant, history: Sequence[Item], items: Sequence[Item], kept: Kept
) -> list[Item]:
    """items, each item_reference replaced by the item it names (history, then the store).
    A reasoning item sent without its encrypted_content is looked up the same way: the API
    reads it back by id, so one a `store: false` response made is not found either."""
    wanted = {str(i.get("id")) for i in items if _stored_by_id(i)}
    if not wanted:
        return list(items)
    known = {str(h.get("id")): h for h in history if h.get("id") in wanted}
    known.update(_stored_items([tenant.responses, kept], wanted - known.keys()))
    resolved = []
    for item in items:
        if not _stored_by_id(item):
            resolved.append(item)
            continue
        ref = str(item.get("id"))
        if ref not in known:
            raise NotFound(
                f"Item with id '{ref}' not found. Items are not persisted when `store` is set "
                "to false. Try again with `store` set to true, or remove this item from your "
                "input.",
                param="input",
            )
        resolved.append(known[ref] if item.get("type") == "item_reference" else item)
    return resolved


def _plain_messages(items: Sequence[Item]) -> bool:
    """Messages only, none with an id."""
    for item in items:  # noqa: SIM110 (no generator frame)
        if item.get("type", "message") != "message" or "id" in item:
            return False
    return True


def _stored_by_id(item: Item) -> bool:
    """An item the API reads from storage by its id: a reference, or reasoning sent without
    its encrypted content."""
    kind = item.get("type")
    if kind == "reasoning":
        return isinstance(item.get("id"), str) and not item.get("encrypted_content")
    return kind == "item_reference"


def _stored_items(stores: Sequence[Mapping[str, StoredResponse]], ids: set[str]) -> dict[str, Item]:
    """The stored items (outputs and inputs) with these ids, newest response first.
    Each stored body is scanned once for its `"id":"..."` strings (whatever the number of
    ids asked) and parsed only when it holds one of them."""
    found: dict[str, Item] = {}
    for stored in (s for store in stores for s in reversed(list(store.values()))):
        if len(found) == len(ids):
            break
        held = {m.decode() for body in (stored.body, stored.input_body)
                for m in _ID.findall(body)}  # fmt: skip
        if held.isdisjoint(ids - found.keys()):
            continue
        for item in [*stored.input_items(), *(stored.response().get("output") or [])]:
            if isinstance(item, dict) and item.get("id") in ids:
                found[str(item["id"])] = item
    return found


def _no_duplicates(history: Sequence[Item], items: Sequence[Item]) -> None:
    seen = {h.get("id") for h in history if isinstance(h.get("id"), str)}
    for item in items:
        item_id = item.get("id")
        if not isinstance(item_id, str) or not item_id:
            continue
        if item_id in seen:
            raise InvalidRequest(
                f"Duplicate item found with id {item_id}. Remove duplicate items from your "
                "input and try again.",
                param="input",
            )
        seen.add(item_id)


def _reasoning_followed(items: Sequence[Item]) -> None:
    for index, item in enumerate(items):
        if item.get("type") != "reasoning":
            continue
        after = items[index + 1] if index + 1 < len(items) else None
        if after is None or not _produced(after):
            raise InvalidRequest(
                f"Item '{item.get('id')}' of type 'reasoning' was provided without its "
                "required following item.",
                param="input",
            )


def _produced(item: Item) -> bool:
    """Could the model have written this item (right after its reasoning)?"""
    kind = item.get("type", "message")
    if kind == "message":
        return item.get("role") == "assistant"
    return kind not in _NOT_PRODUCED


def _outputs_have_calls(conversation: Sequence[Item]) -> None:
    calls = {
        (i.get("type"), i.get("call_id")) for i in conversation if i.get("type") in _CALL_WORDS
    }
    for item in conversation:
        call_kind = _OUTPUT_OF.get(str(item.get("type")))
        if call_kind is not None and (call_kind, item.get("call_id")) not in calls:
            raise InvalidRequest(
                f"No tool call found for {_CALL_WORDS[call_kind]} output with call_id "
                f"{item.get('call_id')}.",
                param="input",
            )


def _calls_have_outputs(conversation: Sequence[Item]) -> None:
    """Every function and custom tool call has its output (hosted tools' calls need none)."""
    answered = {(_OUTPUT_OF[t], i.get("call_id")) for i in conversation
                if (t := str(i.get("type"))) in _OUTPUT_OF}  # fmt: skip
    for item in conversation:
        kind = str(item.get("type"))
        if kind in _CALL_WORDS and (kind, item.get("call_id")) not in answered:
            raise InvalidRequest(
                f"No tool output found for {_CALL_WORDS[kind]} {item.get('call_id')}.",
                param="input",
            )

"""Conversations: per tenant, bounded, in memory (a tenant's dict lives on its Tenant).

A Conversation keeps its items as dicts in order. Two bounds hold whatever a client does:
MAX_ITEMS items in one conversation (adding past it is the API's 400), and the server-wide
cap on conversations (`--max-stored`, counted apart from responses): past it the oldest
conversation of any tenant is forgotten, as stored responses are.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from mockserver.errors import InvalidRequest, NotFound
from mockserver.jsonbytes import dumps_to_keep
from mockserver.observe.evictions import EvictionLog

log = logging.getLogger("mockserver.conversations")

Item = dict[str, Any]
MAX_ITEMS = 10_000  # items one conversation may hold
MAX_ITEMS_PER_ADD = 20  # items one create call may add (the API's maxItems)


class Conversation:
    """A conversation and its items, each kept as compact JSON bytes (as stored responses
    are): an item costs about its JSON's size, read back when a request continues it."""

    __slots__ = ("_ids", "_items", "compactions", "created_at", "deleted", "id", "metadata")

    def __init__(self, conv_id: str, created_at: int, metadata: dict[str, str]) -> None:
        self.id = conv_id
        self.created_at = created_at
        self.metadata = metadata
        self._items: list[bytes] = []
        self._ids: list[str | None] = []  # the items' ids, in the same order
        self.deleted = False
        # How many times a response in this conversation compacted it (context_management).
        self.compactions = 0

    def __len__(self) -> int:
        return len(self._items)

    def resource(self) -> Item:
        """The Conversation object (ConversationResource)."""
        return {
            "id": self.id,
            "object": "conversation",
            "created_at": self.created_at,
            "metadata": self.metadata,
        }

    def items(self) -> list[Item]:
        """Its items, oldest first."""
        return [json.loads(raw) for raw in self._items]

    def add(self, items: list[Item]) -> None:
        """Append items (ids already given); past MAX_ITEMS nothing is added: a 400."""
        if len(self._items) + len(items) > MAX_ITEMS:
            raise InvalidRequest(
                f"Conversation '{self.id}' would hold {len(self._items) + len(items)} items; "
                f"mockserver keeps at most {MAX_ITEMS} items in one conversation.",
                code="conversation_items_limit_exceeded",
                param="items",
            )
        self._items.extend(dumps_to_keep(item) for item in items)
        self._ids.extend(item.get("id") for item in items)

    def item(self, item_id: str) -> Item:
        value: Item = json.loads(self._items[self._index(item_id)])
        return value

    def remove(self, item_id: str) -> None:
        index = self._index(item_id)
        del self._items[index], self._ids[index]

    def _index(self, item_id: str) -> int:
        try:
            return self._ids.index(item_id)
        except ValueError:
            raise item_not_found(item_id) from None


# Final statuses after which a response's items join its conversation (not failed, cancelled).
JOINS = frozenset({"completed", "incomplete"})


@dataclass
class PendingItems:
    """A response's input items, waiting to join its conversation with its output."""

    conversation: Conversation
    inputs: list[Item]

    def settle(self, response: Item) -> None:
        """Join the conversation if the response ended well and the conversation still is."""
        if response.get("status") not in JOINS or self.conversation.deleted:
            return
        try:
            self.conversation.add([*self.inputs, *(response.get("output") or [])])
        except InvalidRequest as exc:  # filled by others since the response began
            log.warning("%s: %s", self.conversation.id, exc.message)


def conversation_not_found(conv_id: str, param: str = "conversation_id") -> NotFound:
    return NotFound(
        f"Conversation with id '{conv_id}' not found.", code="conversation_not_found", param=param
    )


def item_not_found(item_id: str) -> NotFound:
    return NotFound(f"Item with id '{item_id}' not found.", code="item_not_found", param="item_id")


Owned = dict[str, Conversation]  # a tenant's conversations by id


class ConversationStore:
    """The server-wide order of conversations, for the cap; each tenant owns its dict."""

    def __init__(self, max_stored: int) -> None:
        self._max_stored = max_stored
        self._order: OrderedDict[str, Owned] = OrderedDict()  # conversation id -> owner
        self.evictions = EvictionLog(log, "conversations", "--max-stored", max_stored)

    def put(self, owned: Owned, conversation: Conversation) -> None:
        owned[conversation.id] = conversation
        self._order[conversation.id] = owned
        while len(self._order) > self._max_stored:
            old_id, owner = self._order.popitem(last=False)
            evicted = owner.pop(old_id, None)
            if evicted is not None:
                evicted.deleted = True
            self.evictions.evicted(old_id)

    def delete(self, owned: Owned, conv_id: str) -> Conversation:
        conversation = owned.pop(conv_id, None)
        if conversation is None:
            raise conversation_not_found(conv_id)
        self._order.pop(conv_id, None)
        conversation.deleted = True
        return conversation

    def forget(self, owned: Owned) -> None:
        """A tenant reset: its conversations are gone."""
        for conv_id, conversation in owned.items():
            self._order.pop(conv_id, None)
            conversation.deleted = True
        owned.clear()

    def clear(self) -> None:
        self._order.clear()

    @property
    def count(self) -> int:
        return len(self._order)


def find(owned: Owned, conv_id: str, param: str = "conversation_id") -> Conversation:
    conversation = owned.get(conv_id)
    if conversation is None:
        raise conversation_not_found(conv_id, param)
    return conversation

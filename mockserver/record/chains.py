"""The conversations the upstream holds, as far as the recorder saw them.

A request that continues `previous_response_id` sends only its new input; to know its turn,
its latest user text and the tool outputs it answers with, the recorder keeps, for every
upstream response it relayed, that response's input and output items and what it continued.
The ids themselves are never written: on replay the mock issues its own and follows its own
chains, so a rule recorded by turn and content answers whatever id the client sends.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.errors import MockError
from mockserver.openai.request import parse_request

DEFAULT_MAX_CHAINS = 10_000  # responses remembered (the oldest are forgotten first)

Item = Mapping[str, Any]


@dataclass(frozen=True)
class Link:
    previous_id: str | None
    items: tuple[Item, ...]  # this response's input items, then its output items


def input_items(body: Mapping[str, Any]) -> tuple[Item, ...]:
    """The request's input as items (a string input is one user message)."""
    try:
        return tuple(parse_request(dict(body), strict=False).input_items)
    except MockError:  # the upstream will answer this body with its own error
        raw = body.get("input")
        if isinstance(raw, str):
            return ({"role": "user", "content": raw},)
        return tuple(i for i in raw if isinstance(i, Mapping)) if isinstance(raw, list) else ()


def conversation_id(value: Any) -> str | None:
    """The id a create's `conversation` names (a string, or an object with an id)."""
    found = value.get("id") if isinstance(value, Mapping) else value
    return found if isinstance(found, str) else None


class Chains:
    def __init__(self, max_links: int = DEFAULT_MAX_CHAINS) -> None:
        self._links: OrderedDict[str, Link] = OrderedDict()
        # Conversations API: a conversation's items (its first items, then every response's
        # input and output), as the upstream keeps them.
        self._conversations: OrderedDict[str, list[Item]] = OrderedDict()
        self._max = max_links

    def opened(self, conv_id: str, items: Any) -> None:
        """A conversation the upstream created (with its first items), or items added to it."""
        kept = self._conversations.setdefault(conv_id, [])
        kept.extend(input_items({"input": items if isinstance(items, list) else []}))
        self._conversations.move_to_end(conv_id)
        while len(self._conversations) > self._max:
            self._conversations.popitem(last=False)

    def conversation(self, body: Mapping[str, Any]) -> tuple[tuple[Item, ...], bool]:
        """Earlier turns then this request's input; and whether the chain names a response
        or conversation this recorder never saw (then the earlier turns are missing)."""
        conv_id = conversation_id(body.get("conversation"))
        if conv_id is not None:
            kept = self._conversations.get(conv_id)
            return tuple(kept or ()) + input_items(body), kept is None
        earlier: list[tuple[Item, ...]] = []
        rid = body.get("previous_response_id")
        seen: set[str] = set()
        while isinstance(rid, str) and rid not in seen:
            seen.add(rid)
            link = self._links.get(rid)
            if link is None:
                return _joined(earlier, input_items(body)), True
            earlier.append(link.items)
            rid = link.previous_id
        return _joined(earlier, input_items(body)), False

    def remember(self, body: Mapping[str, Any], response: Mapping[str, Any]) -> None:
        rid = response.get("id")
        if not isinstance(rid, str):
            return
        output = response.get("output")
        outputs = (
            tuple(i for i in output if isinstance(i, Mapping)) if isinstance(output, list) else ()
        )
        conv_id = conversation_id(body.get("conversation"))
        if conv_id is not None and conv_id in self._conversations:
            self._conversations[conv_id].extend(input_items(body) + outputs)
        previous = body.get("previous_response_id")
        self._links[rid] = Link(
            previous if isinstance(previous, str) else None, input_items(body) + outputs
        )
        self._links.move_to_end(rid)
        while len(self._links) > self._max:
            self._links.popitem(last=False)


def _joined(earlier: list[tuple[Item, ...]], current: tuple[Item, ...]) -> tuple[Item, ...]:
    return tuple(item for turn in reversed(earlier) for item in turn) + current

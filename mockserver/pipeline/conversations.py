"""A create request in its conversation: the history it continues, what the scenario sees,
and what it adds to its conversation once it completes.

`open_continuation` (create step 2, and input_tokens, and compact): the earlier items -- a
conversation's (`conversation`), or the previous_response_id chain -- and this request's
input; compaction items replace what precedes them for the model (what is counted)
while the scenario sees what they stand for (`expanded`).
`finish_response` (create step 8, after render): a compacting response (context_management
past its threshold) gets its compaction item.
`join` (step 8, after store): its input and output items join the conversation when it
completes: now for a JSON answer, when its Run reaches `completed` or `incomplete` for a
stored stream or background run (StoredResponse.update), never when it fails or is cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from mockserver.conversations import body as params
from mockserver.conversations.items import resources
from mockserver.conversations.store import MAX_ITEMS, Conversation, PendingItems, find
from mockserver.errors import InvalidRequest
from mockserver.http.exchange import Exchange
from mockserver.openai import compaction
from mockserver.openai.request import ResponseRequest
from mockserver.pipeline.conversation import NOTHING_KEPT, Kept, history, previous_response
from mockserver.pipeline.store import StoredResponse, Tenant
from mockserver.scenario.context import NO_CONVERSATION, ConversationFacts

if TYPE_CHECKING:
    from mockserver.catalog.models import ModelInfo
    from mockserver.pipeline.turn import Turn

Item = dict[str, Any]


@dataclass(slots=True)
class Continuation:
    """What a request continues (a conversation, or the previous_response_id chain):
    `counted` (what the model reads, compaction items in place), `seen` (what the scenario
    sees: compactions expanded), the conversation it runs in and its facts."""

    counted: list[Item]
    history_len: int  # how many of `counted` came before this request's input
    seen: list[Item] = field(default_factory=list)
    earlier: list[Item] = field(default_factory=list)  # `seen` before this request's input
    conversation: Conversation | None = None
    facts: ConversationFacts = NO_CONVERSATION
    # context_management: compact past this many tokens (0: at the model's default)
    compact_threshold: int | None = None


def open_continuation(
    tenant: Tenant, req: ResponseRequest, ex: Exchange, kept: Kept = NOTHING_KEPT
) -> Continuation:
    """The conversation or previous response the request continues, and its items."""
    raw = req.raw
    # The common case: a request that continues nothing, asks no compaction and sends no
    # compaction item (a string input is one user message): its own items are all there is.
    if (
        req.previous_response_id is None
        and raw.get("conversation") is None
        and raw.get("context_management") is None
        and (type(raw.get("input")) is str or compaction.last_compaction(req.input_items) < 0)
    ):
        whole = list(req.input_items)
        return Continuation(whole, 0, whole, [], None, NO_CONVERSATION, None)
    conv_id = params.conversation_id(raw.get("conversation"))
    threshold = params.compact_threshold(raw.get("context_management"))
    conversation = None
    if conv_id is None:
        earlier = history(tenant, previous_response(tenant, req, kept), kept)
    else:
        params.no_previous_response(req.previous_response_id)
        conversation = find(tenant.conversations, conv_id, "conversation")
        _room_for(conversation, req.input_items)
        earlier = conversation.items()
        ex.conversation_id = conv_id
    whole = earlier + req.input_items
    last = compaction.last_compaction(whole)
    if conversation is None and last < 0:  # nothing to expand or report
        return Continuation(whole, len(earlier), whole, earlier, None, NO_CONVERSATION, threshold)
    facts = ConversationFacts(
        id=conv_id,
        metadata=MappingProxyType(dict(conversation.metadata)) if conversation else {},
        items=len(earlier) if conversation else 0,
        compacted=last >= 0,
    )
    counted = whole[last:] if last >= 0 else whole  # what the model reads
    return Continuation(
        counted=counted,
        history_len=max(0, len(earlier) - (len(whole) - len(counted))),
        seen=compaction.expanded(whole),
        earlier=compaction.expanded(earlier),
        conversation=conversation,
        facts=facts,
        compact_threshold=threshold,
    )


def threshold_for(asked: int, model: ModelInfo) -> int:
    """An entry without compact_threshold (0) compacts at 80 % of the model's window."""
    if asked:
        return asked
    return max(params.MIN_COMPACT_THRESHOLD, int((model.context_window or 128_000) * 0.8))


def _room_for(conversation: Conversation, items: list[Item]) -> None:
    """A response adds its input and at least one output item: refuse it now if they cannot
    fit (MAX_ITEMS), rather than complete a response its conversation cannot keep."""
    if len(conversation) + len(items) + 1 > MAX_ITEMS:
        raise InvalidRequest(
            f"Conversation '{conversation.id}' is full: mockserver keeps at most {MAX_ITEMS} "
            "items in one conversation. Compact it or start a new one.",
            code="conversation_items_limit_exceeded",
            param="conversation",
        )


def finish_response(
    turn: Turn, opened: Continuation, model: ModelInfo, response: dict[str, Any]
) -> dict[str, Any]:
    """The rendered Response of a request with context_management (`opened.compact_threshold`
    set: create.finish calls this only then), with its compaction item past the threshold
    (the Response echoes `conversation` itself: openai/response.py)."""
    assert opened.compact_threshold is not None
    threshold = threshold_for(opened.compact_threshold, model)
    return _compacting(turn, opened, response, threshold)


def _compacting(
    turn: Turn, opened: Continuation, response: dict[str, Any], threshold: int
) -> dict[str, Any]:
    """Past the threshold, the output ends with a compaction item standing for the whole
    history and this output (what the real API does with context_management)."""
    counted = (response.get("usage") or {}).get("input_tokens", 0)
    if counted < threshold or response.get("status") != "completed":
        return response
    output = list(response["output"])
    replaced = [*opened.seen, *output]
    item = compaction.compaction_item(turn.tenant.ids.hex_id("cmp"), replaced, counted)
    summary = compaction.summary_size(item["encrypted_content"])
    spent = dict(response["usage"])
    spent["output_tokens"] += summary
    spent["total_tokens"] += summary
    if opened.conversation is not None:
        opened.conversation.compactions += 1
    return {**response, "output": [*output, item], "usage": spent}


def join(
    turn: Turn, conversation: Conversation, response: dict[str, Any], stored: StoredResponse | None
) -> None:
    """The request's input and the response's output join its conversation once the response
    completes: now if it is final, else when its stored Run completes."""
    inputs = stored.input_items() if stored is not None else None
    if inputs is None:
        inputs = resources(turn.req.input_items, turn.tenant.ids)
    pending = PendingItems(conversation, inputs)
    running = turn.req.stream or turn.req.background
    if running and stored is not None:
        stored.pending = pending  # joins when the Run reaches a good final status
    else:
        pending.settle(response)


def counted_input(tenant: Tenant, req: ResponseRequest, ex: Exchange) -> list[Item]:
    """What POST /v1/responses/input_tokens counts: the same items create counts."""
    return open_continuation(tenant, req, ex).counted

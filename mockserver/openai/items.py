"""Plan items -> spec output items (OutputMessage, FunctionToolCall, ReasoningItem, verbatim)."""

from __future__ import annotations

import copy
from typing import Any

from mockserver.openai.ids import IdFactory, item_id_prefix
from mockserver.plan import FunctionCallPlan, ItemPlan, MessagePlan, ReasoningPlan, VerbatimPlan

# The kinds of item whose render draws one id and nothing else, and its prefix: a render of
# such items can take ids drawn beforehand, in one call (`IdFactory.hex_ids`).
ONE_ID: dict[type[ItemPlan], str] = {MessagePlan: "msg", ReasoningPlan: "rs"}


def render_item(
    plan: ItemPlan, ids: IdFactory, item_id: str | None = None, status: str = "completed"
) -> dict[str, Any]:
    """The output item of plan. item_id: the id of a ONE_ID kind, drawn beforehand with its
    prefix; None: drawn here."""
    if isinstance(plan, MessagePlan):
        return message_item(plan, ids, status, item_id)
    if isinstance(plan, FunctionCallPlan):
        call = {
            "id": ids.hex_id("fc"),
            "type": "function_call",
            "status": status,
            "arguments": plan.arguments,
            "call_id": plan.call_id or ids.call_id(),
        }
        if plan.namespace is not None:
            call["namespace"] = plan.namespace
        call["name"] = plan.name
        return call
    if isinstance(plan, ReasoningPlan):
        return reasoning_item(plan, item_id or ids.hex_id(ONE_ID[ReasoningPlan]))
    return verbatim_item(plan, ids)


def message_item(
    plan: MessagePlan, ids: IdFactory, status: str, item_id: str | None = None
) -> dict[str, Any]:
    part: dict[str, Any]
    if plan.refusal:
        part = {"type": "refusal", "refusal": plan.text}
    else:
        part = {
            "type": "output_text",
            "annotations": [dict(a) for a in plan.annotations] if plan.annotations else [],
            "logprobs": [dict(lp) for lp in plan.logprobs] if plan.logprobs else [],
            "text": plan.text,
        }
    return {
        "id": item_id or ids.hex_id(ONE_ID[MessagePlan]),
        "type": "message",
        "status": status,
        "content": [part],
        "role": "assistant",
    }


def reasoning_item(plan: ReasoningPlan, item_id: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": item_id,
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": s} for s in plan.summary],
    }
    if plan.content:
        item["content"] = [{"type": "reasoning_text", "text": t} for t in plan.content]
    if plan.encrypted_content is not None:
        item["encrypted_content"] = plan.encrypted_content
    return item


def verbatim_item(plan: VerbatimPlan, ids: IdFactory) -> dict[str, Any]:
    item = copy.deepcopy(plan.item)
    kind = str(item.get("type", "item"))
    if "id" not in item:
        item["id"] = ids.hex_id(item_id_prefix(kind, kind.split("_")[0][:4]))
    if kind.endswith("_call") and "call_id" in item and not item["call_id"]:
        item["call_id"] = ids.call_id()
    return item

"""A Plan -> the final Response: items with ids, include[] effects, the output budget, usage."""

from __future__ import annotations

from typing import Any

from mockserver.catalog.includes import LOGPROBS, apply_includes_in_place
from mockserver.catalog.models import ModelInfo
from mockserver.openai import budget, usage
from mockserver.openai.items import render_item
from mockserver.openai.response import build_response
from mockserver.pipeline.turn import Turn
from mockserver.plan import Plan


def render(turn: Turn, plan: Plan, model: ModelInfo, now: float) -> dict[str, Any]:
    req = turn.req
    ids = turn.tenant.ids
    rid = ids.hex_id("resp")
    output: list[dict[str, Any]] = []
    for item in plan.items:
        output.append(render_item(item, ids))
    status, reason = plan.status, plan.incomplete_reason
    if status == "incomplete" and output:
        output[-1] = {**output[-1], "status": "incomplete"}
    # What the model ran as: the dated snapshot the alias names (an unknown model: the name
    # as sent), the request's effort (else a reasoning model's default) and reasoning setup.
    snapshot = model.response_model if model.known else None
    effort = model.effort(req.reasoning)
    reasoning_defaults = model.reasoning_defaults()
    # include[] effects, changed in place: every item was just built afresh (a verbatim one
    # as a deep copy), so the copy `apply_includes` makes would be waste. Logprobs only where
    # the model samples at this effort.
    apply_includes_in_place(
        output,
        req.include,
        turn.rng,
        top_logprobs=req.top_logprobs or 0,
        with_logprobs=LOGPROBS in req.include and model.samples(effort),
    )
    reasoning_tokens = plan.reasoning_tokens or 0
    if req.max_output_tokens is not None:  # budget.fit keeps everything without one
        scripted = usage.scripted_reasoning_tokens(plan.usage) is not None
        fitted = budget.fit(output, req.max_output_tokens, reasoning_tokens, scripted)
        output, reasoning_tokens = fitted.output, fitted.reasoning_tokens
        if fitted.cut:
            status, reason = "incomplete", "max_output_tokens"
    # Usage: what the model read (the earlier turns' part of it may be cached) and wrote.
    text_format = req.text.get("format")
    input_count = usage.input_tokens(req.instructions, turn.conversation, req.tools, text_format)
    cached = 0
    if turn.history_len:  # only earlier turns can be cached (no need to count otherwise)
        earlier = turn.conversation[: turn.history_len]
        prefix = usage.input_tokens(req.instructions, earlier, req.tools, text_format)
        cached = usage.cached_tokens(prefix)
    output_count = usage.output_tokens(output)
    return build_response(
        req,
        rid=rid,
        created_at=int(now),
        status=status,
        output=output,
        usage=usage.usage(input_count, output_count, reasoning_tokens, cached, plan.usage),
        completed_at=int(now) if status == "completed" else None,
        error=plan.response_error if status == "failed" else None,
        incomplete_reason=reason if status == "incomplete" else None,
        model=snapshot,
        effort=effort,
        reasoning_defaults=reasoning_defaults,
    )

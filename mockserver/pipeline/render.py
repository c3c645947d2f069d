"""A Plan -> the final Response: items with ids, include[] effects, the output budget, usage.

What a render gives whatever the request (its ids' prefixes, its output's tokens, whether
include[] can change it) is worked out once per scenario plan (`Plan.rendering`, from a
render of its own, at the plan's second render), so answering a static rule again draws
the response's, its items' and its stored input items' ids in one call, counts nothing of
its output, and skips include[] when the request includes nothing. When the body is only
`model` and `input`, a completed answer's Response is a copy of its model's frame
(`_frame`, made once by build_response) with its ids, times, output and usage set, and its
JSON the frame's encoding with those filled in; for such a learned plan, usage is all that
is left to work out.
"""

from __future__ import annotations

import random
from typing import Any

from mockserver.catalog.includes import LOGPROBS, apply_includes_in_place
from mockserver.catalog.models import ModelInfo
from mockserver.jsonbytes import clone, dumps
from mockserver.openai import budget, usage
from mockserver.openai.ids import IdFactory
from mockserver.openai.items import ONE_ID, render_item
from mockserver.openai.request import ResponseRequest
from mockserver.openai.response import build_response
from mockserver.pipeline.turn import Turn
from mockserver.plan import MessagePlan, Plan, Rendering


def render(
    turn: Turn, plan: Plan, model: ModelInfo, now: float
) -> tuple[dict[str, Any], list[str], bytes | None]:
    """The final Response; the ids of the request's input items as input_items lists them
    when they could be drawn with the response's, in the same call: it is stored and no
    compaction item may be drawn in between (else [], and store_response draws them); the
    Response's JSON when its frame wrote it (else None: it is encoded when stored)."""
    req, raw = turn.req, turn.req.raw
    ids = turn.tenant.ids
    # A body of only `model` and `input` sets nothing of the Response but its model, and
    # includes, cuts, continues and compacts nothing, and is stored: its Response is framed.
    plain = len(raw) == 2 and "input" in raw and "model" in raw
    known = plan.rendering
    if known is _ONCE or (known is None and plan.rule is not None):
        known = _learn(plan, known)
    output: list[dict[str, Any]] = []
    input_ids: list[str] = []
    if known is not None and known.id_prefixes is not None:  # each item draws one id: at once
        stored = req.store and turn.continues.compact_threshold is None
        rid, *drawn = ids.hex_ids(known.id_prefixes, req.input_items if stored else ())
        for item, item_id in zip(plan.items, drawn):  # noqa: B905 (drawn: then input ids)
            output.append(render_item(item, ids, item_id))
        input_ids = drawn[len(plan.items) :]
        if plain and known.include_free and plan.status == "completed" and plan.usage is None:
            # Nothing left to work out but the usage: what the model read.
            counted = usage.usage(_plain_input_tokens(turn), known.output_tokens,
                                  plan.reasoning_tokens or 0, 0, None)  # fmt: skip
            response, body = _framed(req, model, now, rid, output, counted)
            return response, input_ids, body
    else:
        rid = ids.hex_id("resp")
        for item in plan.items:
            output.append(render_item(item, ids))
    status, reason = plan.status, plan.incomplete_reason
    if status == "incomplete" and output:
        output[-1] = {**output[-1], "status": "incomplete"}
    # include[] effects, changed in place: every item was just built afresh (a verbatim one
    # as a deep copy), so the copy `apply_includes` makes would be waste. Logprobs only where
    # the model samples at the request's effort.
    free = known.include_free if known is not None else _messages_only(plan)
    if req.include or not free:
        apply_includes_in_place(
            output,
            req.include,
            turn.content_rng(),
            top_logprobs=req.top_logprobs or 0,
            with_logprobs=LOGPROBS in req.include and model.samples(model.effort(req.reasoning)),
        )
    reasoning_tokens = plan.reasoning_tokens or 0
    cut = False
    if req.max_output_tokens is not None:  # budget.fit keeps everything without one
        scripted = usage.scripted_reasoning_tokens(plan.usage) is not None
        fitted = budget.fit(output, req.max_output_tokens, reasoning_tokens, scripted)
        output, reasoning_tokens, cut = fitted.output, fitted.reasoning_tokens, fitted.cut
        if cut:
            status, reason = "incomplete", "max_output_tokens"
    # Usage: what the model read (the earlier turns' part of it may be cached) and wrote.
    cached = 0
    if plain:  # nothing came before it
        input_count = _plain_input_tokens(turn)
    else:
        text_format = req.text.get("format")
        input_count = usage.input_tokens(
            req.instructions, turn.conversation, req.tools, text_format
        )
        if turn.history_len:  # only earlier turns can be cached (no need to count otherwise)
            earlier = turn.conversation[: turn.history_len]
            prefix = usage.input_tokens(req.instructions, earlier, req.tools, text_format)
            cached = usage.cached_tokens(prefix)
    output_count = usage.output_tokens(output) if known is None or cut else known.output_tokens
    counted = usage.usage(input_count, output_count, reasoning_tokens, cached, plan.usage)
    if status == "completed" and plain:
        response, body = _framed(req, model, now, rid, output, counted)
        return response, input_ids, body
    # What the model ran as (a framed Response has its model's already): the dated snapshot
    # the alias names (an unknown model: the name as sent), the request's effort (else a
    # reasoning model's default) and reasoning setup.
    response = build_response(
        req,
        rid=rid,
        created_at=int(now),
        status=status,
        output=output,
        usage=counted,
        completed_at=int(now) if status == "completed" else None,
        error=plan.response_error if status == "failed" else None,
        incomplete_reason=reason if status == "incomplete" else None,
        model=model.response_model if model.known else None,
        effort=model.effort(req.reasoning),
        reasoning_defaults=model.reasoning_defaults(),
    )
    return response, input_ids, None


def _messages_only(plan: Plan) -> bool:
    """Whether plan's items are messages without logprobs, whose render include[] with
    nothing asked leaves as it is (known without a render: `rendering_of` works it out
    for any plan, once learned)."""
    for item in plan.items:  # noqa: SIM110 (a loop: all() would run a generator's frame)
        if type(item) is not MessagePlan or item.logprobs:
            return False
    return True


def _plain_input_tokens(turn: Turn) -> int:
    """usage.input_tokens of a plain body's input (see `render`): nothing came before it."""
    text = turn.req.raw["input"]
    if type(text) is str:  # one user message
        return usage.text_input_tokens(text)
    return usage.input_tokens(None, turn.conversation, turn.req.tools)


def _framed(
    req: ResponseRequest,
    model: ModelInfo,
    now: float,
    rid: str,
    output: list[dict[str, Any]],
    counted: dict[str, Any],
) -> tuple[dict[str, Any], bytes]:
    """The Response of a completed answer to a plain body (see `render`): its model's
    `_frame` with its id, times, output and usage set; and its JSON, the frame's `_template`
    filled in (about 12k instructions where encoding the whole Response costs 17k)."""
    frame, template = _frame(model, req)
    response = frame.copy()
    response["id"] = rid
    response["created_at"] = response["completed_at"] = created = int(now)
    response["output"] = output
    # Each answer has dicts and lists of its own (the frame's are never handed out): the
    # reasoning copied, and the request's own text, tools and metadata (equal to the frame's).
    response["reasoning"] = response["reasoning"].copy()
    response["text"], response["tools"], response["metadata"] = req.text, req.tools, req.metadata
    response["usage"] = counted
    at = b"%d" % created
    head, after_id, after_created, after_completed, after_output, tail = template
    body = _EMPTY.join((head, rid.encode(), after_id, at, after_created, at, after_completed,
                        dumps(output), after_output, dumps(counted), tail))  # fmt: skip
    return response, body


def _frame(model: ModelInfo, req: ResponseRequest) -> tuple[dict[str, Any], Template]:
    """The Response of a completed answer to a body of only `model` and `input` on model
    (the fields `_framed` sets are placeholders), and its `_template`: made once per model."""
    hit = _frames.get(id(model))
    if hit is not None and hit[0] is model:
        return hit[1], hit[2]
    if len(_frames) >= _MAX_FRAMES:
        _frames.clear()
    frame = build_response(
        req,
        rid="",
        created_at=0,
        status="completed",
        output=[],
        usage=None,
        completed_at=0,
        model=model.response_model if model.known else None,
        effort=model.effort(None),
        reasoning_defaults=model.reasoning_defaults(),
    )
    template = _template(frame)
    _frames[id(model)] = (model, frame, template)  # the model is kept: its id is not reused
    return frame, template


def _template(frame: dict[str, Any]) -> Template:
    """The frame's JSON cut around what `_framed` sets, in the order the Response lists
    them: the id (within its quotes), created_at, completed_at, the output, the usage."""
    slots = ("id", "created_at", "completed_at", "output", "usage")
    marked = {**frame, **{key: f"\0{key}" for key in slots}}
    rest = dumps(marked)
    parts = []
    for key in slots:
        # Each cut with its key: a `"key":` can only be the member's own (within a string,
        # a quote is escaped), whatever the frame's strings hold (an unknown model's name).
        named = dumps(key) + b":"
        before, rest = rest.split(named + dumps(marked[key]), 1)  # ValueError: not in order
        if key == "id":  # the id's quotes stay in the parts: only its characters are set
            before, rest = before + named + b'"', b'"' + rest
        else:
            before += named
        parts.append(before)
    head, after_id, after_created, after_completed, after_output = parts
    return head, after_id, after_created, after_completed, after_output, rest


# A frame's JSON in the six parts around the id, created_at, completed_at, output, usage.
Template = tuple[bytes, bytes, bytes, bytes, bytes, bytes]
_EMPTY = b""


# Frames by model: a catalogue's models; a fine-tuned or unknown model's ModelInfo is made
# per request (its frame each time), and the bound keeps those from piling up.
_frames: dict[int, tuple[ModelInfo, dict[str, Any], Template]] = {}
_MAX_FRAMES = 64


# A scenario plan rendered once: its Rendering is worked out if it renders again (a static
# rule's plan answers every request the rule matches; a templated one is made per request).
_ONCE = Rendering(None, 0, include_free=False)


def _learn(plan: Plan, known: Rendering | None) -> Rendering | None:
    """At a scenario plan's first render, mark it; at its second, its Rendering."""
    learned = rendering_of(plan) if known is _ONCE else _ONCE
    object.__setattr__(plan, "rendering", learned)  # frozen: a cache, set twice at most
    return learned if learned is not _ONCE else None


def id_prefixes(plan: Plan) -> tuple[str, ...] | None:
    """The prefix of each hex id rendering plan draws, the response's first, when each of
    its items draws one (`items.ONE_ID`) and nothing else; else None."""
    prefixes = ["resp"]
    for item in plan.items:
        prefix = ONE_ID.get(type(item))
        if prefix is None:
            return None
        prefixes.append(prefix)
    return tuple(prefixes)


def rendering_of(plan: Plan) -> Rendering:
    """What rendering plan gives whatever the request, from a render of its items of its
    own: its ids' prefixes, its output's tokens, whether include[] with nothing asked
    changes it."""
    ids = IdFactory(random.Random(0))
    output = [render_item(item, ids) for item in plan.items]
    shown = apply_includes_in_place(clone(output), None, random.Random(0))
    return Rendering(id_prefixes(plan), usage.output_tokens(output), shown == output)

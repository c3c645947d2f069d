"""How a reasoning model answers in the zero-config generator: a reasoning item first.

The item carries a summary when `reasoning.summary` asks for one, and `encrypted_content`
when `include` has reasoning.encrypted_content. Usage counts reasoning tokens scaled by the
effort and by the question (rounded to 64, as real usage reports them); the renderer keeps
them within max_output_tokens (openai/budget.py).
"""

from __future__ import annotations

import base64
import dataclasses
import random
from collections.abc import Callable, Mapping
from typing import Any

from mockserver.catalog.models import ModelInfo
from mockserver.openai import tokens
from mockserver.openai.usage import REASONING_STEP, scripted_reasoning_tokens
from mockserver.plan import FunctionCallPlan, MessagePlan, Plan, ReasoningPlan

ENCRYPTED = "reasoning.encrypted_content"
# How much a run reasons at each effort, as a multiple of a medium run, and the most it spends.
_EFFORT_SCALE = {
    "none": (0.0, 0),
    "minimal": (0.0, 0),
    "low": (0.5, 4096),
    "medium": (1.0, 12288),
    "high": (2.5, 32768),
    "xhigh": (5.0, 65536),
    "max": (8.0, 98304),
}
# A medium run on a trivial prompt spends 0-128 tokens (real traffic); longer prompts and
# longer answers cost more: per token of the question, and per visible output token.
_BASE_SPREAD = 128
_TRIVIAL_PROMPT = 16
_PER_PROMPT_TOKEN = 6.0
_PER_OUTPUT_TOKEN = 0.5
_SUMMARY_PARTS = {"concise": 1, "auto": 1, "detailed": 3}
_TITLES = (
    "Understanding the request", "Clarifying the goal", "Planning the answer",
    "Weighing the options", "Checking the details", "Structuring the response",
    "Considering edge cases", "Drafting the reply",
)  # fmt: skip
_STEPS = (
    "I need to work out what is actually being asked before answering.",
    "The key facts come first; the rest can follow briefly.",
    "A short, direct answer fits better here than a long one.",
    "I should check that nothing in the request is ambiguous.",
    "An example would make the point clearer.",
    "I'll keep the tone friendly and the wording plain.",
    "It is worth mentioning the main caveat without overdoing it.",
    "I'll organise the answer so the most useful part is on top.",
)  # fmt: skip


def reasoning_plan_for(
    body: Mapping[str, Any], info: ModelInfo, rng: random.Random
) -> ReasoningPlan | None:
    """The reasoning item a generated answer starts with, or None for models that do not reason.

    A model missing from the catalogue reasons when the request configures reasoning.
    """
    reasoning = body.get("reasoning")
    config = reasoning if isinstance(reasoning, Mapping) else {}
    if not _reasons(info, config):
        return None
    effort = info.effort(config) or "medium"
    if effort == "none":
        return None
    style = config.get("summary") or config.get("generate_summary")
    parts = _SUMMARY_PARTS.get(style, 0) if isinstance(style, str) else 0
    summary = tuple(_summary_part(_topic(body), rng) for _ in range(parts))
    encrypted = None
    if ENCRYPTED in (body.get("include") or ()):
        spent = reasoning_tokens_for(effort, _prompt_tokens(body), 0, rng)
        encrypted = encrypted_content_for(spent, rng)
    return ReasoningPlan(summary=summary, encrypted_content=encrypted)


def with_reasoning(
    plan: Plan, body: Mapping[str, Any], info: ModelInfo, rng: Callable[[], random.Random]
) -> Plan:
    """A plan as a reasoning model answers it: reasoning first, reasoning tokens in usage.
    `rng` gives the request's content randomness, asked for only when reasoning is planned
    or counted (most answers have none, and their randomness is then never made).

    Generated plans (no scenario) get a reasoning item; scripted plans keep their items as
    written. Either way, a plan with a reasoning item gets `reasoning_tokens` (the
    renderer adds them to usage) unless it already names a number: the scenario's
    `usage.output_tokens_details.reasoning_tokens` if it scripts one, else a plausible count
    (openai/budget.py keeps either within max_output_tokens).
    """
    items = plan.items
    reasons = False
    for item in items:  # a loop, not any(): no frame of its own, and this runs for every answer
        if isinstance(item, ReasoningPlan):
            reasons = True
            break
    if not reasons and (plan.scenario is not None or (info.known and not info.reasons)):
        return plan  # no reasoning item, and none to add (reasoning_plan_for would say None)
    if plan.scenario is None and not reasons:
        first = reasoning_plan_for(body, info, rng())
        items, reasons = ((first, *items), True) if first is not None else (items, False)
    if not reasons or plan.reasoning_tokens is not None:
        # Plans are frozen: an unchanged one is returned as is (a copy costs ~5 us a request).
        return plan if items is plan.items else dataclasses.replace(plan, items=items)
    spent = scripted_reasoning_tokens(plan.usage)
    if spent is None:
        reasoning = body.get("reasoning")
        effort = info.effort(reasoning if isinstance(reasoning, Mapping) else None)
        spent = reasoning_tokens_for(effort, _prompt_tokens(body), _visible_tokens(plan), rng())
    return dataclasses.replace(plan, items=items, reasoning_tokens=spent)


def _visible_tokens(plan: Plan) -> int:
    texts = [i.text for i in plan.items if isinstance(i, MessagePlan)]
    texts += [i.arguments for i in plan.items if isinstance(i, FunctionCallPlan)]
    return sum(tokens.count(t) for t in texts)


def _prompt_tokens(body: Mapping[str, Any]) -> int:
    """Tokens of the question the model reasons about: the instructions and the latest user
    text (earlier turns were reasoned about before)."""
    value = body.get("input")
    text = value if isinstance(value, str) else _last_user_text(value)
    instructions = body.get("instructions")
    if isinstance(instructions, str):
        text = f"{instructions}\n{text}"
    return tokens.count(text)


def _reasons(info: ModelInfo, config: Mapping[str, Any]) -> bool:
    if info.known:
        return info.reasons
    return any(config.get(k) is not None for k in ("effort", "summary", "generate_summary"))


def reasoning_tokens_for(
    effort: str | None, prompt_tokens: int, output_tokens: int, rng: random.Random
) -> int:
    """Reasoning tokens a run at `effort` spends on a question of `prompt_tokens` before
    `output_tokens` visible tokens: 0-128 for a trivial question at medium effort, more for
    longer questions, answers and efforts; a multiple of 64, bounded per effort."""
    scale, most = _EFFORT_SCALE.get(effort or "medium", _EFFORT_SCALE["medium"])
    if most == 0:
        return 0
    spent = (
        rng.uniform(0, _BASE_SPREAD + 0.5 * REASONING_STEP)
        + _PER_PROMPT_TOKEN * max(0, prompt_tokens - _TRIVIAL_PROMPT)
        + _PER_OUTPUT_TOKEN * max(0, output_tokens)
    )
    rounded = int(scale * spent) // REASONING_STEP * REASONING_STEP
    return min(rounded, most)


def encrypted_content_for(reasoning_tokens: int, rng: random.Random) -> str:
    """An opaque token shaped like the real ones (Fernet: 0x80, timestamp, IV, body, HMAC)."""
    body_len = min(8192, 64 + 2 * reasoning_tokens) // 16 * 16
    raw = (
        b"\x80"
        + rng.randrange(1_735_689_600, 1_767_225_600).to_bytes(8, "big")  # a 2025 timestamp
        + rng.randbytes(16 + body_len + 32)
    )
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _summary_part(topic: str, rng: random.Random) -> str:
    title = rng.choice(_TITLES)
    steps = " ".join(rng.sample(_STEPS, 2))
    about = f'The request is about "{topic}". ' if topic else ""
    return f"**{title}**\n\n{about}{steps}"


def _topic(body: Mapping[str, Any]) -> str:
    """The first words of the latest user text, to anchor the summary in the request."""
    value = body.get("input")
    text = value if isinstance(value, str) else _last_user_text(value)
    words = text.split()
    return " ".join(words[:8]) + (" ..." if len(words) > 8 else "")


def _last_user_text(items: Any) -> str:
    for item in reversed(items if isinstance(items, list) else []):
        if not isinstance(item, Mapping) or item.get("role") != "user":
            continue
        content = item.get("content")
        if isinstance(content, str):
            return content
        parts = [p.get("text") for p in content or () if isinstance(p, Mapping)]
        return " ".join(p for p in parts if isinstance(p, str))
    return ""

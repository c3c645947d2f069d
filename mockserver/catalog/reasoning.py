"""How a reasoning model answers in the zero-config generator: a reasoning item first.

The item carries a summary when `reasoning.summary` asks for one, and `encrypted_content`
when `include` has reasoning.encrypted_content. Usage counts reasoning tokens scaled by the
effort (rounded to 64, as real usage reports them).
"""

from __future__ import annotations

import base64
import dataclasses
import random
from collections.abc import Mapping
from typing import Any

from mockserver.catalog.models import ModelInfo
from mockserver.openai import tokens
from mockserver.plan import FunctionCallPlan, MessagePlan, Plan, ReasoningPlan

ENCRYPTED = "reasoning.encrypted_content"
# Reasoning tokens per effort: a base range, plus this many per visible output token.
_EFFORT_TOKENS = {
    "none": (0, 0, 0.0),
    "minimal": (0, 0, 0.0),
    "low": (64, 320, 0.5),
    "medium": (192, 1088, 1.5),
    "high": (768, 3328, 3.0),
    "xhigh": (2048, 8192, 5.0),
    "max": (4096, 16384, 8.0),
}
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
        encrypted = encrypted_content_for(reasoning_tokens_for(effort, 0, rng), rng)
    return ReasoningPlan(summary=summary, encrypted_content=encrypted)


def with_reasoning(
    plan: Plan, body: Mapping[str, Any], info: ModelInfo, rng: random.Random
) -> Plan:
    """A plan as a reasoning model answers it: reasoning first, reasoning tokens in usage.

    Generated plans (no scenario) get a reasoning item; scripted plans keep their items as
    written. Either way, a plan with a reasoning item gets `reasoning_tokens` (the
    renderer adds them to usage) unless it already names a number.
    """
    items = plan.items
    if plan.scenario is None and not any(isinstance(i, ReasoningPlan) for i in items):
        first = reasoning_plan_for(body, info, rng)
        items = (first, *items) if first is not None else items
    if not any(isinstance(i, ReasoningPlan) for i in items) or plan.reasoning_tokens is not None:
        # Plans are frozen: an unchanged one is returned as is (a copy costs ~5 us a request).
        return plan if items is plan.items else dataclasses.replace(plan, items=items)
    spent = _scripted_tokens(plan)
    if spent is None:
        reasoning = body.get("reasoning")
        effort = info.effort(reasoning if isinstance(reasoning, Mapping) else None)
        spent = reasoning_tokens_for(effort, _visible_tokens(plan), rng)
    return dataclasses.replace(plan, items=items, reasoning_tokens=spent)


def _scripted_tokens(plan: Plan) -> int | None:
    """Reasoning tokens a scenario's `usage:` names, so output_tokens adds up with them."""
    details = (plan.usage or {}).get("output_tokens_details")
    scripted = details.get("reasoning_tokens") if isinstance(details, Mapping) else None
    return scripted if isinstance(scripted, int) else None


def _visible_tokens(plan: Plan) -> int:
    texts = [i.text for i in plan.items if isinstance(i, MessagePlan)]
    texts += [i.arguments for i in plan.items if isinstance(i, FunctionCallPlan)]
    return sum(tokens.count(t) for t in texts)


def _reasons(info: ModelInfo, config: Mapping[str, Any]) -> bool:
    if info.known:
        return info.reasons
    return any(config.get(k) is not None for k in ("effort", "summary", "generate_summary"))


def reasoning_tokens_for(effort: str | None, output_tokens: int, rng: random.Random) -> int:
    """Reasoning tokens a run at `effort` spends before `output_tokens` visible tokens."""
    low, high, per_output = _EFFORT_TOKENS.get(effort or "medium", _EFFORT_TOKENS["medium"])
    if high == 0:
        return 0
    spent = rng.randint(low, high) + per_output * max(0, output_tokens)
    return max(64, round(spent / 64) * 64)


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

"""max_output_tokens: reasoning and visible output within the budget, as a real model stops.

Real usage never reports more output tokens than max_output_tokens. Reasoning comes first:
a model that reasons past the budget stops with its reasoning item and nothing after it. A
count the scenario scripted is kept unless the budget cannot hold it; a generated
(plausible) count shrinks so that the answer written after it still fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mockserver.openai import tokens
from mockserver.openai.usage import REASONING_STEP, output_tokens


@dataclass(frozen=True)
class Fitted:
    """The output and reasoning count that fit, and whether anything had to be cut."""

    output: list[dict[str, Any]]
    reasoning_tokens: int
    cut: bool


def fit(
    output: list[dict[str, Any]], budget: int | None, reasoning: int = 0, scripted: bool = True
) -> Fitted:
    """What a model with `budget` output tokens writes of `output` after `reasoning` tokens.

    scripted: the reasoning count was given (kept up to the whole budget); else it is a
    plausible guess that yields (in steps of 64) to the visible output.
    """
    if budget is None:
        return Fitted(output, reasoning, False)
    if not scripted:
        room = max(0, budget - output_tokens(output))
        reasoning = min(reasoning, room // REASONING_STEP * REASONING_STEP)
    reasoning = min(reasoning, budget)
    kept, cut = _visible_within(output, budget - reasoning)
    return Fitted(kept, reasoning, cut)


def _visible_within(output: list[dict[str, Any]], budget: int) -> tuple[list[dict[str, Any]], bool]:
    kept: list[dict[str, Any]] = []
    left = budget
    for item in output:
        cost = output_tokens([item])  # a reasoning item costs 0: its tokens are reasoning
        if cost <= left:
            kept.append(item)
            left -= cost
            continue
        if left > 0:
            kept.append(_truncate(item, left))
        return kept, True
    return kept, False


def _truncate(item: dict[str, Any], allowed: int) -> dict[str, Any]:
    item = {**item, "status": "incomplete"}
    if item.get("type") == "message":
        item["content"] = [_truncate_part(p, allowed) for p in item["content"]]
    elif item.get("type") == "function_call":  # a call costs 2 tokens over its arguments
        item["arguments"] = "".join(tokens.split(item["arguments"])[: max(0, allowed - 2)])
    return item


def _truncate_part(part: dict[str, Any], allowed: int) -> dict[str, Any]:
    key = "text" if part.get("type") == "output_text" else "refusal"
    cut = "".join(tokens.split(part.get(key, ""))[:allowed])
    part = {**part, key: cut}
    if part.get("logprobs"):
        part["logprobs"] = part["logprobs"][:allowed]
    return part

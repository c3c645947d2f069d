"""max_output_tokens: cut the output where the budget runs out, as a real model stops mid-text."""

from __future__ import annotations

from typing import Any

from mockserver.openai import tokens
from mockserver.openai.usage import output_tokens


def fit(output: list[dict[str, Any]], budget: int | None) -> tuple[list[dict[str, Any]], bool]:
    """The output that fits in budget tokens, and whether anything had to be cut."""
    if budget is None:
        return output, False
    kept: list[dict[str, Any]] = []
    left = budget
    for item in output:
        cost = output_tokens([item])
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
    elif item.get("type") == "function_call":
        item["arguments"] = "".join(tokens.split(item["arguments"])[:allowed])
    return item


def _truncate_part(part: dict[str, Any], allowed: int) -> dict[str, Any]:
    key = "text" if part.get("type") == "output_text" else "refusal"
    cut = "".join(tokens.split(part.get(key, ""))[:allowed])
    part = {**part, key: cut}
    if part.get("logprobs"):
        part["logprobs"] = part["logprobs"][:allowed]
    return part

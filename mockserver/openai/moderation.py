"""Response.moderation: the results a request's `moderation` asks for, shaped as real traffic.

Real bodies carry one `moderation_result` for the input and one for the output, each with the
13 omni-moderation categories (never flagged here: the mock's texts are benign) and small
scores. Scores are drawn from a random source seeded by the text, so the same text always
scores the same.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Mapping
from typing import Any

CATEGORIES = (
    "harassment", "harassment/threatening", "hate", "hate/threatening", "illicit",
    "illicit/violent", "self-harm", "self-harm/instructions", "self-harm/intent", "sexual",
    "sexual/minors", "violence", "violence/graphic",
)  # fmt: skip
DEFAULT_MODEL = "omni-moderation-latest"


def moderation_results(asked: Any, input_text: str, output_text: str) -> dict[str, Any] | None:
    """Response.moderation for the request's `moderation` parameter (None when not asked)."""
    if not isinstance(asked, Mapping):
        return None
    model = asked.get("model")
    name = model if isinstance(model, str) and model else DEFAULT_MODEL
    return {"input": _result(name, input_text), "output": _result(name, output_text)}


def _result(model: str, text: str) -> dict[str, Any]:
    rng = random.Random(zlib.crc32(text.encode("utf-8")))
    return {
        "type": "moderation_result",
        "model": model,
        "flagged": False,
        "categories": dict.fromkeys(CATEGORIES, False),
        "category_scores": {c: 10 ** rng.uniform(-7.0, -3.0) for c in CATEGORIES},
        "category_applied_input_types": {c: ["text"] for c in CATEGORIES},
    }

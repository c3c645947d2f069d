"""Plausible, deterministic per-token logprobs (include message.output_text.logprobs).

Tokens are the real o200k_base pieces of the text. Most tokens are chosen with high confidence
(logprob near 0), a few are not; each gets `top_logprobs` alternatives whose probabilities,
with the chosen token's, never add up to more than 1. Everything is drawn from one seeded
random source, so the same seed gives the same numbers.
"""

from __future__ import annotations

import math
import random
from typing import Any

from mockserver.openai import tokens

MAX_TOP_LOGPROBS = 20
# Alternatives every token can have: frequent English tokens and punctuation.
_COMMON = (
    " the", " a", " and", " of", " to", " in", " is", " that", " it", " for", " on", " with",
    " as", " this", " be", " are", " was", " by", " an", " or", " not", " can", ",", ".", ":",
    "!", "?", "\n", "\n\n", " I", " you", " we", " they", " but", " so", " more", " also",
)  # fmt: skip


def logprobs_for(text: str, top_n: int, rng: random.Random) -> list[dict[str, Any]]:
    """The spec's LogProb list for `text`: one entry per token, `top_n` alternatives each."""
    top_n = max(0, min(MAX_TOP_LOGPROBS, top_n))
    # One draw from the caller's source seeds a private one: how many numbers the text needs
    # does not shift what the caller draws next.
    sub = random.Random(rng.getrandbits(64))
    return [_token_logprob(piece, top_n, sub) for piece in tokens.split(text)]


def _token_logprob(piece: str, top_n: int, rng: random.Random) -> dict[str, Any]:
    # A high power of a uniform draw puts about two thirds of the tokens above -0.1 (near
    # certainty) and one in six below -1, roughly what real completions show.
    chosen = -(1e-6 + 10.0 * rng.random() ** 12)
    return {
        "token": piece,
        "logprob": round(chosen, 8),
        "bytes": list(piece.encode("utf-8")),
        "top_logprobs": _alternatives(piece, chosen, top_n, rng),
    }


def _alternatives(
    piece: str, chosen: float, top_n: int, rng: random.Random
) -> list[dict[str, Any]]:
    if top_n == 0:
        return []
    pool = [t for t in dict.fromkeys((*_variants(piece), *_COMMON)) if t != piece]
    others = rng.sample(pool, top_n - 1)
    remaining = 1.0 - math.exp(chosen)
    entries = [(piece, chosen)]
    for token in others:
        share = remaining * rng.uniform(0.3, 0.7)  # each alternative takes part of what is left
        remaining -= share
        entries.append((token, math.log(max(share, 1e-12))))
    entries.sort(key=lambda e: -e[1])
    return [
        {"token": t, "logprob": round(lp, 8), "bytes": list(t.encode("utf-8"))} for t, lp in entries
    ]


def _variants(piece: str) -> list[str]:
    """Near misses of a token: other case, with or without its leading space."""
    core = piece.strip()
    if not core:
        return []
    forms = [core, " " + core, core.lower(), " " + core.lower(), core.capitalize()]
    return [f for f in forms if f]

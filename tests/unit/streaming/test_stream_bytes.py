"""The bytes of streams, pinned: frames (with and without obfuscation, padding drawn from the
stream's generator) and offsets (with jitter, which draws after the padding) of a thousand
streams hash to a fixed digest. Making framing, padding or pacing cheaper must not change a
byte (a client's recorded streams, the suite's determinism depend on them)."""

from __future__ import annotations

import hashlib
import random
from typing import Any

from streamcases import CASES

from mockserver.http import sse
from mockserver.openai.chunking import Chunking
from mockserver.openai.events import StreamOptions, render_events
from mockserver.streaming.schedule import Pacing, schedule

# Escapes, non-ASCII, a %-format, a long word: what framing treats apart.
_WORDS = ("the", "quick", "é", "👋", '"q"', "a\\b", "tab\t", "line\n", "%d", "\u2028", "x" * 30)
_PACINGS = (
    Pacing(),
    Pacing(jitter_ms=5.0, interval_ms=3.0),
    Pacing(jitter_ms=8.0, interval_ms=2.0, jitter="lognormal", ttft_ms=40.0),
)


def _responses() -> list[dict[str, Any]]:
    responses = list(CASES.values())
    words, base = random.Random(11), CASES["message"]
    message, part = base["output"][0], base["output"][0]["content"][0]
    for _ in range(30):
        text = " ".join(words.choice(_WORDS) for _ in range(words.randint(0, 80)))
        responses.append({**base, "output": [{**message, "content": [{**part, "text": text}]}]})
    return responses


def _digest() -> tuple[int, str]:
    """How many streams, and the digest of their frames and offsets."""
    digest, streams = hashlib.sha256(), 0
    for k, response in enumerate(_responses()):
        for mode in ("word", "char", "token", "fixed"):
            for background in (False, True):
                for pacing in _PACINGS:
                    rng = random.Random(k)
                    options = StreamOptions(
                        chunking=Chunking(mode=mode, size=5), background=background
                    )
                    rendered = render_events(response, rng, options, settle=pacing.draws)
                    for obfuscation in (True, False):
                        digest.update(
                            b"".join(sse.stream_frames(rendered.parts, obfuscation=obfuscation))
                        )
                    offsets = schedule(pacing, rendered.roles, rng, rendered.delta_texts)
                    digest.update(repr(offsets).encode())
                    streams += 1
    return streams, digest.hexdigest()


def test_frames_and_offsets_of_a_thousand_streams_are_pinned() -> None:
    assert _digest() == (1152, "86788b0a7ac2e034885bb654cf2444ac5b4d8f1566259ed19a767333c8947f1a")

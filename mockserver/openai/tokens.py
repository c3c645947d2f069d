"""Token counting and splitting with the real o200k_base encoding (offline, via bpe-openai).

The encoding is loaded on first use (or warmed in the background at startup) rather than at
import. `bpe_backend` loads bpe-openai's Rust tokenizer alone (~0.05 s): the package's own
import decodes three vocabularies in Python first (~0.9 s), which held back the first answer.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from mockserver.openai import bpe_backend

_lock = threading.Lock()
_loaded: list[Any] = []  # the encoding, once loaded (a list: no `global` needed)


def _encoding() -> Any:
    if _loaded:
        return _loaded[0]
    with _lock:
        if not _loaded:  # the warm-up thread and a first request may race here
            _loaded.append(bpe_backend.load("o200k_base"))
    return _loaded[0]


def warm() -> None:
    """Load the encoding now (call from a thread at startup)."""
    _encoding()


# bpe-openai refuses a text of 1M characters or 200k tokens in one call; longer texts are
# encoded in pieces cut before a space, where the pre-tokenizer would cut anyway.
_PIECE_CHARS = 100_000


def _encode(text: str) -> list[int]:
    enc = _encoding()
    ids: list[int] = []
    start = 0
    while len(text) - start > _PIECE_CHARS:
        cut = text.rfind(" ", start + 1, start + _PIECE_CHARS)
        cut = cut if cut > start else start + _PIECE_CHARS
        ids += enc.encode(bpe_backend.sanitized(text[start:cut]))
        start = cut
    # The backend knows no special tokens: "<|endoftext|>" in user text is plain text.
    tail: list[int] = enc.encode(bpe_backend.sanitized(text[start:]))
    return ids + tail


# Counting is the costliest step of rendering a small answer (~5 us a text), and the same
# texts come back: a scripted reply, the instructions and tool schemas sent on every turn,
# the whole history of a conversation counted again at each turn, the words of deltas paced
# by tokens_per_second. Short texts are cached (at most ~8 MB: 2,048 x 4,096 characters;
# the oldest goes first).
_CACHE_MAX_CHARS = 4096
_CACHE_MAX_TEXTS = 2048
_counts: dict[str, int] = {}

# The cached count of text, or None: a lookup without a Python call for the hot path
# (`tokens.known(text) or tokens.count(text)` is `count(text)`).
known = _counts.get


def count(text: str) -> int:
    """Number of o200k_base tokens in text."""
    if not text:
        return 0
    cached = _counts.get(text)
    if cached is not None:
        return cached
    counted = len(_encode(text))
    if len(text) <= _CACHE_MAX_CHARS:
        with _lock:  # servers on other threads (the test harness's) share the cache
            if len(_counts) >= _CACHE_MAX_TEXTS:
                del _counts[next(iter(_counts))]
            _counts[text] = counted
    return counted


def split(text: str) -> list[str]:
    """Text cut at token boundaries; the pieces join back to text exactly."""
    if not text:
        return []
    enc = _encoding()
    pieces: list[str] = []
    pending: list[int] = []
    for tok in _encode(text):
        pending.append(tok)
        piece = bpe_backend.decoded(enc, pending)
        # A multi-byte character can span tokens: wait until the bytes decode cleanly.
        if piece is not None and "\ufffd" not in piece:
            pieces.append(piece)
            pending = []
    if pending:  # text's own U+FFFD characters, or (never for valid text) a cut character
        pieces.append(bpe_backend.decoded(enc, pending) or "\ufffd")
    return pieces


def count_json(value: Any) -> int:
    """Tokens of a JSON value as the model would see it (compact serialisation)."""
    return count(json.dumps(value, separators=(",", ":"), ensure_ascii=False))

"""Token counting and splitting with the real o200k_base encoding (offline, via bpe-openai).

The encoding takes ~0.6 s to load, so it is loaded on first use (or warmed in the background
at startup) rather than at import: the server must start in well under a second.
"""

from __future__ import annotations

import functools
import json
import threading
import warnings
from typing import Any

_lock = threading.Lock()


@functools.cache
def _encoding() -> Any:
    with _lock, warnings.catch_warnings():
        # bpe-openai reads its data with a deprecated importlib.resources call.
        warnings.simplefilter("ignore", DeprecationWarning)
        import bpe_openai

        return bpe_openai.get_encoding("o200k_base")


def warm() -> None:
    """Load the encoding now (call from a thread at startup)."""
    _encoding()


def count(text: str) -> int:
    """Number of o200k_base tokens in text."""
    if not text:
        return 0
    return len(_encoding().encode(text))


def split(text: str) -> list[str]:
    """Text cut at token boundaries; the pieces join back to text exactly."""
    if not text:
        return []
    enc = _encoding()
    pieces: list[str] = []
    pending: list[int] = []
    for tok in enc.encode(text):
        pending.append(tok)
        piece = enc.decode(pending)
        # A multi-byte character can span tokens: wait until the bytes decode cleanly.
        if "\ufffd" not in piece:
            pieces.append(piece)
            pending = []
    if pending:
        pieces.append(enc.decode(pending))
    return pieces


def count_json(value: Any) -> int:
    """Tokens of a JSON value as the model would see it (compact serialisation)."""
    return count(json.dumps(value, separators=(",", ":"), ensure_ascii=False))

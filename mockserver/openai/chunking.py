"""Cutting a text (message, refusal, reasoning, function-call arguments) into stream deltas.

Every mode returns pieces that join back to the text exactly: a client that concatenates
the deltas must end up with the text of the `.done` event and of the final Response.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from mockserver.openai import tokens

ChunkMode = Literal["word", "char", "token", "sentence", "fixed", "none"]
CHUNK_MODES: tuple[str, ...] = ("word", "char", "token", "sentence", "fixed", "none")

# A word delta carries its leading whitespace, as real token deltas do (" simulation").
_WORD = re.compile(r"\s*\S+")
# A sentence ends after a run of terminators followed by whitespace, or after a line break.
_SENTENCE_END = re.compile(r"[.!?…]+(?=\s)|\n+")


@dataclass(frozen=True)
class Chunking:
    """How texts are cut: a mode, the size for `fixed`, and optional explicit chunks.

    Explicit chunks are scripted for one particular text: they are used for a text they
    join to exactly, and any other text of the same answer (a second message, tool-call
    arguments) falls back to its mode. Function-call arguments have their own mode
    (`arguments`): JSON has few spaces, so word chunks would send an object in one delta,
    where real traffic streams it token by token (about 13 deltas for a short object).
    """

    mode: ChunkMode = "word"
    size: int = 8
    explicit: tuple[str, ...] = ()
    arguments: ChunkMode = "token"

    def __post_init__(self) -> None:
        for mode in (self.mode, self.arguments):
            if mode not in CHUNK_MODES:
                allowed = ", ".join(CHUNK_MODES)
                raise ValueError(f"{mode!r} is not a valid chunk mode. Valid modes are: {allowed}")
        if self.size < 1:
            raise ValueError(f"chunk size must be at least 1, got {self.size}")

    def cut(self, text: str) -> tuple[str, ...]:
        """The deltas for text (none for an empty text): the same tuple each time for a
        short text (the stream's pads and frames keep what they derive from it by that
        tuple)."""
        if not text:
            return ()
        if self.explicit and "".join(self.explicit) == text:
            return tuple(c for c in self.explicit if c)
        return _split(self.mode, self.size, text)

    def cut_arguments(self, text: str) -> tuple[str, ...]:
        """The deltas for function-call arguments (none for empty arguments), as `cut`."""
        if self.explicit and "".join(self.explicit) == text:
            return self.cut(text)
        return _split(self.arguments, self.size, text) if text else ()


def _split(mode: ChunkMode, size: int, text: str) -> tuple[str, ...]:
    """The pieces of `text` in `mode`; a short text is cut once (a scripted reply comes back
    with every request that matches its rule)."""
    if len(text) > _CACHED_CHARS:
        return tuple(_SPLITTERS[mode](text, size))
    return _split_short(mode, size, text)


_CACHED_CHARS = 2048  # bounded: 64 texts of at most 2k characters (~7 MB cut by `char`)


@functools.lru_cache(maxsize=64)
def _split_short(mode: ChunkMode, size: int, text: str) -> tuple[str, ...]:
    return tuple(_SPLITTERS[mode](text, size))


def split_words(text: str, _size: int = 0) -> list[str]:
    pieces = _WORD.findall(text)
    if not pieces:  # only whitespace
        return [text]
    tail = len(text) - sum(map(len, pieces))
    if tail:  # trailing whitespace stays with the last word
        pieces[-1] += text[-tail:]
    return pieces


def split_sentences(text: str, _size: int = 0) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() > start:
            pieces.append(text[start : match.end()])
            start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def split_fixed(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


_SPLITTERS: dict[str, Callable[[str, int], list[str]]] = {
    "word": split_words,
    "char": lambda text, _size: list(text),
    "token": lambda text, _size: tokens.split(text),
    "sentence": split_sentences,
    "fixed": split_fixed,
    "none": lambda text, _size: [text],
}

"""The tokenizer loaded alone (bpe_backend) counts and splits exactly as bpe-openai's Encoding."""

from __future__ import annotations

import random
import warnings
from typing import Any

import pytest

from mockserver.openai import tokens

TEXTS = [
    "Hello, world!",
    "héllo wörld 日本語テキスト 🎉🎉 emoji",
    "<|endoftext|> is plain text here",
    "lone surrogate x\ud800y and a pair \ud83d\ude00",
    "its own replacement characters \ufffd\ufffd stay",
    "",
]


def random_texts(n: int) -> list[str]:
    rng = random.Random(3)
    ranges = [(32, 126), (0x80, 0x7FF), (0x800, 0xD7FF), (0x1F300, 0x1F64F)]
    return [
        "".join(chr(rng.randint(*rng.choice(ranges))) for _ in range(rng.randint(1, 60)))
        for _ in range(n)
    ]


@pytest.fixture(scope="module")
def reference() -> Any:  # the package's own Encoding, as tokens.py used it before
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import bpe_openai

        return bpe_openai.get_encoding("o200k_base")


def reference_split(enc: Any, text: str) -> list[str]:
    pieces, pending = [], []
    for tok in enc.encode(text, disallowed_special=()):
        pending.append(tok)
        piece = enc.decode(pending)
        if "\ufffd" not in piece:
            pieces.append(piece)
            pending = []
    if pending:
        pieces.append(enc.decode(pending))
    return pieces


def test_same_counts_and_splits_as_the_encoding(reference: Any) -> None:
    for text in TEXTS + random_texts(300):
        assert tokens.count(text) == len(reference.encode(text, disallowed_special=())), text
        assert tokens.split(text) == reference_split(reference, text), text


def test_split_joins_back_to_the_text() -> None:
    for text in random_texts(100):
        assert "".join(tokens.split(text)) == text

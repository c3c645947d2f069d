"""Per-token logprobs: real tokens, consistent probabilities, deterministic, spec-shaped."""

from __future__ import annotations

import math
import random

import pytest
from specschema import validate

from mockserver.catalog import logprobs_for
from mockserver.openai import tokens

TEXT = "Hello, world! Ünïcode and 日本語 text, twice: Hello, world!"


def test_one_entry_per_real_token_with_its_bytes() -> None:
    logprobs = logprobs_for(TEXT, 3, random.Random(1))
    assert [lp["token"] for lp in logprobs] == tokens.split(TEXT)
    assert "".join(lp["token"] for lp in logprobs) == TEXT
    for lp in logprobs:
        assert bytes(lp["bytes"]).decode("utf-8") == lp["token"]
        assert lp["logprob"] < 0


@pytest.mark.parametrize("top_n", [0, 1, 5, 20])
def test_alternatives_are_distinct_sorted_and_sum_below_one(top_n: int) -> None:
    for lp in logprobs_for(TEXT, top_n, random.Random(top_n)):
        alts = lp["top_logprobs"]
        assert len(alts) == top_n
        assert len({a["token"] for a in alts}) == top_n
        assert [a["logprob"] for a in alts] == sorted((a["logprob"] for a in alts), reverse=True)
        if top_n:
            assert lp["token"] in {a["token"] for a in alts}  # the chosen token is listed
        assert sum(math.exp(a["logprob"]) for a in alts) <= 1.0 + 1e-9


def test_top_n_is_clamped_to_the_api_range() -> None:
    assert all(len(lp["top_logprobs"]) == 20 for lp in logprobs_for("a b", 99, random.Random()))
    assert all(lp["top_logprobs"] == [] for lp in logprobs_for("a b", -1, random.Random()))


def test_mostly_confident_like_real_text() -> None:
    text = "The quick brown fox jumps over the lazy dog. " * 50
    values = [lp["logprob"] for lp in logprobs_for(text, 0, random.Random(5))]
    confident = sum(v > -0.1 for v in values) / len(values)
    unsure = sum(v < -1 for v in values) / len(values)
    assert 0.5 < confident < 0.85
    assert 0.05 < unsure < 0.3


def test_deterministic_and_one_draw_from_the_caller() -> None:
    a, b = random.Random(42), random.Random(42)
    assert logprobs_for(TEXT, 5, a) == logprobs_for(TEXT, 5, b)
    assert a.random() == b.random()
    short, long = random.Random(42), random.Random(42)
    logprobs_for("x", 5, short)
    logprobs_for(TEXT * 10, 5, long)
    assert short.random() == long.random()  # the text's length does not shift the caller


def test_output_text_with_logprobs_is_the_specs() -> None:
    part = {
        "type": "output_text",
        "text": TEXT,
        "annotations": [],
        "logprobs": logprobs_for(TEXT, 4, random.Random(3)),
    }
    validate(part, "OutputTextContent")


def test_empty_text_has_no_logprobs() -> None:
    assert logprobs_for("", 5, random.Random()) == []

from __future__ import annotations

import pytest

from mockserver.openai.chunking import CHUNK_MODES, Chunking

TEXTS = [
    "Hello there, how can I help you today?",
    "  leading and trailing spaces  ",
    "Line one.\nLine two!  Third? Yes… done",
    "Il fait 12 °C à Paris 👋🏽 — ça va ?",
    '{"city":"Paris","unit":"celsius"}',
    "x",
    "   ",
]


@pytest.mark.parametrize("mode", CHUNK_MODES)
@pytest.mark.parametrize("text", TEXTS, ids=range(len(TEXTS)))
def test_every_mode_joins_back_to_the_text(mode: str, text: str) -> None:
    chunks = Chunking(mode=mode, size=3).cut(text)  # type: ignore[arg-type]
    assert "".join(chunks) == text
    assert all(chunks), "no empty deltas"


@pytest.mark.parametrize("mode", CHUNK_MODES)
def test_empty_text_has_no_chunks(mode: str) -> None:
    assert Chunking(mode=mode).cut("") == ()  # type: ignore[arg-type]


def test_word_chunks_carry_their_leading_space_like_real_tokens() -> None:
    assert Chunking("word").cut("Hello there,  world ") == ("Hello", " there,", "  world ")


def test_char_chunks() -> None:
    assert Chunking("char").cut("à👋b") == ("à", "👋", "b")


def test_fixed_size_chunks() -> None:
    assert Chunking("fixed", size=4).cut("abcdefghij") == ("abcd", "efgh", "ij")


def test_sentence_chunks() -> None:
    text = "One. Two?! Three…\nFour e.g.x five"
    assert Chunking("sentence").cut(text) == (
        "One.",
        " Two?!",
        " Three…",
        "\n",
        "Four e.g.x five",
    )


def test_token_chunks_follow_the_o200k_encoding() -> None:
    assert Chunking("token").cut("Hello, world!") == ("Hello", ",", " world", "!")


def test_none_sends_the_whole_text_at_once() -> None:
    assert Chunking("none").cut("a b c") == ("a b c",)


def test_explicit_chunks_are_used_for_the_text_they_join_to() -> None:
    chunking = Chunking("word", explicit=("He", "llo", "", " you"))
    assert chunking.cut("Hello you") == ("He", "llo", " you")


def test_other_texts_fall_back_to_the_mode() -> None:
    chunking = Chunking("char", explicit=("He", "llo"))
    assert chunking.cut('{"a":1}') == tuple('{"a":1}')


def test_invalid_mode_names_the_valid_ones() -> None:
    with pytest.raises(
        ValueError, match=r"'words' is not a valid chunk mode. Valid modes are: word"
    ):
        Chunking(mode="words")  # type: ignore[arg-type]


def test_invalid_size() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Chunking("fixed", size=0)


def test_short_texts_are_cut_once_into_one_tuple() -> None:
    chunking = Chunking("word")
    short, long = "one two three", " ".join(["word"] * 1000)
    first, second = chunking.cut(short), chunking.cut(short)
    assert first == second == ("one", " two", " three") and first is second
    assert "".join(chunking.cut(long)) == long  # past the cached size: cut every time

"""The zero-config content stream: keyed by the seed and what the request asks, cheaply.

Same seed and same request give the same numbers (in any order of requests); another request
or another seed gives others; fields that only change delivery (stream, store...) do not
count; without a seed the tenant's stream is used. (Moved here from tests/unit/api.)
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import time
from typing import Any

import orjson
import pytest

from mockserver.zeroconfig import generate


def _stream(seed: int | None, fallback: random.Random, body: dict[str, Any]) -> random.Random:
    return generate.ContentStream(seed, fallback, body)


def _expected_bytes(key: bytes, n: int) -> bytes:
    """BLAKE2b-512 in counter mode: block i is the hash of i (8 bytes, little-endian) under key."""
    blocks = b"".join(
        hashlib.blake2b(i.to_bytes(8, "little"), key=key).digest() for i in range(n // 64 + 1)
    )
    return blocks[:n]


def test_canonical_content_is_orjson_sorted_compact() -> None:
    body = {"model": "m", "input": [{"b": 1.5e-7, "a": "é\n"}], "z": 10**18, "stream": True}
    canonical = orjson.dumps(
        {k: v for k, v in body.items() if k != "stream"}, option=orjson.OPT_SORT_KEYS
    )
    assert (
        canonical
        == b'{"input":[{"a":"\xc3\xa9\\n","b":1.5e-7}],"model":"m","z":1000000000000000000}'
    )
    key = hashlib.blake2b(b"7:" + canonical, digest_size=32).digest()
    assert generate.content_key(7, body) == key
    assert _stream(7, random.Random(0), body).randbytes(200) == _expected_bytes(key, 200)


def test_what_orjson_refuses_is_json_dumps_sorted_compact() -> None:
    body = {"model": "m", "input": [{"b": 1.5e-7, "a": "é\n"}], "z": 10**30, "stream": True}
    content = {k: v for k, v in body.items() if k != "stream"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    key = hashlib.blake2b(b"7:" + canonical.encode(), digest_size=32).digest()
    assert generate.content_key(7, body) == key


def test_same_request_same_numbers_other_request_or_seed_others() -> None:
    body = {"model": "gpt-4o", "input": [{"role": "user", "content": "hi"}], "temperature": 0.5}
    first = _stream(7, random.Random(0), body).random()
    reordered = dict(reversed(list(body.items())))
    assert _stream(7, random.Random(1), reordered).random() == first
    delivered = {**body, "stream": True, "store": False, "metadata": {"k": "v"}}
    assert _stream(7, random.Random(2), delivered).random() == first
    assert _stream(8, random.Random(0), body).random() != first
    other = {**body, "input": [{"role": "user", "content": "hi!"}]}
    assert _stream(7, random.Random(0), other).random() != first


def test_without_a_seed_the_tenant_stream_is_used() -> None:
    tenant = random.Random(3)
    drawn = _stream(None, tenant, {"model": "m"}).randbytes(100)
    reference = random.Random(3)
    key = reference.getrandbits(64).to_bytes(8, "little")
    assert drawn == _expected_bytes(key, 100)
    assert tenant.getstate() == reference.getstate()  # one 64-bit draw of the tenant's stream


def test_the_stream_is_read_in_order_whatever_the_draws() -> None:
    body = {"model": "m", "input": "x"}
    whole = _stream(7, random.Random(0), body).randbytes(300)
    rng = _stream(7, random.Random(0), body)
    parts = [rng.randbytes(n) for n in (1, 63, 64, 0, 100, 72)]
    assert b"".join(parts) == whole
    rng = _stream(7, random.Random(0), body)
    assert rng.getrandbits(12) == int.from_bytes(whole[:2], "little") >> 4
    assert rng.random() == (int.from_bytes(whole[2:9], "little") >> 3) * 2.0**-53
    assert rng.getrandbits(0) == 0
    with pytest.raises(ValueError):
        rng.getrandbits(-1)


def test_the_content_key_is_digested_once_and_only_when_drawn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    digest = generate.content_key

    def counted(seed: int, body: dict[str, Any]) -> bytes:
        calls.append(seed)
        return digest(seed, body)

    monkeypatch.setattr(generate, "content_key", counted)
    rng = _stream(7, random.Random(0), {"model": "m"})
    assert calls == []
    rng.random()
    rng.randbytes(200)
    assert calls == [7]


def test_random_methods_read_the_stream() -> None:
    rng = _stream(7, random.Random(0), {"model": "m"})
    values = [rng.randint(1, 6) for _ in range(300)]
    assert set(values) == {1, 2, 3, 4, 5, 6}
    assert 0 <= rng.random() < 1
    assert sorted(rng.sample(range(10), 10)) == list(range(10))
    again = _stream(7, random.Random(5), {"model": "m"})
    assert [again.randint(1, 6) for _ in range(300)] == values


class _ReadsBytes(random.Random):
    """A random.Random subclass drawing from given bytes as ContentStream draws from its own."""

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self.data, self.at = data, 0

    def getrandbits(self, k: int, /) -> int:
        size = (k + 7) // 8
        chunk, self.at = self.data[self.at : self.at + size], self.at + size
        return int.from_bytes(chunk, "little") >> (8 * size - k)

    def random(self) -> float:
        return (self.getrandbits(56) >> 3) * 2.0**-53


def test_every_method_of_random_draws_as_a_random_subclass_would() -> None:
    """ContentStream is not a random.Random (whose C base allocates a Mersenne Twister): it
    has each of its methods, and they give the same results from the same bytes."""
    body = {"model": "m"}
    whole = _stream(7, random.Random(0), body).randbytes(20_000)
    methods = [n for n in dir(random.Random) if callable(getattr(random.Random, n))]
    rng = _stream(7, random.Random(0), body)
    assert [n for n in methods if not n.startswith("__") and not hasattr(rng, n)] == []

    def draws(rng: random.Random) -> list[Any]:
        deck = list(range(20))
        rng.shuffle(deck)
        return [
            [rng.randint(1, 6) for _ in range(50)], rng.randrange(10**30), rng.randrange(3, 99, 4),
            rng.choice("abcdef"), deck, rng.sample(range(1000), 5),
            rng.choices("xyz", [1, 2, 3], k=8), rng.uniform(-1, 1), rng.triangular(0, 9, 2),
            rng.normalvariate(0, 1), rng.gauss(0, 1), rng.gauss(0, 1), rng.gauss(5, 2),
            rng.lognormvariate(0, 1), rng.expovariate(2), rng.vonmisesvariate(1, 2),
            rng.gammavariate(0.5, 1), rng.gammavariate(3, 1), rng.betavariate(2, 3),
            rng.paretovariate(2), rng.weibullvariate(1, 2), rng.getrandbits(100),
            rng.random(), rng.randbytes(5),
        ]  # fmt: skip

    assert draws(_stream(7, random.Random(0), body)) == draws(_ReadsBytes(whole))
    assert not isinstance(_stream(7, random.Random(0), body), random.Random)


def test_a_copy_continues_where_the_original_is() -> None:
    rng = _stream(7, random.Random(0), {"model": "m"})
    assert copy.deepcopy(rng).randbytes(70) == rng.randbytes(70)
    twin = copy.deepcopy(rng)
    assert twin.randbytes(90) == rng.randbytes(90)
    with pytest.raises(TypeError):
        rng.seed(1)


def test_dates_do_not_depend_on_the_clock() -> None:
    schema = {
        "type": "object",
        "properties": {k: {"type": "string", "format": k} for k in ("date-time", "date", "time")},
    }
    first = generate.json_for_schema(schema, random.Random(1))
    time.sleep(0.002)  # faker's default range ends now: it moved by 2 ms
    assert generate.json_for_schema(schema, random.Random(1)) == first


def test_lorem_text_is_sentences_shaped_as_fakers_from_its_words() -> None:
    # Not faker's `sentences` draw for draw any more (two randbytes draws instead of a second
    # Mersenne Twister and a draw per word): its word list, lengths and shape.
    words = set(generate._faker().get_words_list())
    counts, lengths = set(), set()
    for seed in range(300):
        text = generate.lorem_text(random.Random(seed), 2, 6)
        assert text.endswith(".")
        sentences = text[:-1].split(". ")
        counts.add(len(sentences))
        for sentence in sentences:
            assert sentence[0].isupper()
            picked = sentence.split(" ")
            lengths.add(len(picked))
            assert {picked[0].lower(), *picked[1:]} <= {w.lower() for w in words} | words
    assert counts == {2, 3, 4, 5, 6}
    assert lengths == {3, 4, 5, 6, 7, 8}
    assert generate.lorem_text(random.Random(0), 1, 1).count(".") == 1


def test_zero_config_text_depends_on_the_stream_only() -> None:
    from mockserver.openai.request import parse_request

    req = parse_request({"model": "gpt-4o", "input": "hi"}, strict=False)
    first = generate.answer_text(req, random.Random(5))
    assert generate.answer_text(req, random.Random(5)) == first
    assert generate.answer_text(req, random.Random(6)) != first
    body = {"model": "gpt-4o", "input": "hi"}
    one = generate.answer_text(req, _stream(7, random.Random(0), body))
    again = generate.answer_text(req, _stream(7, random.Random(1), dict(body)))
    other = generate.answer_text(req, _stream(7, random.Random(0), {**body, "x": 1}))
    assert one == again != other

"""The zero-config content stream: seeded from the seed and what the request asks, cheaply.

Same seed and same request give the same numbers (in any order of requests); another request
or another seed gives others; fields that only change delivery (stream, store...) do not
count; without a seed the tenant's stream is used. (Moved here from tests/unit/api.)
"""

from __future__ import annotations

import hashlib
import json
import random
import time

import orjson

from mockserver.zeroconfig import generate


def _expected(seed: int, canonical: bytes) -> float:
    digest = hashlib.sha256(b"%d:%b" % (seed, canonical)).digest()
    return random.Random(int.from_bytes(digest[:16], "big")).random()


def test_canonical_content_is_orjson_sorted_compact() -> None:
    body = {"model": "m", "input": [{"b": 1.5e-7, "a": "é\n"}], "z": 10**18, "stream": True}
    canonical = orjson.dumps(
        {k: v for k, v in body.items() if k != "stream"}, option=orjson.OPT_SORT_KEYS
    )
    assert (
        canonical
        == b'{"input":[{"a":"\xc3\xa9\\n","b":1.5e-7}],"model":"m","z":1000000000000000000}'
    )
    assert generate.content_rng(7, random.Random(0), body).random() == _expected(7, canonical)


def test_what_orjson_refuses_is_json_dumps_sorted_compact() -> None:
    body = {"model": "m", "input": [{"b": 1.5e-7, "a": "é\n"}], "z": 10**30, "stream": True}
    content = {k: v for k, v in body.items() if k != "stream"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    expected = _expected(7, canonical.encode())
    assert generate.content_rng(7, random.Random(0), body).random() == expected


def test_same_request_same_numbers_other_request_or_seed_others() -> None:
    body = {"model": "gpt-4o", "input": [{"role": "user", "content": "hi"}], "temperature": 0.5}
    first = generate.content_rng(7, random.Random(0), body).random()
    reordered = dict(reversed(list(body.items())))
    assert generate.content_rng(7, random.Random(1), reordered).random() == first
    delivered = {**body, "stream": True, "store": False, "metadata": {"k": "v"}}
    assert generate.content_rng(7, random.Random(2), delivered).random() == first
    assert generate.content_rng(8, random.Random(0), body).random() != first
    other = {**body, "input": [{"role": "user", "content": "hi!"}]}
    assert generate.content_rng(7, random.Random(0), other).random() != first


def test_without_a_seed_the_tenant_stream_is_used() -> None:
    tenant = random.Random(3)
    drawn = generate.content_rng(None, tenant, {"model": "m"}).random()
    assert drawn == random.Random(random.Random(3).getrandbits(64)).random()


def test_dates_do_not_depend_on_the_clock() -> None:
    schema = {
        "type": "object",
        "properties": {k: {"type": "string", "format": k} for k in ("date-time", "date", "time")},
    }
    first = generate.json_for_schema(schema, random.Random(1))
    time.sleep(0.002)  # faker's default range ends now: it moved by 2 ms
    assert generate.json_for_schema(schema, random.Random(1)) == first


def test_lorem_sentences_are_shaped_as_fakers_from_its_words() -> None:
    # Not faker's `sentences` draw for draw any more (one randbytes draw instead of a second
    # Mersenne Twister and a draw per word): its word list, lengths and shape.
    words = set(generate._faker().get_words_list())
    counts, lengths = set(), set()
    for seed in range(300):
        sentences = generate.lorem_sentences(random.Random(seed), 2, 6)
        counts.add(len(sentences))
        for sentence in sentences:
            assert sentence.endswith(".") and sentence[0].isupper()
            picked = sentence[:-1].split(" ")
            lengths.add(len(picked))
            assert {picked[0].lower(), *picked[1:]} <= {w.lower() for w in words} | words
    assert counts == {2, 3, 4, 5, 6}
    assert lengths == {3, 4, 5, 6, 7, 8}
    assert len(generate.lorem_sentences(random.Random(0), 1, 1)) == 1


def test_zero_config_text_depends_on_the_stream_only() -> None:
    from mockserver.openai.request import parse_request

    req = parse_request({"model": "gpt-4o", "input": "hi"}, strict=False)
    first = generate.answer_text(req, random.Random(5))
    assert generate.answer_text(req, random.Random(5)) == first
    assert generate.answer_text(req, random.Random(6)) != first
    body = {"model": "gpt-4o", "input": "hi"}
    one = generate.answer_text(req, generate.content_rng(7, random.Random(0), body))
    again = generate.answer_text(req, generate.content_rng(7, random.Random(1), dict(body)))
    other = generate.answer_text(req, generate.content_rng(7, random.Random(0), {**body, "x": 1}))
    assert one == again != other

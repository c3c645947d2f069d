"""parse_json_object's two ways (orjson first, the standard scanner for the rest) agree: the
same value, of the same types, or the same error, for every body."""

from __future__ import annotations

import json
import random
import struct
from typing import Any

import pytest

from mockserver.errors import InvalidRequest
from mockserver.http.body import _parse_standard, parse_json_object

BODIES = [
    b'{"model":"gpt-4o","input":"Say hello to the benchmark."}',
    b' \t\r\n{"a": [1, -2, 3.5, -0, -0.0, 1e-400, 1E2, 2.5e+3, true, false, null]} \n',
    b'{"a":1,"a":2,"b":{"a":3,"b":[],"c":{}}}',  # duplicate keys: the last value, first place
    b'{"s":"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00 \\n\\t\\"\\\\\\/"}',
    b'{"big":18446744073709551616}',  # past 64 bits: an int, not orjson's float
    b'{"big":-9223372036854775809,"n":9223372036854775807}',
    b'{"big":123456789012345678901234567890}',
    b'{"digits":"1234567890123456789012345","n":1}',
    b'{"n":1.7976931348623157e308,"m":5e-324,"k":0.1,"j":123456789.123456789}',
    # Refused: the error each gives must be the standard way's.
    b'{"a":1e999}',
    b'{"a":-1e400}',
    b'{"a":NaN}',
    b'{"a":Infinity}',
    b'{"a":-Infinity}',
    b'{"a":"\\ud800"}',
    b'{"a":"\\udc00x"}',
    b'{"a":1} x',
    b'{"a":1}\x00',
    b'\xef\xbb\xbf{"a":1}',
    b'{"a":"\xff"}',
    b'{"a":"\xed\xa0\x80"}',  # a surrogate encoded in UTF-8
    b'{"a":"line\nbreak"}',  # a raw control character in a string
    b"[1,2]",
    b'"text"',
    b"12",
    b"null",
    b"",
    b"   ",
    b"{",
    b'{"a":01}',
    b"{'a':1}",
    b'{"a":1,}',
    b"[" * 101 + b"]" * 101,
    b'{"a":' + b"[" * 101 + b"]" * 101 + b"}",
    b'{"a":[' + b"1," * 70_000 + b"1]}",
    b'{"a":[' + b"1," * 70_000 + b"1]" + b"\xff}",  # too many elements and not UTF-8
]


def _outcome(parse: Any, raw: bytes) -> tuple[str, Any]:
    try:
        value = parse(raw)
    except InvalidRequest as exc:
        return "error", (exc.status, exc.code, str(exc))
    return "value", (json.dumps(value), _types(value))


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__, repr(value)


@pytest.mark.parametrize("raw", BODIES, ids=range(len(BODIES)))
def test_both_ways_agree(raw: bytes) -> None:
    assert _outcome(parse_json_object, raw) == _outcome(_parse_standard, raw)


def test_both_ways_read_the_same_numbers() -> None:
    """Floats of every magnitude (random doubles written out shortest and at 17 digits) and
    integers up to 18 digits read to the same values, bit for bit."""
    rng = random.Random(12)
    for _ in range(3000):
        x = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        if x != x or x in (float("inf"), float("-inf")):
            continue
        n = rng.randrange(-(10**18) + 1, 10**18)
        raw = f'{{"r":{x!r},"p":{x:.17g},"e":{x:.6e},"n":{n}}}'.encode()
        assert _outcome(parse_json_object, raw) == _outcome(_parse_standard, raw), raw

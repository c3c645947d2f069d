"""Request bodies whose parsing cost the client controls are refused before they are parsed.

Each was a defect: a 5 MB body of nested brackets held the event loop 3.5 s and 100,000 input
items 6.2 s (every other client waited); `1e999` parsed to infinity and reached the journal
as a bare `Infinity` (not JSON).
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from typing import Any

import pytest
from aiohttp import ClientSession
from conftest import StartServer

from mockserver.config import Config
from mockserver.errors import InvalidRequest
from mockserver.http import body
from mockserver.http.body import MAX_DEPTH, MAX_ELEMENTS, check_shape, parse_json_object

MB = 1 << 20


def _refusal(raw: bytes) -> str:
    with pytest.raises(InvalidRequest) as caught:
        parse_json_object(raw)
    assert caught.value.status == 400
    return str(caught.value)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"[" * (5 * MB // 2) + b"]" * (5 * MB // 2), "nested too deeply"),
        (b'{"a":' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}", "nested too deeply"),
        (b'{"a":[' + b",".join([b"[[[[1]]]]"] * 500_000) + b"]}", "too large to process"),
        (b'{"a":[' + b",".join([b"1"] * (MAX_ELEMENTS + 1)) + b"]}", "too large to process"),
        (b'{"a":[' + b",".join([b'"s"'] * (2 * MAX_ELEMENTS + 1)) + b"]}", "strings"),
    ],
    ids=["5mb-brackets", "depth-101", "5mb-shallow-arrays", "numbers", "strings"],
)
def test_costly_shapes_are_refused_fast(body: bytes, says: str) -> None:
    start = time.perf_counter()
    assert says in _refusal(body)
    # C-speed passes take ~0.04 s on a quiet machine (it was seconds); the bound leaves room
    # for a busy one.
    assert time.perf_counter() - start < 1.0


def test_brackets_inside_strings_neither_count_nor_hide_a_level() -> None:
    inside = json.dumps({"code": "[{" * 50_000, "quoted": '\\"[[[' * 1000})
    assert parse_json_object(inside.encode())["code"].startswith("[{")
    deep = b"[" * (MAX_DEPTH + 20) + b"]" * (MAX_DEPTH + 20)
    # closing brackets in a string before the deep part must not lower the count
    hidden = b'{"a":"' + b"]" * 300 + b'","b":' + deep + b',"c":"' + b"[" * 300 + b'"}'
    assert "nested too deeply" in _refusal(hidden)
    at_limit = b'{"a":' + b"[" * (MAX_DEPTH - 1) + b"]" * (MAX_DEPTH - 1) + b"}"
    check_shape(at_limit)  # MAX_DEPTH levels, the object's included, are fine


def test_a_long_agent_history_fits() -> None:
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
    body = json.dumps({"model": "gpt-4o", "input": [item] * 8000}).encode()
    assert len(parse_json_object(body)["input"]) == 8000


@pytest.mark.parametrize("literal", ["1e999", "-1e400", "NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_are_not_json(literal: str) -> None:
    assert "could not parse the JSON body" in _refusal(f'{{"temperature": {literal}}}'.encode())


async def _loop_hold_during(http: ClientSession, body: bytes) -> tuple[int, float]:
    """The status of one request and the longest the event loop went without a tick meanwhile
    (the server runs on this loop)."""
    worst = 0.0
    done = False

    async def tick() -> None:
        nonlocal worst
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            worst, last = max(worst, now - last), now

    ticker = asyncio.create_task(tick())
    async with http.post("/v1/responses", data=io.BytesIO(body)) as resp:
        await resp.read()
    done = True
    await ticker
    return resp.status, worst


@pytest.mark.parametrize(
    "body",
    [
        b"[" * (5 * MB // 2) + b"]" * (5 * MB // 2),
        b'{"model":"gpt-4o-mini","input":[' + b",".join([b"[[[[1]]]]"] * 500_000) + b"]}",
        json.dumps(
            {"model": "gpt-4o-mini", "input": [{"role": "user", "content": "hi"}] * 100_000}
        ).encode(),
    ],
    ids=["5mb-brackets", "5mb-shallow-arrays", "100k-input-items"],
)
async def test_hostile_bodies_do_not_hold_the_loop(start_server: StartServer, body: bytes) -> None:
    mock = await start_server(Config(seed=1))
    headers = {"Authorization": "Bearer k", "Content-Type": "application/json"}
    async with ClientSession(base_url=mock.root, headers=headers) as http:
        status, held = await _loop_hold_during(http, body)
    assert status == 400
    # Before: 1.1-3.5 s. Reading 5 MB and the C-speed checks take ~30-90 ms on a busy machine.
    assert held < 0.3, f"the event loop was held {held * 1000:.0f} ms"


@pytest.mark.parametrize("whole", [True, False])
async def test_a_body_that_came_whole_is_read_as_read_reads_it(whole: bool) -> None:
    """read_body takes a body already at its end without read()'s loop: the same bytes, and
    a body still arriving goes through read()."""
    from unittest import mock

    from aiohttp.streams import StreamReader
    from aiohttp.test_utils import make_mocked_request
    from multidict import CIMultiDict

    from mockserver.http.body import read_body

    raw = json.dumps({"model": "gpt-4o", "input": "héllo " * 50}).encode()

    def request() -> object:
        stream = StreamReader(
            mock.Mock(_reading_paused=False), 2**16, loop=asyncio.get_running_loop()
        )
        stream.feed_data(raw)
        if whole:
            stream.feed_eof()
        headers = CIMultiDict({"Content-Length": str(len(raw))})
        return make_mocked_request("POST", "/v1/responses", headers=headers, payload=stream)

    if not whole:  # read() waits for the end: give it one
        pending = request()
        loop = asyncio.get_running_loop()
        loop.call_soon(pending.content.feed_eof)  # type: ignore[attr-defined]
        assert await read_body(pending, MB) == raw  # type: ignore[arg-type]
        return
    fast, slow = request(), request()
    assert await read_body(fast, MB) == await slow.read() == raw  # type: ignore[attr-defined, arg-type]


@pytest.mark.parametrize(
    "text",
    ['{"a": 1}', ' \t\n{"a": 1}\r\n ', '{"a": 1} x', '{"a": 1}{}', "", "   ", '{"a": 1}\x0b',
     '\x0c{"a": 1}', '{"a": 1}\u00a0', '{"a": NaN}', '{"a": 1e999}', '[1]', '"x"', "{", "1 2",
     '{"a": "\\ud83d\\ude00"}', '{"a": [1.5, -0.0, 12345678901234567890123]}'],
)  # fmt: skip
def test_the_body_is_what_the_json_decoder_reads(text: str) -> None:
    """parse_json_object runs the decoder's C scanner without JSONDecoder.decode's frames:
    the same values, and a refusal wherever decode refuses."""
    try:
        expected: Any = body._decoder.decode(text)
    except ValueError:
        expected = "refused"
    try:
        got: Any = parse_json_object(text.encode())
    except InvalidRequest as exc:
        got = "refused" if exc.code is None else exc.code
    if expected != "refused" and not isinstance(expected, dict):
        expected = "invalid_type"
    assert got == expected


def test_a_body_too_short_to_break_a_bound_agrees_with_the_counting_path() -> None:
    check_shape(b"[" * MAX_DEPTH)  # MAX_DEPTH bytes: passed without counting
    with pytest.raises(InvalidRequest, match="nested too deeply"):
        check_shape(b"[" * (MAX_DEPTH + 1))  # one more: counted, and refused

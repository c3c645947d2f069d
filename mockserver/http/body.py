"""Reading a request body safely: size limit, UTF-8, JSON, nesting depth, an object at the top.

Each failure is the error the real API gives (or the closest one), never a traceback.
The costs a body controls are bounded before it is parsed, in C-speed passes over its bytes:
nesting (`MAX_DEPTH`) and the number of elements (`MAX_ELEMENTS`: parsing and validating
cost per element, and a 5 MB body of tiny arrays or 100,000 input items held the event loop
for over a second). Numbers too large for a double (`1e999`), `NaN` and `Infinity` are not
JSON the API accepts, and could never be written back out as standard JSON.
"""

from __future__ import annotations

import json
import math
from array import array
from collections.abc import Callable
from itertools import accumulate
from json.scanner import make_scanner
from typing import Any

import orjson
from aiohttp import hdrs, web
from aiohttp.web_protocol import RequestPayloadError

from mockserver.errors import InvalidRequest, PayloadTooLarge
from mockserver.openai.surrogates import SURROGATE_ESCAPE, check_no_lone_surrogates

MAX_DEPTH = 100  # deeper documents are refused before they can exhaust the parser's stack
# Elements in one body: the values of its arrays and the members of its objects, counted as
# the commas and opening brackets outside strings. Parsing and validating cost per element;
# a long agent history fits (8,000 message items of 7 elements: text parts, ids, roles).
MAX_ELEMENTS = 60_000
_TOO_DEEP_RUN = b"\x01" * (MAX_DEPTH + 1)  # MAX_DEPTH + 1 brackets opened in a row

_NOT_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
    "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
    "sent was not valid JSON. If you have trouble figuring out how to fix this, please contact "
    "us through our help center at help.openai.com.)"
)


async def read_json_object(request: web.Request, max_bytes: int) -> dict[str, Any]:
    raw = await read_body(request, max_bytes)
    return parse_json_object(raw)


async def read_body(request: web.Request, max_bytes: int) -> bytes:
    """The body's bytes (at most max_bytes). A body that never arrives whole, or cannot be
    decoded (`Content-Encoding: gzip` on bytes that are not), is the client's 400."""
    try:
        return await _read_limited(request, max_bytes)
    except ConnectionResetError:  # the client went away mid-body: nobody reads the answer
        raise InvalidRequest(
            "The connection closed before the whole request body arrived.",
            code="incomplete_body",
        ) from None
    except RequestPayloadError as exc:
        reason = str(exc).strip().splitlines()[-1].strip()  # "400, message:\n  Can not ..."
        raise InvalidRequest(
            f"The request body could not be read: {reason}.", code="invalid_encoding"
        ) from None


async def _read_limited(request: web.Request, max_bytes: int) -> bytes:
    length = request.content_length
    if length is not None:
        if length > max_bytes:
            raise _too_large(max_bytes)
        content = request.content
        if content.is_eof() and hdrs.CONTENT_ENCODING not in request.headers:
            # The usual small body came whole with the headers: its bytes as they are (what
            # read() returns, without its loop; Content-Length bounded them).
            return content.read_nowait()
        # Otherwise aiohttp stops at Content-Length, so one read() is bounded, and it is
        # cheaper than iterating chunks (this is on every request's path).
        try:
            return await request.read()
        except web.HTTPRequestEntityTooLarge:  # the app's client_max_size is the lower limit
            raise _too_large(max_bytes) from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(max_bytes: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"Request body too large: the limit is {max_bytes} bytes.", code="payload_too_large"
    )


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """The body's JSON object, or the API's error for it (InvalidRequest).

    orjson parses it first (a third of the standard parser's cost); what orjson refuses or
    parses differently goes the standard way (`_parse_standard`), which decides the error
    and its order. orjson refuses every body the standard way refuses (invalid UTF-8, NaN,
    Infinity, 1e999, lone surrogates, extra data) and reads every other the same, but for
    integers past 64 bits (floats to orjson): a body with fewer than 19 digits holds none.
    tests/unit/http/test_body_parse.py proves the two ways agree.
    """
    if len(raw) - len(raw.translate(None, b"0123456789")) < _LONG_INT_DIGITS:
        try:
            check_shape(raw)
            value = orjson.loads(raw)
        except (InvalidRequest, orjson.JSONDecodeError):
            pass  # the standard way says which error, in its order
        else:
            if type(value) is dict:
                return value
    return _parse_standard(raw)


# Digits in an integer past 64 bits (the least is 2**64, 20 digits; -2**63 - 1 has 19).
_LONG_INT_DIGITS = 19


def _parse_standard(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(
            f"The request body is not valid UTF-8 (invalid byte at position {exc.start}).",
            code="invalid_encoding",
        ) from None
    check_shape(raw)
    try:
        # NaN, Infinity and 1e999 are not JSON: the API refuses them, and no body may carry
        # them on (the journal and every echo stay standard JSON). JSONDecoder.decode, without
        # its two Python frames: whitespace around the value, then nothing else.
        start = len(text) - len(text.lstrip(_WHITESPACE))
        value, end = _scan(text, start)
        if end != len(text) and text[end:].strip(_WHITESPACE):
            raise ValueError("extra data")
    except (ValueError, StopIteration, RecursionError):
        raise InvalidRequest(_NOT_JSON, code=None) from None
    if SURROGATE_ESCAPE.search(text) is not None:  # else no string can hold a lone surrogate
        check_no_lone_surrogates(value)
    if not isinstance(value, dict):
        raise InvalidRequest(
            "The JSON body must be an object, but got "
            f"{'an array' if isinstance(value, list) else 'a ' + type(value).__name__} instead.",
            code="invalid_type",
        )
    return value


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _finite(literal: str) -> float:
    value = float(literal)
    if math.isinf(value):
        raise ValueError(f"{literal} does not fit a double")
    return value


# Made once: json.loads(text, **kw) would build a decoder on every call.
_decoder = json.JSONDecoder(parse_constant=_not_json, parse_float=_finite)
# The C scanner JSONDecoder.decode runs: (text, index) -> (value, end); typeshed calls
# make_scanner a class taking a make_scanner, hence the ignore.
_scan: Callable[[str, int], tuple[Any, int]] = make_scanner(_decoder)  # type: ignore[arg-type]
_WHITESPACE = " \t\n\r"  # JSON's (json.decoder.WHITESPACE)

# Brackets become +1 (opening) and -1 (closing, 0xff as a signed byte); the rest is deleted.
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def check_shape(raw: bytes) -> None:
    """Refuse a body nested deeper than MAX_DEPTH or holding more than MAX_ELEMENTS elements,
    in C-speed passes over the bytes, before anything is parsed (~10 ms for 5 MB).

    Counted without the strings' content (escapes dropped, then what lies between every other
    quote). Every string is a key or an element, so more than twice MAX_ELEMENTS strings is
    refused before they are cut out (that cut costs per string).
    """
    size = len(raw)
    if size <= MAX_DEPTH:
        return  # too short to hold more than MAX_DEPTH brackets or MAX_ELEMENTS commas
    # Counting passes (translate(None, marks) builds a 256-byte table on every call); the
    # commas only when the body is long enough to hold too many.
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH and (
        size < MAX_ELEMENTS or raw.count(b",") < MAX_ELEMENTS
    ):
        return  # the common case, strings included: too few to matter
    plain = raw.replace(b"\\\\", b"").replace(b'\\"', b"") if b"\\" in raw else raw
    strings = plain.count(b'"') // 2
    if strings > 2 * MAX_ELEMENTS:
        raise _too_many(f"{strings} strings")
    structure = b"".join(plain.split(b'"')[::2])
    steps = structure.translate(_STEPS, _NOT_BRACKETS)
    if _TOO_DEEP_RUN in steps:
        raise _too_deep()
    elements = structure.count(b",") + steps.count(1)
    if elements > MAX_ELEMENTS:
        raise _too_many(f"{elements} elements")
    if len(steps) > MAX_DEPTH and max(accumulate(array("b", steps))) > MAX_DEPTH:
        raise _too_deep()


def _too_deep() -> InvalidRequest:
    return InvalidRequest(
        f"The JSON body is nested too deeply (more than {MAX_DEPTH} levels).", code="invalid_json"
    )


def _too_many(found: str) -> InvalidRequest:
    return InvalidRequest(
        f"The JSON body is too large to process: {found}, where the limit is {MAX_ELEMENTS} "
        "elements (array values and object members).",
        code="invalid_json",
    )

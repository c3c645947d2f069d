"""Reading a request body safely: size limit, UTF-8, JSON, nesting depth, an object at the top.

Each failure is the error the real API gives (or the closest one), never a traceback.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from mockserver.errors import InvalidRequest, PayloadTooLarge
from mockserver.openai.surrogates import check_no_lone_surrogates

MAX_DEPTH = 100  # deeper documents are refused before they can exhaust the parser's stack

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
        # The common case: aiohttp stops at Content-Length, so one read() is bounded, and
        # it is cheaper than iterating chunks (this is on every request's path).
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
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(
            f"The request body is not valid UTF-8 (invalid byte at position {exc.start}).",
            code="invalid_encoding",
        ) from None
    if _too_deep(text):
        raise InvalidRequest(
            f"The JSON body is nested too deeply (more than {MAX_DEPTH} levels).",
            code="invalid_json",
        )
    try:
        # NaN and Infinity are not JSON: the API refuses them, and no body may carry them on.
        value = _decoder.decode(text)
    except (ValueError, RecursionError):
        raise InvalidRequest(_NOT_JSON, code=None) from None
    check_no_lone_surrogates(text, value)
    if not isinstance(value, dict):
        raise InvalidRequest(
            "The JSON body must be an object, but got "
            f"{'an array' if isinstance(value, list) else 'a ' + type(value).__name__} instead.",
            code="invalid_type",
        )
    return value


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


# Made once: json.loads(text, **kw) would build a decoder on every call.
_decoder = json.JSONDecoder(parse_constant=_not_json)


def _too_deep(text: str) -> bool:
    """Bracket depth outside strings, without parsing: immune to recursion limits."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False  # the common case, decided at C speed
    depth = 0
    in_string = False
    escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif ch in "]}":
            depth -= 1
    return False

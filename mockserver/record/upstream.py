"""The upstream side of the recorder: one aiohttp client session, every cost bounded.

`Upstream.open` sends a request with the client's headers (hop-by-hop ones dropped, only
encodings the recorder can read back accepted) and yields the upstream's response, or
raises the UpstreamError the client gets instead (502 unreachable, 504 too slow).
`read` takes a JSON answer within --upstream-max-bytes; `relay` passes a stream on to the
client chunk by chunk as it arrives while an SseReader keeps its events; `drain` reads a
stream without a client (fallback mode). Each returns an Answer: plain values.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import zlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

from mockserver.errors import MockError
from mockserver.record.observed import SseReader, StreamTooLarge

log = logging.getLogger("mockserver.record")

# Never forwarded either way: they describe one connection, not the message.
_HOP_BY_HOP = frozenset(
    {
        *("connection", "keep-alive", "proxy-connection", "transfer-encoding", "te"),
        *("trailer", "upgrade", "host", "content-length", "x-mock-admin-token"),
    }
)
_DECODABLE = ("gzip", "deflate", "identity")  # what the recorder can read back
_READ_CHUNK = 64 * 1024


class UpstreamError(MockError):
    """502 or 504: the upstream could not be reached, stopped answering, or sent too much."""


@dataclass(frozen=True)
class Answer:
    """What the upstream sent back, read within the bounds."""

    status: int
    headers: Mapping[str, str]  # names lowercased
    body: bytes  # a JSON answer's bytes as received (possibly compressed); b"" for a stream
    reader: SseReader | None  # a stream's events (None: not a stream, or not readable)
    total_ms: float
    streamed: bool = False
    cookies: tuple[str, ...] = ()  # every Set-Cookie value: secrets never to be written

    def final_response(self) -> dict[str, Any] | None:
        """The Response the answer ends with: the JSON body, or the stream's terminal event."""
        if self.streamed:
            return self.reader.final if self.reader is not None else None
        value = self.json_object()
        return value if value is not None and value.get("object") == "response" else None

    def json_object(self) -> dict[str, Any] | None:
        """A JSON answer's object (None: a stream, not JSON, or not an object)."""
        value = None if self.streamed else self._json()
        return value if isinstance(value, dict) else None

    def error_object(self) -> dict[str, Any] | None:
        """The `error` object of an error answer (or of a stream's error event)."""
        if self.streamed:
            return self.reader.error if self.reader is not None else None
        value = self._json()
        error = value.get("error") if isinstance(value, dict) else None
        return error if isinstance(error, dict) else None

    def _json(self) -> Any:
        encoding = self.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in _DECODABLE:
            return None
        try:
            data = self.body
            if encoding != "identity":  # inflated within a bound: a tiny body can expand a lot
                data = zlib.decompressobj(47).decompress(data, 64 * len(data) + _READ_CHUNK)
            return json.loads(data)
        except (ValueError, zlib.error):
            return None

    def as_error(self) -> MockError:
        """The upstream's own error (status, type, code, message) to answer a client with."""
        error = self.error_object() or {}
        code, param = error.get("code"), error.get("param")
        return MockError(
            str(error.get("message") or f"The upstream answered {self.status}."),
            code=code if isinstance(code, str) else None,
            param=param if isinstance(param, str) else None,
            status=self.status if self.status >= 400 else 502,
            type=str(error.get("type") or "server_error"),
        )


class Upstream:
    def __init__(self, base: URL, timeout: float, max_bytes: int) -> None:
        self.base = base
        self.max_bytes = max_bytes
        self._timeout = aiohttp.ClientTimeout(connect=timeout, sock_read=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def session_ctx(self, _app: web.Application) -> AsyncIterator[None]:
        """A cleanup_ctx: one client session (its connection pool) for the app's life."""
        self._session = aiohttp.ClientSession(timeout=self._timeout, auto_decompress=False)
        yield
        await self._session.close()

    def url(self, local: URL) -> URL:
        """The upstream URL of a local /v1/... path (the base URL ends where /v1 did)."""
        tail = local.path.removeprefix("/v1")
        return self.base.with_path(self.base.path.rstrip("/") + tail).with_query(local.query)

    @contextlib.asynccontextmanager
    async def open(
        self, method: str, url: URL, raw: bytes, headers: Mapping[str, str]
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        assert self._session is not None, "the session starts with the app"
        try:
            async with self._session.request(
                method, url, data=raw or None, headers=_forward_headers(headers)
            ) as response:
                yield response
        except TimeoutError:
            raise _timed_out(url) from None
        except aiohttp.ClientError as exc:
            raise _unreachable(url, exc) from None

    async def read(self, up: aiohttp.ClientResponse, started: float) -> Answer:
        """A JSON (or any non-stream) answer, whole, within --upstream-max-bytes."""
        chunks, size = [], 0
        while chunk := await up.content.read(_READ_CHUNK):
            size += len(chunk)
            if size > self.max_bytes:
                raise UpstreamError(
                    f"The upstream's answer passed --upstream-max-bytes ({self.max_bytes}).",
                    code="upstream_too_large",
                    status=502,
                )
            chunks.append(chunk)
        body = b"".join(chunks)
        return Answer(up.status, _lower(up.headers), body, None, _ms(started), False, _cookies(up))

    async def relay(
        self, request: web.Request, up: aiohttp.ClientResponse, started: float
    ) -> tuple[Answer, web.StreamResponse]:
        """The stream passed on as it comes; its events kept unless it passes the budget,
        stops early, or the client leaves (then nothing is recorded)."""
        out = web.StreamResponse(status=up.status, headers=reply_headers(up.headers))
        await out.prepare(request)
        reader: SseReader | None = SseReader(self.max_bytes)
        decoder = _decoder(up.headers.get("content-encoding", ""))
        try:
            async for chunk in up.content.iter_any():
                await out.write(chunk)
                reader = _feed(reader, decoder, chunk, _ms(started))
            await out.write_eof()
        except ConnectionResetError:
            log.info("the client left during the upstream's stream: not recorded")
            reader = None
        except (TimeoutError, aiohttp.ClientError) as exc:  # headers are out: end the stream
            log.warning("the upstream's stream ended early (%s): not recorded", type(exc).__name__)
            reader = None
        answer = Answer(
            up.status, _lower(up.headers), b"", reader, _ms(started), True, _cookies(up)
        )
        return answer, out

    async def drain(self, up: aiohttp.ClientResponse, started: float) -> Answer:
        """A stream read whole without a client (fallback mode), within the budget."""
        reader: SseReader | None = SseReader(self.max_bytes)
        decoder = _decoder(up.headers.get("content-encoding", ""))
        try:
            async for chunk in up.content.iter_any():
                if (reader := _feed(reader, decoder, chunk, _ms(started))) is None:
                    break
        except TimeoutError:
            raise _timed_out(up.url) from None
        except aiohttp.ClientError as exc:
            raise _unreachable(up.url, exc) from None
        return Answer(up.status, _lower(up.headers), b"", reader, _ms(started), True, _cookies(up))


def is_stream(up: aiohttp.ClientResponse) -> bool:
    return up.content_type == "text/event-stream"


Headers = list[tuple[str, str]]  # in order, repeated names (set-cookie) kept


def reply_headers(headers: Mapping[str, str]) -> Headers:
    """The upstream's headers for the client (a multidict's items: every Set-Cookie)."""
    return [(k, v) for k, v in headers.items() if k.lower() not in _HOP_BY_HOP]


def _forward_headers(headers: Mapping[str, str]) -> Headers:
    out: Headers = []
    for name, value in headers.items():
        if name.lower() == "accept-encoding":
            kept = [c.strip() for c in value.split(",") if _coding(c) in _DECODABLE]
            out.append((name, ", ".join(kept) or "identity"))
        elif name.lower() not in _HOP_BY_HOP:
            out.append((name, value))
    return out


def _coding(item: str) -> str:
    return item.split(";")[0].strip().lower()


def _timed_out(url: URL) -> UpstreamError:
    return UpstreamError(
        f"The upstream did not answer in time ({url.host}).", code="upstream_timeout", status=504
    )


def _unreachable(url: URL, exc: Exception) -> UpstreamError:
    return UpstreamError(
        f"Could not reach the upstream {url.host}: {type(exc).__name__}.",
        code="upstream_unreachable",
        status=502,
    )


def _feed(reader: SseReader | None, decoder: Any, chunk: bytes, at_ms: float) -> SseReader | None:
    """Feed the reader (decoded); None from the first chunk past its budget on."""
    if reader is None:
        return None
    try:
        reader.feed(decoder.decompress(chunk, reader.max_bytes + 1) if decoder else chunk, at_ms)
    except (StreamTooLarge, zlib.error) as exc:
        log.warning("the upstream's stream is not recorded: %s", exc)
        return None
    return reader


def _decoder(encoding: str) -> Any:
    return zlib.decompressobj(47) if encoding.strip().lower() in ("gzip", "deflate") else None


def _cookies(up: aiohttp.ClientResponse) -> tuple[str, ...]:
    return tuple(up.headers.getall("set-cookie", ()))


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000

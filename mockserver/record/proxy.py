"""The recorder on the wire: forward to the upstream, answer with its bytes, record the rule.

Proxy mode (`mockserver record --upstream URL`): every /v1/ request goes to the upstream
with the client's own headers (its key included: used for that request, never stored or
logged), and the client gets the upstream's status, headers and bytes unchanged, a stream
relayed chunk by chunk as it arrives. Each create request and its answer then become one
rule of the recorded scenario, redacted and merged into the file.

Fallback mode (`--record-mode fallback`): the recorded scenario answers; a request none of
its rules matches is sent to the upstream (its conversation written out in full, since the
upstream does not know the mock's response ids), its answer recorded as a new rule, and
the mock answers with that rule, so the chain keeps the mock's own ids.

Every upstream cost is bounded: the connect time and the time between two reads
(--upstream-timeout), the bytes of an answer (--upstream-max-bytes; a stream past it is
still relayed but not recorded).
"""

from __future__ import annotations

import json
import logging
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

from mockserver.config import Config
from mockserver.errors import MockError
from mockserver.http.body import read_body
from mockserver.record.cassette import Cassette
from mockserver.record.chains import Chains
from mockserver.record.observed import Observed, SseReader, StreamTooLarge, Timing
from mockserver.record.redact import Redaction, Scrubber, header_secrets
from mockserver.record.writer import (
    ERROR_HEADERS,
    TIMING_MODES,
    NotRecorded,
    RecordedRule,
    TimingMode,
    rule_for,
)
from mockserver.scenario.model import Scenario
from mockserver.scenario.registry import Registry

log = logging.getLogger("mockserver.record")

# Never forwarded either way: they describe one connection, not the message.
_HOP_BY_HOP = frozenset(
    {
        *("connection", "keep-alive", "proxy-connection", "transfer-encoding", "te"),
        *("trailer", "upgrade", "host", "content-length", "x-mock-admin-token"),
    }
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_DECODABLE = ("gzip", "deflate", "identity")  # what the recorder can read back
_CREATE = "/v1/responses"
_MAX_INFLATED = 256 * 1024 * 1024  # a compressed JSON answer is read back up to this size
_TERMINAL = ("completed", "incomplete", "failed", "cancelled")


class UpstreamError(MockError):
    """502 or 504: the upstream could not be reached, or stopped answering."""


@dataclass(frozen=True)
class RecordSettings:
    upstream: URL
    mode: str
    out: Path  # the scenario file
    name: str
    timing: TimingMode
    record_failures: bool
    redaction: Redaction
    timeout: float
    max_bytes: int

    @classmethod
    def of(cls, config: Config) -> RecordSettings:
        """The --upstream options, checked (ValueError says which one is wrong)."""
        upstream = URL(config.record_upstream or "")
        if upstream.scheme not in ("http", "https") or not upstream.host:
            raise ValueError(f"--upstream: expected an http(s) URL, got {upstream.human_repr()!r}")
        if config.record_mode not in ("proxy", "fallback"):
            raise ValueError(
                f"--record-mode: expected proxy or fallback, got {config.record_mode!r}"
            )
        if config.record_timing not in TIMING_MODES:
            allowed = ", ".join(TIMING_MODES)
            raise ValueError(
                f"--record-timing: expected one of {allowed}, got {config.record_timing!r}"
            )
        if config.upstream_timeout <= 0 or config.upstream_max_bytes <= 0:
            raise ValueError("--upstream-timeout and --upstream-max-bytes must be above 0")
        return cls(
            upstream=upstream,
            mode=config.record_mode,
            out=config.record_out / f"{config.record_name}.yaml",
            name=config.record_name,
            timing=config.record_timing,
            record_failures=config.record_failures,
            redaction=Redaction.of(config.redact_paths, config.redact_patterns),
            timeout=config.upstream_timeout,
            max_bytes=config.upstream_max_bytes,
        )


@dataclass
class _Answer:
    """What the upstream sent back, read within the bounds."""

    status: int
    headers: Mapping[str, str]  # names lowercased
    body: bytes  # a JSON answer's bytes as received (possibly compressed)
    reader: SseReader | None  # a stream's events
    total_ms: float


class Recorder:
    def __init__(self, settings: RecordSettings) -> None:
        self.settings = settings
        self.cassette = Cassette(settings.out, settings.name)  # CassetteError if unmergeable
        self.chains = Chains()
        self._pending: dict[str, tuple[Mapping[str, Any], Scrubber, float]] = {}  # background
        self._session: aiohttp.ClientSession | None = None

    async def session_ctx(self, _app: web.Application) -> AsyncIterator[None]:
        """A cleanup_ctx: one client session (its connection pool) for the app's life."""
        timeout = aiohttp.ClientTimeout(
            connect=self.settings.timeout, sock_read=self.settings.timeout
        )
        self._session = aiohttp.ClientSession(timeout=timeout, auto_decompress=False)
        yield
        await self._session.close()

    # ---- proxy mode ----------------------------------------------------------------------

    async def forward(self, request: web.Request, max_body: int) -> web.StreamResponse:
        raw = await read_body(request, max_body)
        url = self._url(request.rel_url)
        started = time.perf_counter()
        scrubber = Scrubber(self.settings.redaction, header_secrets(request.headers))
        body = _json_object(raw)
        creates = body is not None and request.method == "POST" and request.path == _CREATE
        try:
            async with self._call(request.method, url, raw, request.headers) as up:
                if _is_stream(up):
                    answer, response = await self._relay(request, up, started)
                else:
                    answer = await self._read(up, started)
                    response = web.Response(
                        body=answer.body, status=answer.status, headers=_reply_headers(up.headers)
                    )
        except UpstreamError as exc:
            if creates and body is not None:
                self.record_unreachable(body, exc)
            raise
        if creates and body is not None:
            self._note_create(body, answer, scrubber)
        elif request.method == "GET" and request.path.startswith(_CREATE + "/"):
            self._note_retrieve(request.path.rsplit("/", 1)[-1], answer)
        return response

    def _url(self, rel: URL) -> URL:
        tail = rel.path.removeprefix("/v1")
        base = self.settings.upstream
        return base.with_path(base.path.rstrip("/") + tail).with_query(rel.query)

    def _call(self, method: str, url: URL, raw: bytes, headers: Mapping[str, str]) -> _Upstream:
        assert self._session is not None, "the recorder's session starts with the app"
        return _Upstream(self._session, method, url, raw, _forward_headers(headers))

    async def _read(self, up: aiohttp.ClientResponse, started: float) -> _Answer:
        try:
            data = await up.content.read(self.settings.max_bytes + 1)
        except TimeoutError:
            raise _timed_out(up.url) from None
        except aiohttp.ClientError as exc:
            raise _unreachable(up.url, exc) from None
        if len(data) > self.settings.max_bytes or not up.content.at_eof():
            raise UpstreamError(
                f"The upstream's answer passed --upstream-max-bytes ({self.settings.max_bytes}).",
                code="upstream_too_large",
                status=502,
            )
        return _Answer(up.status, _lower(up.headers), data, None, _ms(started))

    async def _relay(
        self, request: web.Request, up: aiohttp.ClientResponse, started: float
    ) -> tuple[_Answer, web.StreamResponse]:
        out = web.StreamResponse(status=up.status, headers=_reply_headers(up.headers))
        await out.prepare(request)
        reader: SseReader | None = SseReader(self.settings.max_bytes)
        decoder = _decoder(up.headers.get("content-encoding", ""))
        try:
            async for chunk in up.content.iter_any():
                await out.write(chunk)
                reader = _feed(reader, decoder, chunk, _ms(started))
        except (TimeoutError, aiohttp.ClientError) as exc:  # headers are out: end the stream
            log.warning("upstream stream ended early (%s): not recorded", type(exc).__name__)
            reader = None
        await out.write_eof()
        return _Answer(up.status, _lower(up.headers), b"", reader, _ms(started)), out

    def _note_create(self, body: dict[str, Any], answer: _Answer, scrubber: Scrubber) -> None:
        seen = self._observe(body, answer, scrubber)
        response = seen.response
        if response is not None and response.get("status") in ("queued", "in_progress"):
            rid = response.get("id")
            if isinstance(rid, str):  # background: recorded once a retrieve shows its end
                self._pending[rid] = (body, scrubber, answer.total_ms)
            return
        self.record(seen, scrubber)

    def _note_retrieve(self, rid: str, answer: _Answer) -> None:
        pending = self._pending.get(rid)
        response = _final_response(answer)
        if pending is None or response is None or response.get("status") not in _TERMINAL:
            return
        del self._pending[rid]
        body, scrubber, _ms_taken = pending
        conversation, unknown = self.chains.conversation(body)
        self.chains.remember(body, response)
        seen = Observed(
            scrubber.paths(body), conversation, answer.status, scrubber.paths(response), None, {},
            Timing(None, (), 0.0), streamed=False, continues_unknown=unknown,
        )  # fmt: skip
        self.record(seen, scrubber)

    def _observe(self, body: dict[str, Any], answer: _Answer, scrubber: Scrubber) -> Observed:
        """The exchange as the writer reads it (chains followed, paths redacted)."""
        conversation, unknown = self.chains.conversation(body)
        response, error = _final_response(answer), None
        if answer.status >= 400:
            error, response = _error_object(answer), None
        elif response is not None:
            self.chains.remember(body, response)
        reader = answer.reader
        timing = reader.timing(answer.total_ms) if reader else Timing(None, (), answer.total_ms)
        return Observed(
            body=scrubber.paths(body),
            conversation=tuple(scrubber.paths(dict(i)) for i in conversation),
            status=answer.status,
            response=scrubber.paths(response) if response is not None else None,
            error=error,
            error_headers={k: answer.headers[k] for k in ERROR_HEADERS if k in answer.headers},
            timing=timing,
            streamed=reader is not None,
            message_deltas=tuple(reader.message_deltas) if reader else (),
            continues_unknown=unknown,
        )

    def record(self, seen: Observed, scrubber: Scrubber) -> RecordedRule | None:
        """Write the exchange's rule into the file (unless it is a duplicate); the rule."""
        if seen.status >= 500 and not self.settings.record_failures:
            log.info(
                "upstream answered %s: passed on, not recorded (--record-failures)", seen.status
            )
            return None
        made = rule_for(seen, self.settings.timing)
        if isinstance(made, NotRecorded):
            log.warning("exchange not recorded: %s", made.reason)
            return None
        rule = RecordedRule(
            made.name,
            scrubber.text(made.when),
            scrubber.text(made.answer),
            made.latency_ms,
            made.pacing,
            made.description,
        )
        if self.cassette.add(rule):
            self.cassette.save()
        return rule

    def record_unreachable(self, body: Mapping[str, Any], error: UpstreamError) -> None:
        """--record-failures: an upstream that could not answer becomes a rule with its error."""
        if not self.settings.record_failures:
            return
        conversation, unknown = self.chains.conversation(body)
        seen = Observed(
            body, conversation, error.status, None, error.body()["error"], {},
            Timing(None, (), 0.0), streamed=False, continues_unknown=unknown,
        )  # fmt: skip
        self.record(seen, Scrubber(self.settings.redaction, ()))

    # ---- fallback mode -------------------------------------------------------------------

    def fills(self, scenario: Scenario | None) -> bool:
        """Whether a request to scenario that no rule matched goes to the upstream."""
        return (
            self.settings.mode == "fallback"
            and scenario is not None
            and (scenario.name == self.settings.name)
        )

    async def fill_in(
        self,
        registry: Registry,
        body: Mapping[str, Any],
        conversation: list[dict[str, Any]],
        headers: Mapping[str, str],
    ) -> Scenario:
        """Ask the upstream what no rule answers, record it, and serve the grown scenario."""
        sent = _standalone(body, conversation)
        raw = json.dumps(sent, ensure_ascii=False).encode()
        scrubber = Scrubber(self.settings.redaction, header_secrets(headers))
        started = time.perf_counter()
        async with self._call("POST", self._url(URL(_CREATE)), raw, headers) as up:
            if _is_stream(up):
                answer = await self._drain(up, started)
            else:
                answer = await self._read(up, started)
        # Read by the mock's own view of the conversation (the same items, its ids).
        seen = replace(self._observe(sent, answer, scrubber), conversation=tuple(conversation))
        if self.record(seen, scrubber) is None:
            raise _passed_on(answer)
        registry.put_text(self.cassette.text(), str(self.settings.out))
        return registry.get(self.settings.name)

    async def _drain(self, up: aiohttp.ClientResponse, started: float) -> _Answer:
        reader: SseReader | None = SseReader(self.settings.max_bytes)
        decoder = _decoder(up.headers.get("content-encoding", ""))
        async for chunk in up.content.iter_any():
            reader = _feed(reader, decoder, chunk, _ms(started))
        if reader is None:
            raise UpstreamError(
                f"The upstream's stream passed --upstream-max-bytes ({self.settings.max_bytes}).",
                code="upstream_too_large",
                status=502,
            )
        return _Answer(up.status, _lower(up.headers), b"", reader, _ms(started))


class _Upstream:
    """`async with`: the upstream's answer, or the UpstreamError a client gets instead."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        method: str,
        url: URL,
        raw: bytes,
        headers: dict[str, str],
    ) -> None:
        self._request = session.request(method, url, data=raw or None, headers=headers)
        self._url = url

    async def __aenter__(self) -> aiohttp.ClientResponse:
        try:
            return await self._request.__aenter__()
        except TimeoutError:
            raise _timed_out(self._url) from None
        except aiohttp.ClientError as exc:
            raise _unreachable(self._url, exc) from None

    async def __aexit__(self, *exc: object) -> None:
        await self._request.__aexit__(None, None, None)


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
        reader.feed(decoder.decompress(chunk) if decoder else chunk, at_ms)
    except (StreamTooLarge, zlib.error) as exc:
        log.warning("upstream stream not recorded: %s", exc)
        return None
    return reader


def _decoder(encoding: str) -> Any:
    encoding = encoding.strip().lower()
    return zlib.decompressobj(47) if encoding in ("gzip", "deflate") else None


def _final_response(answer: _Answer) -> dict[str, Any] | None:
    if answer.reader is not None:
        return answer.reader.final
    value = _decoded_json(answer)
    return value if isinstance(value, dict) and value.get("object") == "response" else None


def _error_object(answer: _Answer) -> dict[str, Any] | None:
    if answer.reader is not None:
        return answer.reader.error
    value = _decoded_json(answer)
    error = value.get("error") if isinstance(value, dict) else None
    return error if isinstance(error, dict) else None


def _decoded_json(answer: _Answer) -> Any:
    data = answer.body
    encoding = answer.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in _DECODABLE:
        return None
    try:
        if encoding != "identity":
            decoder = zlib.decompressobj(47)
            data = decoder.decompress(data, _MAX_INFLATED)
        return json.loads(data)
    except (ValueError, zlib.error):
        return None


def _passed_on(answer: _Answer) -> MockError:
    """The upstream's own error (status, type, code, message), for a fallback not recorded."""
    error = _error_object(answer) or {}
    return MockError(
        str(error.get("message") or f"The upstream answered {answer.status}."),
        code=error.get("code") if isinstance(error.get("code"), str) else None,
        param=error.get("param") if isinstance(error.get("param"), str) else None,
        status=answer.status if answer.status >= 400 else 502,
        type=str(error.get("type") or "server_error"),
    )


def _standalone(body: Mapping[str, Any], conversation: list[dict[str, Any]]) -> dict[str, Any]:
    """The request with the mock's chain written out: the upstream knows none of its ids.
    Reasoning items are left out (the upstream would not accept them back); ids too."""
    items = [
        {k: v for k, v in item.items() if k != "id"}
        for item in conversation
        if item.get("type") != "reasoning"
    ]
    sent = {k: v for k, v in body.items() if k != "previous_response_id"}
    sent["input"] = items
    return sent


def _is_stream(up: aiohttp.ClientResponse) -> bool:
    return up.content_type == "text/event-stream"


def _forward_headers(headers: Mapping[str, str]) -> dict[str, str]:
    out = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
    for name in [k for k in out if k.lower() == "accept-encoding"]:
        kept = [c for c in out[name].split(",") if c.split(";")[0].strip().lower() in _DECODABLE]
        out[name] = ", ".join(c.strip() for c in kept) or "identity"
    return out


def _reply_headers(headers: Mapping[str, str]) -> CIMultiDict[str]:
    """The upstream's headers for the client, repeated ones (set-cookie) kept."""
    return CIMultiDict((k, v) for k, v in headers.items() if k.lower() not in _HOP_BY_HOP)


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


RECORDER = web.AppKey("recorder", Recorder)


def install(app: web.Application, config: Config) -> None:
    """--upstream: the recorder and its client session; in proxy mode, a middleware that
    sends every /v1/ request to the upstream (after the exchange middleware's auth)."""
    recorder = Recorder(RecordSettings.of(config))
    app[RECORDER] = recorder
    app.cleanup_ctx.append(recorder.session_ctx)
    if recorder.settings.mode == "proxy":
        max_body = config.max_body_bytes

        @web.middleware
        async def proxy(request: web.Request, handler: Handler) -> web.StreamResponse:
            if not request.path.startswith("/v1/"):
                return await handler(request)
            return await recorder.forward(request, max_body)

        app.middlewares.append(proxy)

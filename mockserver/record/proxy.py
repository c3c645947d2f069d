"""The recorder: forward to the upstream, answer with its bytes, record each exchange's rule.

Proxy mode (`mockserver record --upstream URL`): every /v1/ request goes to the upstream
with the client's own headers (its key included: used for that request, never stored or
logged), and the client gets the upstream's status, headers and bytes unchanged, a stream
relayed chunk by chunk as it arrives. Each create request and its answer then become one
rule of the recorded scenario, redacted and merged into the file.

Fallback mode (`--record-mode fallback`): the recorded scenario answers; a request none of
its rules matches is sent to the upstream (its conversation written out in full, since the
upstream knows none of the mock's response ids), its answer recorded as a new rule, and
the mock answers with that rule, so the chain keeps the mock's own ids.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aiohttp import web
from yarl import URL

from mockserver.config import Config
from mockserver.errors import InvalidRequest
from mockserver.http.body import read_body
from mockserver.record.cassette import Cassette
from mockserver.record.chains import Chains
from mockserver.record.observed import Observed, Timing
from mockserver.record.redact import Redaction, Scrubber, header_secrets, set_cookie_secrets
from mockserver.record.upstream import Answer, Upstream, UpstreamError, is_stream, reply_headers
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

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_CREATE = "/v1/responses"
_CONVERSATIONS = "/v1/conversations"
_UNFINISHED = ("queued", "in_progress")
# proxy: every /v1/ request goes upstream; fallback: only those no rule answers; off: none.
RECORD_MODES = ("proxy", "fallback", "off")
_NO_WEBSOCKET = (
    "WebSocket mode is not recorded yet: the recorder relays HTTP only. Record over HTTP, or "
    "use --record-mode fallback (its recorded answers reach WebSocket clients too)."
)
MAX_PENDING = 10_000  # background responses awaiting their end (the oldest are dropped)


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
        if config.record_mode not in RECORD_MODES:
            allowed, mode = ", ".join(RECORD_MODES), config.record_mode
            raise ValueError(f"--record-mode: expected one of {allowed}, got {mode!r}")
        if config.record_timing not in TIMING_MODES:
            allowed, timing = ", ".join(TIMING_MODES), config.record_timing
            raise ValueError(f"--record-timing: expected one of {allowed}, got {timing!r}")
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


class Recorder:
    def __init__(self, settings: RecordSettings) -> None:
        self.settings = settings
        self.mode = settings.mode  # switched at run time by PUT /_mock/record
        self.upstream = Upstream(settings.upstream, settings.timeout, settings.max_bytes)
        self.cassette = Cassette(settings.out, settings.name)  # CassetteError if unmergeable
        self.chains = Chains()
        # Background responses, recorded once a retrieve shows them finished.
        self._pending: dict[str, tuple[dict[str, Any], Scrubber]] = {}

    # ---- proxy mode ----------------------------------------------------------------------

    async def forward(self, request: web.Request, max_body: int) -> web.StreamResponse:
        raw = await read_body(request, max_body)
        started = time.perf_counter()
        creates = request.method == "POST" and request.path == _CREATE
        body = _json_object(raw) if creates else None  # None: nothing to record
        url = self.upstream.url(request.rel_url)
        scrubber = Scrubber(self.settings.redaction, header_secrets(request.headers))
        try:
            async with self.upstream.open(request.method, url, raw, request.headers) as up:
                if is_stream(up):
                    answer, response = await self.upstream.relay(request, up, started)
                else:
                    answer = await self.upstream.read(up, started)
                    headers = reply_headers(up.headers)
                    response = web.Response(body=answer.body, status=answer.status, headers=headers)
        except UpstreamError as exc:
            if body is not None:
                self._record_unreachable(body, exc, scrubber)
            raise
        scrubber.learn(set_cookie_secrets(answer.cookies))
        if not response.prepared:  # the client has its answer before the file is written
            await response.prepare(request)
            await response.write_eof()
        if body is not None:
            self._note_create(body, answer, scrubber)
        elif request.method == "GET" and request.path.startswith(_CREATE + "/"):
            self._note_retrieve(request.path.rsplit("/", 1)[-1], answer)
        elif request.method == "POST" and request.path.startswith(_CONVERSATIONS):
            self._note_conversation(request.path, _json_object(raw), answer)
        return response

    def _note_conversation(self, path: str, sent: dict[str, Any] | None, answer: Answer) -> None:
        """Conversations created (with items) and items added: the turns later creates count."""
        if answer.status >= 400 or sent is None:
            return
        parts = path.removeprefix(_CONVERSATIONS).strip("/").split("/")
        got = answer.json_object()
        if parts == [""] and got is not None and isinstance(got.get("id"), str):
            self.chains.opened(got["id"], sent.get("items"))
        elif len(parts) == 2 and parts[1] == "items":
            self.chains.opened(parts[0], sent.get("items"))

    def _note_create(self, body: dict[str, Any], answer: Answer, scrubber: Scrubber) -> None:
        final = answer.final_response()
        if final is not None and final.get("status") in _UNFINISHED:
            rid = final.get("id")
            if isinstance(rid, str):  # background: recorded once a retrieve shows its end
                self._pending[rid] = (body, scrubber)
                while len(self._pending) > MAX_PENDING:
                    del self._pending[next(iter(self._pending))]
            return
        self.record(self._observe(body, answer, scrubber), scrubber)

    def _note_retrieve(self, rid: str, answer: Answer) -> None:
        final = answer.final_response()
        if rid not in self._pending or final is None or final.get("status") in _UNFINISHED:
            return
        body, scrubber = self._pending.pop(rid)
        seen = self._observe(body, replace(answer, total_ms=0.0), scrubber)
        self.record(seen, scrubber)

    def _observe(self, body: dict[str, Any], answer: Answer, scrubber: Scrubber) -> Observed:
        """The exchange as the writer reads it: paths redacted, the chain followed."""
        body = scrubber.paths(body)
        conversation, unknown = self.chains.conversation(body)
        response = answer.final_response() if answer.status < 400 else None
        if response is not None:
            response = scrubber.paths(response)
            self.chains.remember(body, response)
        reader = answer.reader
        timing = reader.timing(answer.total_ms) if reader else Timing(None, (), answer.total_ms)
        return Observed(
            body=body,
            conversation=conversation,
            status=answer.status,
            response=response,
            error=answer.error_object() if answer.status >= 400 else None,
            error_headers={k: answer.headers[k] for k in ERROR_HEADERS if k in answer.headers},
            timing=timing,
            streamed=answer.streamed,
            message_deltas=tuple(reader.message_deltas) if reader else (),
            continues_unknown=unknown,
            error_event=reader.error if reader else None,
        )

    def record(self, seen: Observed, scrubber: Scrubber) -> RecordedRule | None:
        """Merge the exchange's rule into the file and save it; the rule (None: not recorded)."""
        if seen.status >= 500 and not self.settings.record_failures:
            log.info("the upstream answered %s: passed on, not recorded", seen.status)
            return None
        made = rule_for(seen, self.settings.timing)
        if isinstance(made, NotRecorded):
            log.warning("exchange not recorded: %s", made.reason)
            return None
        rule = replace(
            made,
            when=scrubber.text(made.when),
            answer=scrubber.text(made.answer),
            description=scrubber.text(made.description),
        )
        if self.cassette.add(rule):
            self.cassette.save()
        return rule

    def _record_unreachable(
        self, body: dict[str, Any], error: UpstreamError, scrubber: Scrubber
    ) -> None:
        """--record-failures: an upstream that could not answer becomes a rule with its error."""
        if not self.settings.record_failures:
            return
        body = scrubber.paths(body)
        conversation, unknown = self.chains.conversation(body)
        seen = Observed(
            body, conversation, error.status, None, error.body()["error"], {},
            Timing(None, (), 0.0), streamed=False, continues_unknown=unknown,
        )  # fmt: skip
        self.record(seen, scrubber)

    # ---- fallback mode -------------------------------------------------------------------

    def fills(self, scenario: Scenario | None) -> bool:
        """Whether a request to scenario that no rule matched goes to the upstream."""
        mine = scenario is not None and scenario.name == self.settings.name
        return self.mode == "fallback" and mine

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
        started = time.perf_counter()
        url = self.upstream.url(URL(_CREATE))
        async with self.upstream.open("POST", url, raw, headers) as up:
            if is_stream(up):
                answer = await self.upstream.drain(up, started)
            else:
                answer = await self.upstream.read(up, started)
        scrubber = Scrubber(self.settings.redaction, header_secrets(headers))
        scrubber.learn(set_cookie_secrets(answer.cookies))
        # Read by the mock's own view of the conversation (the same items, its ids).
        seen = replace(self._observe(sent, answer, scrubber), conversation=tuple(conversation))
        if self.record(seen, scrubber) is None:
            raise answer.as_error()
        registry.put_text(self.cassette.text(), str(self.settings.out))
        return registry.get(self.settings.name)


def _standalone(body: Mapping[str, Any], conversation: list[dict[str, Any]]) -> dict[str, Any]:
    """The request with the mock's chain or conversation written out: the upstream knows
    none of its ids.
    Reasoning items are left out (the upstream would not accept them back); ids too."""
    items = [
        {k: v for k, v in item.items() if k != "id"}
        for item in conversation
        if item.get("type") != "reasoning"
    ]
    sent = {k: v for k, v in body.items() if k not in ("previous_response_id", "conversation")}
    sent["input"] = items
    return sent


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


RECORDER = web.AppKey("recorder", Recorder)


def install(app: web.Application, config: Config) -> None:
    """--upstream: the recorder, its client session, and a middleware that sends every /v1/
    request to the upstream while the mode is proxy (after the exchange middleware's auth)."""
    recorder = Recorder(RecordSettings.of(config))
    app[RECORDER] = recorder
    app.cleanup_ctx.append(recorder.upstream.session_ctx)
    max_body = config.max_body_bytes

    @web.middleware
    async def proxy(request: web.Request, handler: Handler) -> web.StreamResponse:
        if recorder.mode != "proxy" or not request.path.startswith("/v1/"):
            return await handler(request)
        if request.headers.get("Upgrade", "").lower() == "websocket":
            raise InvalidRequest(_NO_WEBSOCKET, code="mock_websocket_not_recorded")
        return await recorder.forward(request, max_body)

    app.middlewares.append(proxy)


def status(recorder: Recorder) -> dict[str, Any]:
    """What GET /_mock/record shows: the mode, where it records to, how many rules."""
    upstream = recorder.settings.upstream.with_user(None).with_query(None)
    return {
        "object": "mockserver.record",
        "mode": recorder.mode,
        "upstream": str(upstream),
        "file": str(recorder.settings.out),
        "scenario": recorder.settings.name,
        "rules": len(recorder.cassette.rules),
    }

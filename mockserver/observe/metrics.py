"""Prometheus metrics for /_mock/metrics: what the mock answered, streamed and injected.

Each app gets its own registry (tests build many apps in one process; the global registry
would mix them and refuse duplicate names). `install(app, metrics)` adds the route and counts
open event streams itself through `on_response_prepare`, so handlers need no metrics calls;
the middleware that finishes an Exchange calls `observe(ex)` once per request.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import hdrs, web
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import choose_encoder

from mockserver.http.exchange import RATE_LIMITED_NOTE, Exchange

METRICS_PATH = "/_mock/metrics"
_ADMIN_PREFIX = "/_mock/"
EVENT_STREAM = "text/event-stream"  # the Content-Type that makes an answer a stream
_RATE_LIMIT_STATUS = 429
# Set by the rate limiter (not by a scripted `error: rate_limit_exceeded` rule, which is a
# fault the scenario asked for): the Exchange note that marks a limiter rejection.


class Metrics:
    """The counters of one app. `observe` is on the hot path: a dict lookup and a few adds;
    read the registry through `exposition` or `handle` (they add the pending counts)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._requests = Counter(
            "mockserver_requests",
            "API requests answered, by scenario, rule and HTTP status (admin routes excluded).",
            ["scenario", "rule", "status"],
            registry=self.registry,
        )
        self._streams_open = Gauge(
            "mockserver_streams_open",
            "Server-sent event streams being written right now.",
            registry=self.registry,
        )
        self._sockets_open = Gauge(
            "mockserver_websockets_open",
            "WebSocket-mode connections open right now.",
            registry=self.registry,
        )
        self._events = Counter(
            "mockserver_events_sent",
            "Server-sent events written, by scenario.",
            ["scenario"],
            registry=self.registry,
        )
        self._faults = Counter(
            "mockserver_faults_injected",
            "Scripted faults applied (disconnects, stalls, malformed frames...), by kind.",
            ["scenario", "kind"],
            registry=self.registry,
        )
        self._rate_limited = Counter(
            "mockserver_rate_limit_rejections",
            "Requests rejected with 429 by the live rate limiter, by scenario.",
            ["scenario"],
            registry=self.registry,
        )
        # labels() takes a lock and validates on every call; the children are cached here
        # because the label sets are few (scenarios x rules x statuses).
        self._children: dict[tuple[Any, ...], Any] = {}
        # The requests counted since the last exposition, by the exchange's own values (no
        # label strings built): [child, count] pairs, added to the children when the registry
        # is read, so a request costs an add, not the child's locked `inc`.
        self._request_counts: dict[tuple[str | None, str | None, int | None], list[Any]] = {}
        self.open_streams = 0  # the gauge's value, readable without the registry (shutdown logs)

    def _child(self, metric: Counter, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child

    def observe(self, ex: Exchange) -> None:
        """Count one finished exchange."""
        if ex.path.startswith(_ADMIN_PREFIX):
            return
        key = (ex.scenario, ex.rule, ex.status)
        counted = self._request_counts.get(key)
        if counted is None:  # the child is made now: its series starts with its first request
            status = str(ex.status) if ex.status is not None else ""
            child = self._child(self._requests, ex.scenario or "", ex.rule or "", status)
            counted = self._request_counts[key] = [child, 0]
        counted[1] += 1
        if ex.events_sent:
            self._child(self._events, ex.scenario or "").inc(ex.events_sent)
        if ex.fault:
            for kind in _fault_kinds(ex.fault):
                self._child(self._faults, ex.scenario or "", kind).inc()
        if ex.status == _RATE_LIMIT_STATUS and RATE_LIMITED_NOTE in ex.notes:
            self._child(self._rate_limited, ex.scenario or "").inc()

    def stream_opened(self) -> None:
        self.open_streams += 1
        self._streams_open.inc()

    def stream_closed(self) -> None:
        self.open_streams -= 1
        self._streams_open.dec()

    @contextmanager
    def streaming(self) -> Iterator[None]:
        """Count a stream as open for the duration of the block (for writers outside aiohttp)."""
        self.stream_opened()
        try:
            yield
        finally:
            self.stream_closed()

    @contextmanager
    def socket_open(self) -> Iterator[None]:
        """Count a WebSocket-mode connection as open for the duration of the block."""
        self._sockets_open.inc()
        try:
            yield
        finally:
            self._sockets_open.dec()

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        self._add_counts()
        return generate_latest(self.registry)

    def _add_counts(self) -> None:
        """The requests counted since the registry was last read, into their children."""
        for counted in self._request_counts.values():
            if counted[1]:
                counted[0].inc(counted[1])
                counted[1] = 0

    async def handle(self, request: web.Request) -> web.Response:
        """GET /_mock/metrics: Prometheus' text format, or OpenMetrics when the scraper asks."""
        encode, content_type = choose_encoder(request.headers.get("Accept", ""))
        self._add_counts()
        return web.Response(body=encode(self.registry), headers={"Content-Type": content_type})

    async def on_response_prepare(self, request: web.Request, response: web.StreamResponse) -> None:
        """The hook `install` adds (an app built by create_app has the middleware's one hook
        call `count_stream` instead): an event stream counts as open."""
        # The header itself: `response.content_type` parses it on every answer.
        if response.headers.get(hdrs.CONTENT_TYPE, "").startswith(EVENT_STREAM):
            self.count_stream()

    def count_stream(self) -> None:
        """An event stream's headers are going out: it is open until the task handling
        this one request ends, whether it finished, was cut by a fault, or was cancelled
        because the client left. (request.task is the connection's task, which outlives
        the request on keep-alive; prepare() runs inside the per-request task, so
        current_task() is the right one.)"""
        task = asyncio.current_task()
        if task is None:  # prepare() outside a task: nothing would tell us when it ends
            return
        self.stream_opened()
        task.add_done_callback(self._on_stream_task_done)

    def _on_stream_task_done(self, _task: asyncio.Task[Any]) -> None:
        self.stream_closed()


@functools.lru_cache(maxsize=256)
def _fault_kinds(fault: str) -> tuple[str, ...]:
    """`disconnect@after_events=6+stall@...` -> ("disconnect", "stall"): the kinds only, so
    that the label set stays small whatever the parameters."""
    return tuple(part.split("@", 1)[0] for part in fault.split("+"))


METRICS_KEY = web.AppKey("mockserver.observe.metrics", Metrics)


def install(
    app: web.Application, metrics: Metrics | None = None, *, prepare_hook: bool = True
) -> Metrics:
    """Add GET /_mock/metrics and stream counting to an app that is not frozen yet.
    `prepare_hook=False`: the app's own on_response_prepare hook calls `count_stream`
    (create_app's does: each hook is a coroutine call on every answer)."""
    metrics = metrics or Metrics()
    app[METRICS_KEY] = metrics
    app.router.add_get(METRICS_PATH, metrics.handle)
    if prepare_hook:
        app.on_response_prepare.append(metrics.on_response_prepare)
    return metrics


def observe(app: web.Application, ex: Exchange) -> None:
    """Count `ex` in the app's metrics (a no-op for apps built without them)."""
    metrics = app.get(METRICS_KEY)
    if metrics is not None:
        metrics.observe(ex)

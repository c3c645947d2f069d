"""Prometheus metrics: the counters count exactly what a test did."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import openai
import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestClient
from conftest import StartServer
from openai import AsyncOpenAI
from prometheus_client.parser import text_string_to_metric_families
from pytest_aiohttp import AiohttpClient

from mockserver.app import create_app
from mockserver.config import Config
from mockserver.http.exchange import RATE_LIMITED_NOTE, Exchange
from mockserver.observe.metrics import Metrics, install

REPO = Path(__file__).resolve().parents[3]


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, keyed by name and sorted labels."""
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def _ex(path: str = "/v1/responses", **changes: object) -> Exchange:
    ex = Exchange(request_id="req_1", method="POST", path=path, started_at=0.0, status=200)
    for name, value in changes.items():
        setattr(ex, name, value)
    return ex


def test_observe_counts_requests_events_faults_and_rate_limits() -> None:
    m = Metrics()
    m.observe(_ex(scenario="s", rule="a"))
    m.observe(_ex(scenario="s", rule="a"))
    m.observe(_ex(scenario="s", rule="b", stream=True, events_sent=12, fault="disconnect"))
    m.observe(
        _ex(scenario="s", status=429, error_code="rate_limit_exceeded", notes=[RATE_LIMITED_NOTE])
    )
    # A scripted 429 (an `error:` rule) is not a limiter rejection.
    m.observe(_ex(scenario="s", rule="throttle", status=429, error_code="rate_limit_exceeded"))
    m.observe(_ex())  # zero-config: no scenario, no rule
    m.observe(_ex(path="/_mock/health", method="GET"))  # admin routes are not API traffic
    got = samples(m.exposition().decode())
    req = "mockserver_requests_total"
    assert got[(req, (("rule", "a"), ("scenario", "s"), ("status", "200")))] == 2
    assert got[(req, (("rule", "b"), ("scenario", "s"), ("status", "200")))] == 1
    assert got[(req, (("rule", ""), ("scenario", "s"), ("status", "429")))] == 1
    assert got[(req, (("rule", "throttle"), ("scenario", "s"), ("status", "429")))] == 1
    assert got[(req, (("rule", ""), ("scenario", ""), ("status", "200")))] == 1
    assert sum(v for (name, _), v in got.items() if name == req) == 6
    assert got[("mockserver_events_sent_total", (("scenario", "s"),))] == 12
    assert (
        got[("mockserver_faults_injected_total", (("kind", "disconnect"), ("scenario", "s")))] == 1
    )
    assert got[("mockserver_rate_limit_rejections_total", (("scenario", "s"),))] == 1
    assert got[("mockserver_streams_open", ())] == 0


def test_registries_are_per_app() -> None:
    first, second = Metrics(), Metrics()
    first.observe(_ex(scenario="s"))
    assert "mockserver_requests_total{" not in second.exposition().decode()


def test_streaming_context_manager_balances_the_gauge() -> None:
    m = Metrics()
    with m.streaming(), m.streaming():
        assert samples(m.exposition().decode())[("mockserver_streams_open", ())] == 2
    assert samples(m.exposition().decode())[("mockserver_streams_open", ())] == 0


async def test_open_streams_gauge_follows_sse_responses(
    aiohttp_client: AiohttpClient,
) -> None:
    """The gauge rises when an SSE response starts and falls when its request ends,
    also on keep-alive connections that outlive the request, and when the client leaves."""
    release = asyncio.Event()

    async def sse(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b"data: 1\n\n")
        await release.wait()
        await resp.write(b"data: [DONE]\n\n")
        return resp

    async def plain(request: web.Request) -> web.Response:
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/sse", sse)
    app.router.add_get("/plain", plain)
    metrics = install(app)
    client: TestClient[web.Request, web.Application] = await aiohttp_client(app)

    def open_now() -> float:
        return samples(metrics.exposition().decode())[("mockserver_streams_open", ())]

    resp = await client.get("/sse")
    assert await resp.content.readuntil(b"\n\n") == b"data: 1\n\n"
    await client.get("/plain")
    assert open_now() == 1
    release.set()
    assert (await resp.read()).endswith(b"[DONE]\n\n")
    await asyncio.sleep(0)
    assert open_now() == 0

    # A client that leaves mid-stream: the handler is cancelled, the gauge still falls.
    release.clear()
    resp = await client.get("/sse")
    await resp.content.readuntil(b"\n\n")
    assert open_now() == 1
    resp.close()
    for _ in range(50):
        if open_now() == 0:
            break
        await asyncio.sleep(0.01)
    assert open_now() == 0

    exposition = await client.get("/_mock/metrics")
    assert exposition.status == 200
    assert exposition.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE mockserver_streams_open gauge" in await exposition.text()
    openmetrics = await client.get(
        "/_mock/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert openmetrics.headers["Content-Type"].startswith("application/openmetrics-text")
    assert (await openmetrics.text()).endswith("# EOF\n")


async def test_metrics_count_what_the_sdk_did(aiohttp_client: AiohttpClient) -> None:
    client: TestClient[web.Request, web.Application] = await aiohttp_client(
        create_app(Config(seed=3))
    )
    base_url = str(client.make_url("/v1"))
    async with AsyncOpenAI(base_url=base_url, api_key="key-a", max_retries=0) as sdk:
        for _ in range(3):
            await sdk.responses.create(model="gpt-4o-mini", input="Say hi")
        with pytest.raises(openai.NotFoundError):
            await sdk.responses.retrieve("resp_missing")
    assert (await client.post("/v1/responses", json={})).status == 401  # no key
    await client.get("/_mock/metrics")  # scrapes are not API traffic

    got = samples(await (await client.get("/_mock/metrics")).text())
    req = "mockserver_requests_total"
    zero_config_ok = (req, (("rule", ""), ("scenario", ""), ("status", "200")))
    assert got[zero_config_ok] == 3
    assert got[(req, (("rule", ""), ("scenario", ""), ("status", "404")))] == 1
    assert got[(req, (("rule", ""), ("scenario", ""), ("status", "401")))] == 1
    assert sum(v for (name, _), v in got.items() if name == req) == 5
    assert got[("mockserver_streams_open", ())] == 0


LIVE_LIMIT = """
name: one-per-minute
rate_limits: {requests_per_minute: 1}
rules:
  - reply: [{message: "ok"}]
"""


async def test_metrics_count_scenarios_streams_faults_and_limits(
    start_server: StartServer, tmp_path: Path
) -> None:
    (tmp_path / "limit.yaml").write_text(LIVE_LIMIT)
    gallery = REPO / "scenarios"
    server = await start_server(
        seed=5,
        scenarios=(
            gallery / "plain-chat.yaml",
            gallery / "cut-stream.yaml",
            gallery / "rate-limited-then-ok.yaml",
            tmp_path,
        ),
    )

    def using(name: str) -> dict[str, Any]:
        return {"extra_headers": {"X-Mock-Scenario": name}}

    async with server.client() as sdk:
        for text in ("hello", "hi there", "what is the capital of France?"):
            await sdk.responses.create(model="gpt-4o-mini", input=text, **using("plain-chat"))
        stream = await sdk.responses.create(
            model="gpt-4o-mini", input="hello", stream=True, **using("plain-chat")
        )
        streamed = [event async for event in stream]
        cut = await sdk.responses.create(
            model="gpt-4o-mini", input="go", stream=True, **using("cut-stream")
        )
        with pytest.raises(openai.APIConnectionError):
            async for _ in cut:
                pass
        for _ in range(3):  # scripted 429 twice, then the `ok` rule
            with contextlib.suppress(openai.RateLimitError):
                await sdk.responses.create(model="m", input="x", **using("rate-limited-then-ok"))
        await sdk.responses.create(model="m", input="x", **using("one-per-minute"))
        with pytest.raises(openai.RateLimitError):  # the live limiter refuses the second
            await sdk.responses.create(model="m", input="x", **using("one-per-minute"))

    metrics_url = server.server.make_url("/_mock/metrics")
    async with ClientSession() as http, http.get(metrics_url) as resp:
        got = samples(await resp.text())

    def requests(scenario: str, rule: str, status: int) -> float:
        labels = (("rule", rule), ("scenario", scenario), ("status", str(status)))
        return got[("mockserver_requests_total", labels)]

    assert requests("plain-chat", "greeting", 200) == 3  # two creates and the stream
    assert requests("plain-chat", "capital", 200) == 1
    assert requests("cut-stream", "cut", 200) == 1
    assert requests("rate-limited-then-ok", "throttled", 429) == 2
    assert requests("rate-limited-then-ok", "ok", 200) == 1
    assert requests("one-per-minute", "rule-1", 200) == 1
    events = "mockserver_events_sent_total"
    assert got[(events, (("scenario", "plain-chat"),))] == len(streamed)
    assert got[(events, (("scenario", "cut-stream"),))] == 6
    faults = (
        "mockserver_faults_injected_total",
        (("kind", "disconnect"), ("scenario", "cut-stream")),
    )
    assert got[faults] == 1
    limited = "mockserver_rate_limit_rejections_total"
    assert {labels: v for (name, labels), v in got.items() if name == limited} == {
        (("scenario", "one-per-minute"),): 1  # the scripted 429s are not limiter rejections
    }
    assert got[("mockserver_streams_open", ())] == 0

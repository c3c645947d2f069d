"""The store gives memory back: a reset frees the bodies at once, and tenants are bounded.

Before: a stored response and its tenant (and a streamed one and its Run) referred to each
other, so after a reset their bodies waited for a full garbage collection (rare under the
serving GC thresholds): three rounds of 20 MB reached 1.6 GB. And every API key made a tenant
that was never forgotten (20,000 keys: +165 MB).
"""

from __future__ import annotations

import gc
import io
import json
import logging
import tracemalloc

import pytest
from aiohttp import ClientSession
from conftest import StartServer

from mockserver.appkeys import STORE
from mockserver.config import Config
from mockserver.pipeline.store import Store

KB = 1 << 10
MB = 1 << 20


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
async def test_a_reset_frees_stored_bodies_without_a_garbage_collection(
    start_server: StartServer, stream: bool
) -> None:
    mock = await start_server(Config(seed=3))
    headers = {"Authorization": "Bearer sk-mem", "Content-Type": "application/json"}
    body = json.dumps({"model": "gpt-4.1", "input": "m" * (200 * KB), "stream": stream}).encode()
    async with ClientSession(base_url=mock.root, headers=headers) as http:
        for _ in range(2):  # warm up
            async with http.post("/v1/responses", data=io.BytesIO(body)) as resp:
                await resp.read()
        async with http.post("/_mock/reset") as resp:
            assert resp.status == 200
        gc.collect()
        gc.disable()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(10):
                async with http.post("/v1/responses", data=io.BytesIO(body)) as resp:
                    assert resp.status == 200
                    await resp.read()
            held = tracemalloc.get_traced_memory()[0] - before
            async with http.post("/_mock/reset") as resp:
                assert resp.status == 200
            after = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
            gc.enable()
    assert held > 2 * MB  # ten stored inputs, the journal's copies
    assert after < MB / 2, f"{after / MB:.1f} MB still held after the reset"


def test_the_least_recently_used_tenant_is_forgotten_past_the_limit() -> None:
    store = Store(seed=1, max_stored=100, max_tenants=3)
    a = store.tenant("a")
    store.tenant("b")
    store.tenant("c")
    assert store.tenant("a") is a  # a is now the most recently used
    store.tenant("d")
    assert store.find_tenant("b") is None
    assert {t.name for t in store.tenants()} == {store.tenant(k).name for k in "acd"}
    assert store.tenants_evicted == 1


def test_a_forgotten_tenant_takes_its_stored_responses_along() -> None:
    from mockserver.pipeline.store import StoredResponse

    store = Store(seed=1, max_stored=100, max_tenants=1)
    first = store.tenant("first")
    store.put(first, "resp_1", StoredResponse(first, {"id": "resp_1"}, [], None))
    assert store.stored_count == 1
    store.tenant("second")
    assert store.stored_count == 0 and first.responses == {}


async def test_many_api_keys_stay_within_the_tenant_limit(start_server: StartServer) -> None:
    mock = await start_server(Config(seed=3, max_tenants=50))
    async with ClientSession(base_url=mock.root) as http:
        for n in range(200):
            async with http.get("/v1/models", headers={"Authorization": f"Bearer k{n}"}) as r:
                assert r.status == 200
    assert len(mock.app[STORE].tenants()) == 50


def test_a_full_store_warns_at_powers_of_ten_not_on_every_eviction(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from mockserver.pipeline.store import StoredResponse

    store = Store(seed=1, max_stored=2)
    tenant = store.tenant("k")
    with caplog.at_level(logging.DEBUG, logger="mockserver.store"):
        for n in range(105):
            rid = f"resp_{n}"
            store.put(tenant, rid, StoredResponse(tenant, {"id": rid}, [], None))
    assert store.stored_count == 2 and set(tenant.responses) == {"resp_103", "resp_104"}
    assert store.evictions.count == 103
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [w.split()[1] for w in warnings] == ["resp_0", "resp_9", "resp_99"]
    assert "100 responses evicted so far" in warnings[2] and "next warning at 1000" in warnings[2]
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert len(debug) == 100 and debug[0] == "evicted resp_1 (--max-stored 2 reached)"

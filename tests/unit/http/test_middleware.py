"""The one middleware: exchange record, auth on /v1/, errors as API errors, OpenAI headers."""

from __future__ import annotations

from typing import Any

from mockserver.app import create_app
from mockserver.appkeys import EXCHANGE_SINKS
from mockserver.config import Config
from mockserver.http.exchange import Exchange
from mockserver.pipeline.middleware import Edge


async def test_one_middleware_records_auth_errors_and_not_found(aiohttp_client: Any) -> None:
    app = create_app(Config(seed=7, api_keys=("good",)))
    [middleware] = app.middlewares
    assert isinstance(middleware.__self__, Edge)  # type: ignore[attr-defined]
    seen: list[Exchange] = []
    app[EXCHANGE_SINKS].append(seen.append)
    client = await aiohttp_client(app)

    missing = await client.post("/v1/responses", json={"model": "gpt-4o", "input": "hi"})
    assert missing.status == 401
    assert (await missing.json())["error"]["code"] == "authentication_required"
    assert missing.headers["x-request-id"].startswith("req_")
    assert missing.headers["openai-version"] and "openai-processing-ms" in missing.headers

    wrong = await client.get("/v1/models", headers={"Authorization": "Bearer bad-key-123"})
    assert (await wrong.json())["error"]["code"] == "invalid_api_key"

    headers = {"Authorization": "Bearer good", "x-stainless-retry-count": "2"}
    nowhere = await client.get("/v1/nowhere", headers=headers)
    assert nowhere.status == 404
    assert (await nowhere.json())["error"]["message"] == "Invalid URL (GET /v1/nowhere)"

    assert [(e.status, e.error_code) for e in seen] == [
        (401, "authentication_required"),
        (401, "invalid_api_key"),
        (404, seen[2].error_code),
    ]
    assert seen[2].tenant is not None and seen[2].retry_count == 2
    assert all(e.duration_ms is not None for e in seen)
    assert missing.headers["x-request-id"] == seen[0].request_id


def test_request_ids_are_the_seeded_128_bits_as_32_hex_digits() -> None:
    """open_exchange's id is `f"req_{bits:032x}"` of the app's seeded request stream (written
    in fewer steps): leading zeros kept, the same ids for the same seed."""
    import random

    from mockserver.pipeline.middleware import open_exchange

    app = create_app(Config(seed=7))
    expected = random.Random("requests:7")
    for _ in range(200):
        ex = open_exchange(app, "POST", "/v1/responses", 0)
        assert ex.request_id == f"req_{expected.getrandbits(128):032x}"
        assert ex.retry_count == 0
    assert open_exchange(app, "GET", "/v1/models", 3).retry_count == 3


async def test_accepted_authorization_headers_are_kept_refused_ones_never(
    aiohttp_client: Any,
) -> None:
    """Edge keeps an accepted Authorization header's key (bounded); a refused header is not
    kept, so it is refused each time, before and after a good one."""
    app = create_app(Config(seed=7, api_keys=("good", "other")))
    [middleware] = app.middlewares
    edge: Edge = middleware.__self__  # type: ignore[attr-defined]
    client = await aiohttp_client(app)

    for _ in range(2):
        for header, status in (("Bearer good", 200), ("Bearer bad", 401), ("bearer  other", 200)):
            answer = await client.get("/v1/models", headers={"Authorization": header})
            assert answer.status == status, header
    assert edge.keys == {"Bearer good": "good", "bearer  other": "other"}

    edge.keys.update({f"Bearer x{n}": "good" for n in range(2000)})
    assert edge.accept("Bearer other") == "other"
    assert edge.keys == {"Bearer other": "other"}  # full: cleared, then the new one kept

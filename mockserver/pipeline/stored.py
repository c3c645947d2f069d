"""The lifecycles of a stored response: retrieve, delete, cancel, list its input items.

Each finds the tenant's response (another tenant's is a 404), then does one thing; a
streamed or background response's Run answers GET ?stream=true, stops on delete, and is
cancelled on cancel (mockserver.pipeline.streamed).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockserver.appkeys import STORE
from mockserver.catalog import effects
from mockserver.errors import InvalidRequest, NotFound
from mockserver.pipeline import streamed
from mockserver.pipeline.middleware import exchange_of, tenant_of
from mockserver.pipeline.store import StoredResponse

JSON = "application/json"


async def retrieve(request: web.Request) -> web.StreamResponse:
    stored = find_response(request)
    if streamed.wants_stream(request.query):  # replays a stream's events (resume)
        return await streamed.replay(request, stored)
    return web.Response(body=stored.body, content_type=JSON)


def delete(request: web.Request) -> web.Response:
    stored = find_response(request)
    rid = request.match_info["response_id"]
    streamed.stop(stored)  # a running background response stops
    request.app[STORE].delete(stored.tenant, rid)
    return web.json_response({"id": rid, "object": "response", "deleted": True})


def cancel(request: web.Request) -> web.Response:
    stored = find_response(request)
    if not stored.background:
        raise InvalidRequest(
            "Only responses created with background=true can be cancelled.",
            code="invalid_request",
            param=None,
        )
    return web.Response(body=streamed.cancel(stored), content_type=JSON)


def input_items(request: web.Request) -> list[dict[str, Any]]:
    """The response's input items, image urls shown only when `include[]` asks."""
    stored = find_response(request)
    query = request.query
    asked = [*query.getall("include[]", []), *query.getall("include", [])]
    return effects.input_items_with_includes(stored.input_items(), asked)


def find_response(request: web.Request) -> StoredResponse:
    rid = request.match_info["response_id"]
    if not rid.startswith("resp_"):
        raise InvalidRequest(
            f"Invalid 'response_id': '{rid}'. Expected an ID that begins with 'resp'.",
            code="invalid_response_id",
            param="response_id",
        )
    stored = tenant_of(request).responses.get(rid)
    if stored is None:
        raise NotFound(
            f"Response with id '{rid}' not found.", code="response_not_found", param="response_id"
        )
    exchange_of(request).response_id = rid
    return stored

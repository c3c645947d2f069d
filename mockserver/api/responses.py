"""Routes of /v1/responses: each calls its lifecycle in mockserver.pipeline.

POST creates (pipeline/create.py, where the steps stand in order); GET, DELETE, cancel and
input_items act on a stored response (pipeline/stored.py); GET without an id describes the
endpoint.
"""

from __future__ import annotations

from aiohttp import web

from mockserver import __version__
from mockserver.api import input_items as input_items_api
from mockserver.pipeline import compact, create, stored
from mockserver.websocket import session

routes = web.RouteTableDef()


@routes.post("/v1/responses")
async def create_response(request: web.Request) -> web.StreamResponse:
    return await create.create_response(request)


@routes.post("/v1/responses/compact")
async def compact_response(request: web.Request) -> web.Response:
    return await compact.compact(request)


@routes.get("/v1/responses")
async def endpoint_info(request: web.Request) -> web.StreamResponse:
    if session.is_upgrade(request):  # the WebSocket mode (mockserver/websocket/)
        return await session.serve(request)
    return web.json_response(
        {
            "object": "mockserver.endpoint",
            "name": "mockserver",
            "version": __version__,
            "api": "OpenAI Responses API (spec v2.3.0)",
            "endpoints": [f"{r.method} {r.path}" for r in routes if isinstance(r, web.RouteDef)],
        }
    )


@routes.get("/v1/responses/{response_id}")
async def retrieve_response(request: web.Request) -> web.StreamResponse:
    return await stored.retrieve(request)


@routes.delete("/v1/responses/{response_id}")
async def delete_response(request: web.Request) -> web.Response:
    return stored.delete(request)


@routes.post("/v1/responses/{response_id}/cancel")
async def cancel_response(request: web.Request) -> web.Response:
    return stored.cancel(request)


@routes.get("/v1/responses/{response_id}/input_items")
async def list_input_items(request: web.Request) -> web.Response:
    return web.json_response(input_items_api.page(stored.input_items(request), request.query))

"""Routes of the Conversations API, per tenant (another tenant's conversation is a 404).

POST /v1/conversations, GET/POST/DELETE /v1/conversations/{id},
GET/POST /v1/conversations/{id}/items, GET/DELETE /v1/conversations/{id}/items/{item_id}.
Each reads its body once, checks it (mockserver.conversations.body) and acts on the
tenant's conversations (mockserver.conversations.store); responses in a conversation add
their items through the create pipeline (mockserver.pipeline.conversations).
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from mockserver.api.input_items import page
from mockserver.appkeys import CONFIG, STORE
from mockserver.catalog.effects import input_items_with_includes
from mockserver.conversations import body as params
from mockserver.conversations.items import resources
from mockserver.conversations.store import Conversation, find
from mockserver.http.body import parse_json_object, read_body
from mockserver.pipeline.middleware import exchange_of, tenant_of

routes = web.RouteTableDef()


async def _body(request: web.Request, *, optional: bool = False) -> dict[str, Any]:
    raw = await read_body(request, request.app[CONFIG].max_body_bytes)
    return {} if optional and not raw.strip() else parse_json_object(raw)


def _conversation(request: web.Request) -> Conversation:
    conv_id = request.match_info["conversation_id"]
    exchange_of(request).conversation_id = conv_id
    return find(tenant_of(request).conversations, conv_id)


def _included(request: web.Request, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    query = request.query
    asked = [*query.getall("include[]", []), *query.getall("include", [])]
    return input_items_with_includes(items, asked)


@routes.post("/v1/conversations")
async def create_conversation(request: web.Request) -> web.Response:
    new = params.create_body(await _body(request, optional=True))
    tenant, config = tenant_of(request), request.app[CONFIG]
    now = config.freeze_time if config.freeze_time is not None else time.time()
    conversation = Conversation(tenant.ids.hex_id("conv"), int(now), new.metadata)
    conversation.add(resources(new.items, tenant.ids))
    request.app[STORE].conversations.put(tenant.conversations, conversation)
    exchange_of(request).conversation_id = conversation.id
    return web.json_response(conversation.resource())


@routes.get("/v1/conversations/{conversation_id}")
async def retrieve_conversation(request: web.Request) -> web.Response:
    return web.json_response(_conversation(request).resource())


@routes.post("/v1/conversations/{conversation_id}")
async def update_conversation(request: web.Request) -> web.Response:
    conversation = _conversation(request)
    conversation.metadata = params.update_body(await _body(request))
    return web.json_response(conversation.resource())


@routes.delete("/v1/conversations/{conversation_id}")
async def delete_conversation(request: web.Request) -> web.Response:
    conversation = _conversation(request)
    request.app[STORE].conversations.delete(tenant_of(request).conversations, conversation.id)
    return web.json_response(
        {"id": conversation.id, "object": "conversation.deleted", "deleted": True}
    )


@routes.get("/v1/conversations/{conversation_id}/items")
async def list_items(request: web.Request) -> web.Response:
    conversation = _conversation(request)
    listed = page(conversation.items(), request.query, owner="conversation")
    listed["data"] = _included(request, listed["data"])
    return web.json_response(listed)


@routes.post("/v1/conversations/{conversation_id}/items")
async def add_items(request: web.Request) -> web.Response:
    conversation = _conversation(request)
    items = resources(params.added_items(await _body(request)), tenant_of(request).ids)
    conversation.add(items)
    data = _included(request, items)
    return web.json_response(
        {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": False,
        }
    )


@routes.get("/v1/conversations/{conversation_id}/items/{item_id}")
async def retrieve_item(request: web.Request) -> web.Response:
    item = _conversation(request).item(request.match_info["item_id"])
    return web.json_response(_included(request, [item])[0])


@routes.delete("/v1/conversations/{conversation_id}/items/{item_id}")
async def delete_item(request: web.Request) -> web.Response:
    conversation = _conversation(request)
    conversation.remove(request.match_info["item_id"])
    return web.json_response(conversation.resource())

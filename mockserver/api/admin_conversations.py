"""Admin routes of a tenant's conversations (Conversations API): inspect them, forget them.

    GET    /_mock/conversations?tenant=KEY           its conversations, newest last, with items
    DELETE /_mock/conversations?tenant=KEY           forget them (responses and journal stay)

The tenant is named by its API key, as in every admin route; answers show its hash.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mockserver.api.admin import guarded, known_tenant, required_tenant_key
from mockserver.appkeys import STORE
from mockserver.conversations.store import Conversation

routes = web.RouteTableDef()


def conversation_json(conversation: Conversation) -> dict[str, Any]:
    return {
        **conversation.resource(),
        "compactions": conversation.compactions,
        "items": conversation.items(),
    }


@routes.get("/_mock/conversations")
@guarded
async def list_conversations(request: web.Request) -> web.Response:
    tenant = known_tenant(request, required_tenant_key(request))
    data = [conversation_json(c) for c in tenant.conversations.values()]
    return web.json_response({"object": "list", "tenant": tenant.name, "data": data})


@routes.delete("/_mock/conversations")
@guarded
async def forget_conversations(request: web.Request) -> web.Response:
    tenant = known_tenant(request, required_tenant_key(request))
    count = len(tenant.conversations)
    request.app[STORE].conversations.forget(tenant.conversations)
    return web.json_response(
        {"object": "mockserver.reset", "tenant": tenant.name, "conversations": count}
    )

"""Secrets a request carries are not sent back: an MCP tool's authorization."""

from __future__ import annotations

from openai import AsyncOpenAI
from specschema import validate

MCP = {
    "type": "mcp",
    "server_label": "deepwiki",
    "server_url": "https://mcp.example/mcp",
    "authorization": "Bearer sk-secret-mcp-token",
    "require_approval": "never",
}


async def test_an_mcp_tools_authorization_is_not_echoed(client: AsyncOpenAI) -> None:
    response = await client.responses.create(model="gpt-4o", input="hi", tools=[MCP])  # type: ignore[list-item]
    body = response.model_dump(mode="json", exclude_unset=True)
    validate(body, "Response")
    (tool,) = body["tools"]
    assert tool["server_label"] == "deepwiki" and "authorization" not in tool
    assert "sk-secret-mcp-token" not in response.model_dump_json()
    stored = await client.responses.retrieve(response.id)
    assert "sk-secret-mcp-token" not in stored.model_dump_json()

"""Credentials in request headers never reach the journal."""

from __future__ import annotations

from aiohttp import ClientSession

SECRETS = {
    "Proxy-Authorization": "Basic cHJveHk6c2VjcmV0",
    "X-Api-Key": "sk-secret-x-api-key",
    "Api-Key": "sk-secret-azure-key",
    "Cookie": "session=secret-cookie",
}


async def test_secret_headers_are_redacted_in_the_journal(http: ClientSession) -> None:
    body = {"model": "gpt-4o", "input": "hi"}
    async with http.post("/v1/responses", json=body, headers=SECRETS) as resp:
        assert resp.status == 200
    async with http.get("/_mock/requests") as resp:
        text = await resp.text()
        (entry,) = (await resp.json())["data"]
    for name, value in SECRETS.items():
        assert value not in text
        assert entry["request"]["headers"][name.lower()] == "<redacted>"
    assert "test-key" not in text  # the API key itself

"""What a bound cut in a generated answer is said in the journal entry of its request."""

from __future__ import annotations

from aiohttp import ClientSession


async def test_a_budget_cut_is_noted_in_the_journal(http: ClientSession) -> None:
    item = {"type": "string", "minLength": 65536}
    array = {"type": "array", "items": item, "minItems": 7, "maxItems": 7}
    schema = {"type": "object", "properties": {f"p{i}": array for i in range(256)}}
    fmt = {"type": "json_schema", "name": "big", "schema": schema}
    body = {"model": "gpt-4o", "input": "hi", "text": {"format": fmt}}
    async with http.post("/v1/responses", json=body) as resp:
        assert resp.status == 200
    async with http.post("/v1/responses", json={"model": "gpt-4o", "input": "plain"}) as resp:
        assert resp.status == 200
    async with http.get("/_mock/requests") as resp:
        cut, plain = (await resp.json())["data"]
    assert any("size budget of 65536 bytes" in note for note in cut["notes"]), cut["notes"]
    assert plain["notes"] == []

"""The journal is bounded by the bodies it keeps, not only by entries, and it lists in pages.

Before: 20 x 1 MB bodies added ~500 MB (whole parsed bodies, 10,000 entries allowed), and one
GET /_mock/requests of 202 MB held the event loop ~5 s.
"""

from __future__ import annotations

import io
import json
from typing import Any

from aiohttp import ClientSession
from conftest import StartServer

from mockserver.admin_client import AsyncAdminClient
from mockserver.api.admin import JOURNAL
from mockserver.config import Config
from mockserver.http.exchange import Exchange
from mockserver.observe.journal import BODY_KEPT_WHOLE, ENTRY_COST, STRING_KEPT, Journal, Query

KB = 1024


def _ex(body: Any, size: int, tenant: str = "t") -> Exchange:
    return Exchange(
        "req_1", "POST", "/v1/responses", 100.0, tenant=tenant, body=body, body_bytes=size
    )


def test_the_oldest_entries_go_when_the_bodies_pass_the_byte_limit() -> None:
    j = Journal(1000, max_bytes=10 * (ENTRY_COST + 100 * KB))
    for n in range(25):
        j.record(_ex({"input": "x" * (100 * KB), "n": n}, 100 * KB))
    assert len(j) == 10
    assert [e.exchange.body["n"] for e in j] == list(range(15, 25))
    assert j.bytes <= j.max_bytes
    j.clear("t")
    assert len(j) == 0 and j.bytes == 0


def test_a_large_body_is_kept_with_long_strings_cut_and_says_so() -> None:
    j = Journal(10)
    big = "y" * (BODY_KEPT_WHOLE + 10)
    j.record(_ex({"input": [{"role": "user", "content": big}], "model": "m"}, len(big) + 60))
    (entry,) = j
    shown = entry.as_json()
    content = shown["request"]["body"]["input"][0]["content"]
    assert content == "y" * STRING_KEPT + "\u2026"
    assert shown["request"]["body"]["model"] == "m"
    assert any(
        "strings cut" in note and str(len(big) - STRING_KEPT) in note for note in shown["notes"]
    )
    assert j.bytes < 2 * (ENTRY_COST + STRING_KEPT + 60)


def test_an_entry_larger_than_the_limit_is_still_the_newest_kept() -> None:
    j = Journal(10, max_bytes=ENTRY_COST)
    j.record(_ex({"n": 1}, 200 * KB))
    j.record(_ex({"n": 2}, 200 * KB))
    assert [e.exchange.body["n"] for e in j] == [2]


def test_pages_follow_seq_and_stop_at_the_page_bytes() -> None:
    j = Journal(100)
    j.page_bytes = 3 * (ENTRY_COST + KB)
    for n in range(10):
        j.record(_ex({"n": n}, KB, tenant="a" if n % 2 else "b"))
    first = j.page(Query())
    assert [e.seq for e in first.entries] == [1, 2, 3] and first.has_more
    second = j.page(Query(after=first.last_seq))
    assert [e.seq for e in second.entries] == [4, 5, 6]
    assert [e.seq for e in j.page(Query(after=6, limit=2)).entries] == [7, 8]
    assert j.page(Query(after=6, limit=2)).has_more
    last = j.page(Query(after=8))
    assert [e.seq for e in last.entries] == [9, 10] and not last.has_more
    assert [e.seq for e in j.page(Query(tenant="a", after=3, limit=2)).entries] == [4, 6]
    assert [e.seq for e in j.page(Query(limit=2)).entries] == [9, 10]  # the newest N


async def test_listing_pages_over_http_and_the_admin_client_follows_them(
    start_server: StartServer,
) -> None:
    mock = await start_server(Config(seed=3))
    journal = mock.app[JOURNAL]
    journal.page_bytes = 4 * (ENTRY_COST + 20 * KB)
    headers = {"Authorization": "Bearer sk-page", "Content-Type": "application/json"}
    async with ClientSession(base_url=mock.root) as http:
        for n in range(10):
            body = json.dumps({"model": "gpt-4o-mini", "input": f"{n} " + "z" * (20 * KB)})
            async with http.post(
                "/v1/responses", data=io.BytesIO(body.encode()), headers=headers
            ) as r:
                assert r.status == 200
        async with http.get("/_mock/requests") as r:
            first = await r.json()
        assert len(first["data"]) < 10 and first["has_more"] is True
        async with http.get(f"/_mock/requests?after={first['last_seq']}") as r:
            second = await r.json()
        assert second["data"][0]["seq"] == first["last_seq"] + 1
        async with http.get("/_mock/requests?after=-1") as r:
            assert r.status == 400
            assert (await r.json())["error"]["param"] == "after"
    async with AsyncAdminClient(mock.root) as admin:
        every = await admin.requests(tenant="sk-page")
        newest = await admin.requests(tenant="sk-page", limit=7)
    assert [e.seq for e in every] == list(range(1, 11))
    assert [e.seq for e in newest] == list(range(4, 11))
    assert [e.body["input"].split()[0] for e in every] == [str(n) for n in range(10)]

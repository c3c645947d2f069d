"""The request journal: what each entry holds, filters, clearing, bounds, and concurrency."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import openai
import pytest
from aiohttp import ClientSession
from conftest import RunningServer, StartServer

from mockserver.http.exchange import REDACTED, Exchange
from mockserver.observe.journal import Journal, Query
from mockserver.pipeline.store import tenant_hash

SCRIPT = {
    "name": "script",
    "rules": [
        {"name": "flaky", "when": {"input_contains": "flaky"}, "times": 2, "error": "server_error"},
        {"name": "hello", "when": {"input_contains": "hello"}, "reply": [{"message": "Hi there."}]},
        {
            "name": "cut",
            "when": {"input_contains": "cut"},
            "reply": [{"message": "one two three four five six seven eight nine ten"}],
            "fault": {"kind": "disconnect", "after_events": 5},
        },
        {"name": "echo", "when": {"input_matches": "^echo"}, "reply": [{"message": "{{ input }}"}]},
    ],
}


@pytest.fixture
async def server(start_server: StartServer) -> RunningServer:
    server = await start_server(seed=5)
    async with ClientSession(base_url=server.root) as admin:
        assert (await admin.post("/_mock/scenarios", json=SCRIPT)).status == 201
    return server


@pytest.fixture
async def admin(server: RunningServer) -> AsyncIterator[ClientSession]:
    async with ClientSession(base_url=server.root) as session:
        yield session


async def journal(admin: ClientSession, query: str = "") -> list[dict[str, Any]]:
    resp = await admin.get(f"/_mock/requests{query}")
    assert resp.status == 200, await resp.text()
    data: list[dict[str, Any]] = (await resp.json())["data"]
    return data


async def ask(server: RunningServer, key: str, text: str, **kwargs: Any) -> Any:
    async with server.client(key, default_headers={"X-Mock-Scenario": "script"}) as sdk:
        return await sdk.responses.create(model="gpt-4o", input=text, **kwargs)


async def test_an_entry_holds_the_request_and_what_answered_it(
    server: RunningServer, admin: ClientSession
) -> None:
    before = time.time()
    await ask(server, "sk-secret-key-1", "hello", metadata={"run": "1"})
    (entry,) = await journal(admin)
    assert entry["method"] == "POST" and entry["path"] == "/v1/responses"
    assert entry["tenant"] == tenant_hash("sk-secret-key-1")
    assert (entry["scenario"], entry["rule"], entry["unmatched"]) == ("script", "hello", None)
    assert (entry["status"], entry["error"], entry["fault"], entry["stream"]) == (
        200,
        None,
        None,
        None,
    )
    assert entry["request"]["body"] == {
        "model": "gpt-4o",
        "input": "hello",
        "metadata": {"run": "1"},
    }
    assert entry["request"]["headers"]["authorization"] == REDACTED
    assert entry["request"]["headers"]["x-mock-scenario"] == "script"
    assert entry["response_id"].startswith("resp_") and entry["retry_count"] == 0
    assert before <= entry["started_at"] <= time.time() and entry["duration_ms"] > 0
    assert entry["time"] == datetime.fromtimestamp(entry["started_at"], UTC).isoformat(
        timespec="milliseconds"
    ).replace("+00:00", "Z")
    assert entry["request_id"].startswith("req_") and entry["expectations"] == []


async def test_no_entry_ever_shows_an_api_key(server: RunningServer, admin: ClientSession) -> None:
    keys = ["sk-proj-abcdefghijklmnop", "sk-other-0123456789"]
    for key in keys:
        await ask(server, key, "hello")
        await ask(server, key, "echo sk-proj in text is the user's own business")
    text = await (await admin.get("/_mock/requests")).text()
    assert not any(key in text for key in keys)


async def test_unmatched_requests_say_why(server: RunningServer, admin: ClientSession) -> None:
    with pytest.raises(openai.BadRequestError):
        await ask(server, "k", "nothing fits")
    (entry,) = await journal(admin, "?unmatched=true")
    assert (entry["status"], entry["error"], entry["rule"]) == (400, "mock_no_rule_matched", None)
    closest = {m["rule"]: m["misses"] for m in entry["unmatched"]}
    assert closest["hello"] == [
        {"key": "input_contains", "expected": "hello", "got": "nothing fits"}
    ]
    assert await journal(admin, "?unmatched=false") == []


async def test_errors_and_retries_are_recorded(server: RunningServer, admin: ClientSession) -> None:
    # The SDK retries a 500 twice: `times: 2` is then used up and nothing matches (400).
    headers = {"X-Mock-Scenario": "script"}
    async with server.client("k", max_retries=2, default_headers=headers) as sdk:
        with pytest.raises(openai.BadRequestError):
            await sdk.responses.create(model="gpt-4o", input="flaky")
    entries = await journal(admin)
    assert [(e["rule"], e["status"], e["error"], e["retry_count"]) for e in entries] == [
        ("flaky", 500, "server_error", 0),
        ("flaky", 500, "server_error", 1),
        (None, 400, "mock_no_rule_matched", 2),  # `times: 2` used up, nothing else fits
    ]


async def test_streams_record_how_far_they_got(server: RunningServer, admin: ClientSession) -> None:
    async with server.client("k", default_headers={"X-Mock-Scenario": "script"}) as sdk:
        stream = await sdk.responses.create(model="gpt-4o", input="hello", stream=True)
        events = [event async for event in stream]
        with pytest.raises(openai.APIError):
            cut = await sdk.responses.create(model="gpt-4o", input="cut", stream=True)
            async for _ in cut:
                pass
    whole, broken = await journal(admin)
    assert whole["stream"] == {"events_sent": len(events), "completed": True}
    assert broken["stream"]["completed"] is False and broken["fault"].startswith("disconnect")
    assert broken["stream"]["events_sent"] == 5


async def test_filters(server: RunningServer, admin: ClientSession) -> None:
    await ask(server, "k1", "hello")
    middle = time.time()
    await ask(server, "k2", "hello")
    await ask(server, "k2", "echo me")
    with pytest.raises(openai.BadRequestError):
        await ask(server, "k1", "what?")

    async def rules(query: str) -> list[Any]:
        return [(e["tenant"][:4], e["rule"]) for e in await journal(admin, query)]

    k1, k2 = tenant_hash("k1")[:4], tenant_hash("k2")[:4]
    assert await rules("?tenant=k1") == [(k1, "hello"), (k1, None)]
    assert await rules("?tenant=k2&rule=echo") == [(k2, "echo")]
    assert await rules("?scenario=script&rule=hello") == [(k1, "hello"), (k2, "hello")]
    assert await rules("?unmatched=1") == [(k1, None)]
    assert await rules(f"?since={middle}") == [(k2, "hello"), (k2, "echo"), (k1, None)]
    assert await rules(f"?until={middle}") == [(k1, "hello")]
    iso = datetime.fromtimestamp(middle, UTC).isoformat().replace("+00:00", "Z")
    assert await rules(f"?until={iso}") == [(k1, "hello")]
    assert await rules("?limit=2") == [(k2, "echo"), (k1, None)]


@pytest.mark.parametrize(
    ("query", "status", "code", "param"),
    [
        ("?unmatched=maybe", 400, "invalid_value", "unmatched"),
        ("?violations=2", 400, "invalid_value", "violations"),
        ("?since=yesterday", 400, "invalid_value", "since"),
        ("?until=2025-13-01", 400, "invalid_value", "until"),
        ("?limit=0", 400, "invalid_value", "limit"),
        ("?limit=-3", 400, "invalid_value", "limit"),
        ("?tenant=", 400, "invalid_value", "tenant"),
        ("?scenario=nope", 404, "scenario_not_found", "scenario"),
        ("?rule=nope", 404, "rule_not_found", "rule"),
        ("?scenario=script&rule=nope", 404, "rule_not_found", "rule"),
        ("?tenant=unknown-key", 404, "tenant_not_found", "tenant"),
    ],
)
async def test_bad_filters(
    admin: ClientSession, query: str, status: int, code: str, param: str
) -> None:
    resp = await admin.get(f"/_mock/requests{query}")
    err = (await resp.json())["error"]
    assert (resp.status, err["code"], err["param"]) == (status, code, param), err


async def test_unknown_rule_message_lists_the_rules(admin: ClientSession) -> None:
    err = (await (await admin.get("/_mock/requests?scenario=script&rule=helo")).json())["error"]
    assert err["message"] == (
        "No rule named 'helo' in scenario 'script'. Rules: cut, echo, flaky, hello."
    )


async def test_a_deleted_scenario_stays_filterable(
    server: RunningServer, admin: ClientSession
) -> None:
    await ask(server, "k", "hello")
    assert (await admin.delete("/_mock/scenarios/script")).status == 200
    assert len(await journal(admin, "?scenario=script&rule=hello")) == 1


async def test_clear_all_or_one_tenant(server: RunningServer, admin: ClientSession) -> None:
    for key in ("k1", "k2", "k2"):
        await ask(server, key, "hello")
    cleared = await (await admin.delete("/_mock/requests?tenant=k2")).json()
    assert cleared == {"object": "mockserver.journal.cleared", "requests": 2}
    assert [e["tenant"] for e in await journal(admin)] == [tenant_hash("k1")]
    assert (await (await admin.delete("/_mock/requests")).json())["requests"] == 1
    assert await journal(admin) == []
    # Clearing the journal forgets no tenant: k2's stored state is still there.
    assert (await admin.get("/_mock/requests?tenant=k2")).status == 200


async def test_the_journal_is_bounded(start_server: StartServer) -> None:
    server = await start_server(seed=5, journal_size=3)
    async with ClientSession(base_url=server.root) as admin:
        for i in range(5):
            async with server.client("k") as sdk:
                await sdk.responses.create(model="gpt-4o", input=f"n{i}")
        entries = await journal(admin)
    assert [e["request"]["body"]["input"] for e in entries] == ["n2", "n3", "n4"]
    assert [e["seq"] for e in entries] == [3, 4, 5]


async def test_admin_calls_and_health_probes_are_not_journaled(admin: ClientSession) -> None:
    await admin.get("/_mock/health")
    await admin.get("/_mock/scenarios")
    assert await journal(admin) == []


async def test_many_tenants_at_once_lose_or_mix_nothing(
    server: RunningServer, admin: ClientSession
) -> None:
    tenants, per_tenant = 24, 8

    async def one_tenant(t: int) -> None:
        async with server.client(
            f"sk-tenant-{t}", default_headers={"X-Mock-Scenario": "script"}
        ) as sdk:
            for i in range(per_tenant):
                reply = await sdk.responses.create(model="gpt-4o", input=f"echo {t}:{i}")
                assert reply.output_text == f"echo {t}:{i}"

    await asyncio.gather(*(one_tenant(t) for t in range(tenants)))
    entries = await journal(admin)
    assert len(entries) == tenants * per_tenant
    assert len({e["seq"] for e in entries}) == len(entries)
    for t in range(tenants):
        mine = await journal(admin, f"?tenant=sk-tenant-{t}")
        # Each tenant's entries are its own, complete, and in the order it sent them.
        assert [e["request"]["body"]["input"] for e in mine] == [
            f"echo {t}:{i}" for i in range(per_tenant)
        ]
        assert {e["tenant"] for e in mine} == {tenant_hash(f"sk-tenant-{t}")}
        assert [e["response_id"] is not None for e in mine] == [True] * per_tenant


# ---- the Journal itself ------------------------------------------------------------------------


def _ex(tenant: str | None, path: str = "/v1/responses", **fields: Any) -> Exchange:
    return Exchange("req_1", "POST", path, started_at=100.0, tenant=tenant, **fields)


def test_journal_query_combines_filters() -> None:
    j = Journal(10)
    j.record(_ex("a", scenario="s", rule="r"))
    j.record(_ex("a", scenario="s", rule=None, unmatched=[]))
    j.record(_ex("b", scenario="s", rule="r", expectations=[{"key": "tools"}]))
    j.record(_ex("b", path="/_mock/requests"))
    assert len(j) == 3
    assert [e.seq for e in j.query(Query(tenant="a", unmatched=False))] == [1]
    assert [e.seq for e in j.query(Query(rule="r", violations=True))] == [3]
    assert [e.seq for e in j.query(Query(since=100.0, until=100.5, limit=1))] == [3]
    assert j.knows(tenant="b") and not j.knows(tenant="c")
    assert j.rules_of("s") == {"r"} and j.rules_of("t") == set()


def test_journal_of_size_zero_keeps_nothing() -> None:
    j = Journal(0)
    j.record(_ex("a"))
    assert len(j) == 0


def test_entry_json_redacts_credential_headers() -> None:
    j = Journal(1)
    headers = {"authorization": "Bearer sk-x", "Api-Key": "sk-y", "x-mock-admin-token": "t"}
    j.record(_ex("a", headers=headers))
    (entry,) = j
    shown = entry.as_json()["request"]["headers"]
    assert set(shown.values()) == {REDACTED}
    assert "sk-" not in json.dumps(entry.as_json())

"""The admin API (/_mock/): every route, its bad input, the admin token and the browser refusal."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse, ClientSession
from conftest import RunningServer, StartServer
from openai.types.responses import Response

from mockserver.pipeline.store import tenant_hash

WEATHER = """
name: weather
description: Calls the weather tool, then answers.
rules:
  - name: call-tool
    when: {has_tool_output: false}
    reply:
      - function_call: {name: get_weather, arguments: {city: Paris}}
  - name: answer
    expect: {function_call_output: get_weather}
    reply:
      - message: "Sunny."
"""
HELLO = {"name": "hello", "rules": [{"name": "hi", "reply": [{"message": "Hello!"}]}]}
BODY = {"model": "gpt-4o", "input": "weather in Paris?"}
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"


@pytest.fixture
async def server(start_server: StartServer) -> RunningServer:
    return await start_server(seed=3)


@pytest.fixture
async def admin(server: RunningServer) -> AsyncIterator[ClientSession]:
    async with ClientSession(base_url=server.root) as session:
        yield session


async def body_of(resp: ClientResponse, status: int) -> dict[str, Any]:
    text = await resp.text()
    assert resp.status == status, text
    value: dict[str, Any] = json.loads(text)
    return value


async def error_of(resp: ClientResponse, status: int, code: str | None) -> dict[str, Any]:
    err: dict[str, Any] = (await body_of(resp, status))["error"]
    assert set(err) >= {"message", "type", "param", "code"}
    assert err["code"] == code, err
    return err


async def create(server: RunningServer, key: str, body: dict[str, Any] = BODY) -> ClientResponse:
    async with ClientSession(base_url=server.root) as session:
        resp = await session.post(
            "/v1/responses", json=body, headers={"Authorization": f"Bearer {key}"}
        )
        await resp.read()
        return resp


async def ask(server: RunningServer, key: str) -> Response:
    async with server.client(key) as sdk:
        return await sdk.responses.create(model="gpt-4o", input="x")


# ---- health ----------------------------------------------------------------------------------


async def test_health_lists_version_and_scenarios(admin: ClientSession) -> None:
    await body_of(await admin.post("/_mock/scenarios", data=WEATHER), 201)
    health = await body_of(await admin.get("/_mock/health"), 200)
    assert health == {
        "object": "mockserver.health",
        "ok": True,
        "version": "0.1.0",
        "scenarios": ["weather"],
        "last_reload_error": None,
    }


async def test_health_shows_the_last_reload_error(
    tmp_path: Path, start_server: StartServer
) -> None:
    from mockserver.appkeys import SCENARIOS
    from mockserver.scenario.reload import reload_once

    scenario = tmp_path / "hello.yaml"
    scenario.write_text("name: hello\nrules:\n  - reply: [{message: hi}]\n")
    server = await start_server(seed=3, scenarios=(tmp_path,))
    scenario.write_text("name: hello\nrules: []\n")  # a bad edit, as --reload would see it
    assert await reload_once(server.app[SCENARIOS]) is False
    async with ClientSession(base_url=server.root) as admin:
        health = await body_of(await admin.get("/_mock/health"), 200)
    assert health["scenarios"] == ["hello"]  # the last good set still serves
    assert health["last_reload_error"] == [
        f"{scenario}:2:8: $.rules: empty list; a scenario needs at least one rule"
    ]


# ---- scenarios -------------------------------------------------------------------------------


async def test_add_list_show_and_delete_scenarios(admin: ClientSession) -> None:
    added = await body_of(await admin.post("/_mock/scenarios", data=WEATHER), 201)
    assert [s["name"] for s in added["data"]] == ["weather"]
    listed = await body_of(await admin.get("/_mock/scenarios"), 200)
    (weather,) = listed["data"]
    assert weather["description"] == "Calls the weather tool, then answers."
    assert [(r["name"], r["expects"]) for r in weather["rules"]] == [
        ("call-tool", False),
        ("answer", True),
    ]
    assert weather["rules"][1]["origin"] == "<request body>:9"
    shown = await body_of(await admin.get("/_mock/scenarios/weather"), 200)
    assert shown["definition"]["rules"][1]["expect"] == {"function_call_output": "get_weather"}
    gone = await body_of(await admin.delete("/_mock/scenarios/weather"), 200)
    assert gone == {"object": "mockserver.scenario", "name": "weather", "deleted": True}
    assert (await body_of(await admin.get("/_mock/scenarios"), 200))["data"] == []


async def test_add_takes_json_and_lists_of_scenarios(admin: ClientSession) -> None:
    other = {**HELLO, "name": "hello-2"}
    added = await body_of(await admin.post("/_mock/scenarios", json=[HELLO, other]), 201)
    assert [s["name"] for s in added["data"]] == ["hello", "hello-2"]


async def test_put_stores_under_the_url_name_and_replaces(
    server: RunningServer, admin: ClientSession
) -> None:
    await body_of(await admin.put("/_mock/scenarios/mine", json=HELLO), 200)
    changed = {"name": "hello", "rules": [{"name": "bye", "reply": [{"message": "Bye!"}]}]}
    put = await body_of(await admin.put("/_mock/scenarios/mine", json=changed), 200)
    assert (put["name"], [r["name"] for r in put["rules"]]) == ("mine", ["bye"])
    shown = await body_of(await admin.get("/_mock/scenarios/mine"), 200)
    assert shown["definition"]["name"] == "mine"
    await body_of(
        await admin.put("/_mock/tenants/binding?tenant=k", json={"scenario": "mine"}), 200
    )
    assert (await ask(server, "k")).output_text == "Bye!"


async def test_replacing_a_scenario_restarts_its_counters(
    server: RunningServer, admin: ClientSession
) -> None:
    once = {"name": "once", "rules": [{"name": "first", "times": 1, "reply": [{"message": "1"}]}]}
    await body_of(await admin.post("/_mock/scenarios", json=once), 201)
    await body_of(
        await admin.put("/_mock/tenants/binding?tenant=k", json={"scenario": "once"}), 200
    )
    assert (await create(server, "k")).status == 200
    assert (await create(server, "k")).status == 400  # `times: 1` is used up
    await body_of(await admin.post("/_mock/scenarios", json=once), 201)
    assert (await create(server, "k")).status == 200


BAD_SCENARIOS = [
    ("yaml-syntax", "name: x\nrules: [\n", "<request body>:3:1"),
    ("unknown-key", "name: x\nrules:\n  - reply: [{message: hi}]\n    wen: {}\n", "did you mean"),
    ("empty-rules", "name: x\nrules: []\n", "a scenario needs at least one rule"),
    (
        "bad-expect",
        "name: x\nrules:\n  - reply: [{message: a}]\n    expect: {modle: x}\n",
        "$.rules[0].expect.modle: unknown key 'modle' (did you mean 'model'?)",
    ),
    (
        "bad-regex",
        "name: x\nrules:\n  - reply: [{message: a}]\n    expect: {input_matches: '('}\n",
        "$.rules[0].expect.input_matches: invalid regular expression",
    ),
    ("not-a-scenario", "[1, 2]", "<request body>:1:2"),
]


@pytest.mark.parametrize(
    ("text", "says"), [c[1:] for c in BAD_SCENARIOS], ids=[c[0] for c in BAD_SCENARIOS]
)
async def test_bad_scenario_bodies_get_located_messages(
    admin: ClientSession, text: str, says: str
) -> None:
    for resp in (
        await admin.post("/_mock/scenarios", data=text),
        await admin.put("/_mock/scenarios/x", data=text),
    ):
        err = await error_of(resp, 400, "mock_invalid_scenario")
        assert says in err["message"]
        assert err["problems"] and all(p.startswith("<request body>:") for p in err["problems"])
    assert (await body_of(await admin.get("/_mock/health"), 200))["scenarios"] == []


async def test_bad_scenario_bodies_that_are_not_text(admin: ClientSession) -> None:
    err = await error_of(
        await admin.post("/_mock/scenarios", data=b"\xff\xfe"), 400, "invalid_encoding"
    )
    assert "UTF-8" in err["message"]
    await error_of(await admin.post("/_mock/scenarios", data=b" \n"), 400, "mock_invalid_scenario")


async def test_a_scenario_body_over_the_size_limit_is_413(start_server: StartServer) -> None:
    server = await start_server(seed=3, max_body_bytes=2048)
    async with ClientSession(base_url=server.root) as admin:
        big = WEATHER + "#" * 4096
        err = await error_of(
            await admin.post("/_mock/scenarios", data=big), 413, "payload_too_large"
        )
        assert err["message"] == "Request body too large: the limit is 2048 bytes."


async def test_put_takes_exactly_one_scenario_and_a_valid_name(admin: ClientSession) -> None:
    two = [HELLO, {**HELLO, "name": "other"}]
    err = await error_of(await admin.put("/_mock/scenarios/x", json=two), 400, "invalid_value")
    assert "takes one scenario; the body has 2 (hello, other)" in err["message"]
    err = await error_of(
        await admin.put("/_mock/scenarios/no%20spaces", json=HELLO), 400, "invalid_value"
    )
    assert "'no spaces'" in err["message"]


async def test_duplicate_names_in_one_body_are_refused(admin: ClientSession) -> None:
    err = await error_of(
        await admin.post("/_mock/scenarios", json=[HELLO, HELLO]), 400, "mock_invalid_scenario"
    )
    assert "duplicate scenario name 'hello'" in err["message"]


async def test_unknown_scenarios_are_404(admin: ClientSession) -> None:
    await body_of(await admin.post("/_mock/scenarios", json=HELLO), 201)
    for resp in (
        await admin.get("/_mock/scenarios/nope"),
        await admin.delete("/_mock/scenarios/nope"),
        await admin.put("/_mock/tenants/binding?tenant=k", json={"scenario": "nope"}),
    ):
        err = await error_of(resp, 404, "scenario_not_found")
        assert err["message"] == "No scenario named 'nope'. Loaded scenarios: hello."


async def test_an_unknown_binding_close_to_a_loaded_scenario_says_did_you_mean(
    admin: ClientSession,
) -> None:
    await body_of(await admin.post("/_mock/scenarios", json=HELLO), 201)
    resp = await admin.put("/_mock/tenants/binding?tenant=k", json={"scenario": "helo"})
    err = await error_of(resp, 404, "scenario_not_found")
    assert (
        err["message"]
        == "No scenario named 'helo' (did you mean 'hello'?). Loaded scenarios: hello."
    )


# ---- bindings --------------------------------------------------------------------------------


async def test_binding_routes_a_tenant_and_only_that_tenant(
    server: RunningServer, admin: ClientSession
) -> None:
    await body_of(await admin.post("/_mock/scenarios", json=HELLO), 201)
    bound = await body_of(
        await admin.put("/_mock/tenants/binding?tenant=k1", json={"scenario": "hello"}), 200
    )
    assert bound == {
        "object": "mockserver.binding",
        "tenant": tenant_hash("k1"),
        "scenario": "hello",
    }
    assert (await body_of(await admin.get("/_mock/tenants/binding?tenant=k1"), 200)) == bound
    first = await ask(server, "k1")
    other = await ask(server, "k2")
    assert first.output_text == "Hello!" and other.output_text != "Hello!"
    unbound = await body_of(await admin.delete("/_mock/tenants/binding?tenant=k1"), 200)
    assert unbound["scenario"] is None
    again = await ask(server, "k1")
    assert again.output_text != "Hello!"


async def test_deleting_a_scenario_unbinds_its_tenants(admin: ClientSession) -> None:
    await body_of(await admin.post("/_mock/scenarios", json=HELLO), 201)
    await body_of(
        await admin.put("/_mock/tenants/binding?tenant=k", json={"scenario": "hello"}), 200
    )
    await body_of(await admin.delete("/_mock/scenarios/hello"), 200)
    assert (await body_of(await admin.get("/_mock/tenants/binding?tenant=k"), 200))[
        "scenario"
    ] is None


@pytest.mark.parametrize(
    ("query", "body", "status", "code"),
    [
        ("", {"scenario": "hello"}, 400, "missing_required_parameter"),
        ("?tenant=", {"scenario": "hello"}, 400, "invalid_value"),
        ("?tenant=k", {}, 400, "invalid_value"),
        ("?tenant=k", {"scenario": 3}, 400, "invalid_value"),
        ("?tenant=k", [1], 400, "invalid_type"),
    ],
    ids=["no-tenant", "empty-tenant", "no-scenario", "scenario-type", "body-type"],
)
async def test_bad_binding_requests(
    admin: ClientSession, query: str, body: Any, status: int, code: str
) -> None:
    await body_of(await admin.post("/_mock/scenarios", json=HELLO), 201)
    await error_of(await admin.put(f"/_mock/tenants/binding{query}", json=body), status, code)


async def test_binding_a_broken_json_body(admin: ClientSession) -> None:
    resp = await admin.put("/_mock/tenants/binding?tenant=k", data="{nope")
    assert (
        resp.status == 400 and "could not parse the JSON" in (await resp.json())["error"]["message"]
    )


async def test_unknown_tenants_are_404(admin: ClientSession) -> None:
    for resp in (
        await admin.get("/_mock/tenants/binding?tenant=sk-never-seen-1234"),
        await admin.delete("/_mock/tenants/binding?tenant=sk-never-seen-1234"),
        await admin.post("/_mock/reset?tenant=sk-never-seen-1234"),
        await admin.get("/_mock/requests?tenant=sk-never-seen-1234"),
        await admin.delete("/_mock/requests?tenant=sk-never-seen-1234"),
        await admin.get("/_mock/verify?tenant=sk-never-seen-1234"),
    ):
        err = await error_of(resp, 404, "tenant_not_found")
        assert err["param"] == "tenant"
        assert "sk-never-seen-1234" not in err["message"]  # the key is masked
        assert tenant_hash("sk-never-seen-1234") in err["message"]


# ---- reset -----------------------------------------------------------------------------------


async def test_reset_one_tenant_keeps_the_others(
    server: RunningServer, admin: ClientSession
) -> None:
    await body_of(await admin.post("/_mock/scenarios", json=HELLO), 201)
    await body_of(
        await admin.put("/_mock/tenants/binding?tenant=k1", json={"scenario": "hello"}), 200
    )
    kept = await ask(server, "k2")
    gone = await ask(server, "k1")
    reset = await body_of(await admin.post("/_mock/reset?tenant=k1"), 200)
    assert reset == {"object": "mockserver.reset", "tenant": tenant_hash("k1"), "requests": 1}
    await error_of(await admin.get("/_mock/tenants/binding?tenant=k1"), 404, "tenant_not_found")
    async with server.client("k2") as sdk:
        assert (await sdk.responses.retrieve(kept.id)).id == kept.id
    retrieved = await create_get(server, "k1", gone.id)
    assert retrieved == 404
    journal = await body_of(await admin.get("/_mock/requests"), 200)
    assert [(e["tenant"], e["method"], e["status"]) for e in journal["data"]] == [
        (tenant_hash("k2"), "POST", 200),  # k1's POST went with its tenant
        (tenant_hash("k2"), "GET", 200),
        (tenant_hash("k1"), "GET", 404),  # after the reset
    ]
    # Unbound now: k1 gets the zero-config answer.
    assert (await ask(server, "k1")).output_text != "Hello!"


async def create_get(server: RunningServer, key: str, rid: str) -> int:
    async with ClientSession(base_url=server.root) as session:
        resp = await session.get(f"/v1/responses/{rid}", headers={"Authorization": f"Bearer {key}"})
        return resp.status


async def test_reset_everything(server: RunningServer, admin: ClientSession) -> None:
    await body_of(await admin.post("/_mock/scenarios", json=HELLO), 201)
    made = await ask(server, "k1")
    await ask(server, "k2")
    reset = await body_of(await admin.post("/_mock/reset"), 200)
    assert reset == {"object": "mockserver.reset", "tenant": None, "requests": 2}
    assert (await body_of(await admin.get("/_mock/requests"), 200))["data"] == []
    assert await create_get(server, "k1", made.id) == 404
    # Scenarios are configuration: a reset keeps them.
    assert (await body_of(await admin.get("/_mock/health"), 200))["scenarios"] == ["hello"]


async def test_reset_restarts_a_tenants_counters(
    server: RunningServer, admin: ClientSession
) -> None:
    once = {"name": "once", "rules": [{"name": "first", "times": 1, "reply": [{"message": "1"}]}]}
    await body_of(await admin.post("/_mock/scenarios", json=once), 201)
    headers = {"X-Mock-Scenario": "once"}
    async with server.client("k", default_headers=headers) as sdk:
        assert (await sdk.responses.create(model="gpt-4o", input="x")).output_text == "1"
        await body_of(await admin.post("/_mock/reset?tenant=k"), 200)
        assert (await sdk.responses.create(model="gpt-4o", input="x")).output_text == "1"


async def test_reset_forgets_rate_limits(start_server: StartServer) -> None:
    server = await start_server(seed=3, requests_per_minute=1)
    async with ClientSession(base_url=server.root) as admin:
        assert (await create(server, "k")).status == 200
        assert (await create(server, "k")).status == 429
        await body_of(await admin.post("/_mock/reset?tenant=k"), 200)
        assert (await create(server, "k")).status == 200


async def test_unknown_admin_routes_are_openai_shaped_404s(admin: ClientSession) -> None:
    err = await error_of(await admin.get("/_mock/nothing-here"), 404, None)
    assert err["message"] == "Invalid URL (GET /_mock/nothing-here)"


# ---- access: the admin token and browsers ----------------------------------------------------


async def test_browsers_cannot_change_anything(admin: ClientSession) -> None:
    browser = {"User-Agent": BROWSER}
    for resp in (
        await admin.post("/_mock/scenarios", json=HELLO, headers=browser),
        await admin.put("/_mock/scenarios/x", json=HELLO, headers=browser),
        await admin.delete("/_mock/scenarios/x", headers=browser),
        await admin.put("/_mock/tenants/binding?tenant=k", json={"scenario": "x"}, headers=browser),
        await admin.post("/_mock/reset", headers=browser),
        await admin.delete("/_mock/requests", headers=browser),
    ):
        err = await error_of(resp, 403, "admin_browser_refused")
        assert "web browser" in err["message"]
    assert (await body_of(await admin.get("/_mock/scenarios", headers=browser), 200))["data"] == []


async def test_the_admin_token_guards_every_route_but_health(start_server: StartServer) -> None:
    server = await start_server(seed=3, admin_token="s3cret")
    async with ClientSession(base_url=server.root) as admin:
        assert (await admin.get("/_mock/health")).status == 200
        await error_of(await admin.get("/_mock/scenarios"), 401, "admin_token_required")
        await error_of(await admin.post("/_mock/reset"), 401, "admin_token_required")
        wrong = {"Authorization": "Bearer nope"}
        await error_of(
            await admin.get("/_mock/requests", headers=wrong), 401, "invalid_admin_token"
        )
        for good in ({"Authorization": "Bearer s3cret"}, {"X-Mock-Admin-Token": "s3cret"}):
            await body_of(await admin.get("/_mock/scenarios", headers=good), 200)
            await body_of(await admin.post("/_mock/reset", headers=good), 200)
        # With the token, a browser may change things; without it, it is still refused.
        token_browser = {"X-Mock-Admin-Token": "s3cret", "User-Agent": BROWSER}
        await body_of(await admin.post("/_mock/reset", headers=token_browser), 200)
        await error_of(
            await admin.post("/_mock/reset", headers={"User-Agent": BROWSER}),
            403,
            "admin_browser_refused",
        )

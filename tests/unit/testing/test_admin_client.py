"""The typed admin client, sync (against a server thread) and async (in the test's loop)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import RunningServer, StartServer
from openai import OpenAI

from mockserver.config import Config
from mockserver.pipeline.store import tenant_hash
from mockserver.testing.admin_client import AdminClient, AdminError, AsyncAdminClient, NotFoundError
from mockserver.testing.admin_types import Binding, Health, RequestEntry, ScenarioInfo, Verification
from mockserver.testing.inprocess import ServerThread

HELLO = {
    "name": "hello",
    "description": "Greets.",
    "rules": [
        {"name": "hi", "expect": {"tools": ["lookup"]}, "reply": [{"message": "Hello!"}]},
    ],
}


@pytest.fixture(scope="module")
def thread() -> Iterator[ServerThread]:
    with ServerThread(Config(port=0, seed=2)) as server:
        yield server


@pytest.fixture
def admin(thread: ServerThread) -> Iterator[AdminClient]:
    client = AdminClient(thread.base_url)  # a /v1 base URL is accepted too
    yield client
    client.reset()
    for info in client.scenarios():
        client.delete_scenario(info.name)


def ask(thread: ServerThread, key: str, text: str = "hi") -> str:
    with OpenAI(base_url=thread.base_url, api_key=key, max_retries=0) as sdk:
        return sdk.responses.create(model="gpt-4o", input=text).output_text


def test_sync_client_round_trip(thread: ServerThread, admin: AdminClient) -> None:
    assert admin.url == thread.url
    (added,) = admin.add_scenarios(HELLO)
    assert added == ScenarioInfo("hello", "Greets.", "<request body>:1", added.rules)
    assert added.rule_names == ["hi"] and added.rules[0].expects
    assert admin.health() == Health(True, "0.1.0", ("hello",), None)
    assert admin.bind("sk-a", "hello") == Binding(tenant_hash("sk-a"), "hello")
    assert admin.binding("sk-a").scenario == "hello"
    assert ask(thread, "sk-a") == "Hello!"
    (entry,) = admin.requests(tenant="sk-a")
    assert isinstance(entry, RequestEntry)
    assert (entry.scenario, entry.rule, entry.status, entry.body["input"]) == (
        "hello",
        "hi",
        200,
        "hi",
    )
    assert entry.headers["authorization"] == "<redacted>"
    (violation,) = entry.expectations
    assert (violation.key, violation.expected, violation.got) == ("tools", ["lookup"], [])
    result = admin.verify(tenant="sk-a")
    assert isinstance(result, Verification) and not result.ok and result.violations == 1
    assert "expect.tools:" in result.report
    assert admin.requests(tenant="sk-a", rule="hi", since=entry.started_at, limit=1) == [entry]
    assert admin.requests(tenant="sk-a", unmatched=True) == []
    assert admin.clear_requests(tenant="sk-a") == 1
    assert admin.unbind("sk-a").scenario is None
    assert admin.reset(tenant="sk-a") == 0


def test_put_scenario_from_a_file(tmp_path: Path, admin: AdminClient, thread: ServerThread) -> None:
    path = tmp_path / "greeting.yaml"
    path.write_text("name: greeting\nrules:\n  - name: r\n    reply: [{message: From a file.}]\n")
    info = admin.put_scenario("renamed", path)
    assert info.name == "renamed"
    assert admin.scenario("renamed").definition == {
        "name": "renamed",
        "rules": [{"name": "r", "reply": [{"message": "From a file."}]}],
    }
    admin.bind("sk-b", "renamed")
    assert ask(thread, "sk-b") == "From a file."


def test_errors_carry_status_code_and_problems(admin: AdminClient) -> None:
    with pytest.raises(NotFoundError) as missing:
        admin.scenario("nope")
    assert (missing.value.status, missing.value.code, missing.value.param) == (
        404,
        "scenario_not_found",
        "scenario",
    )
    with pytest.raises(NotFoundError) as tenant:
        admin.requests(tenant="sk-nobody")
    assert tenant.value.code == "tenant_not_found"
    with pytest.raises(AdminError) as bad:
        admin.add_scenarios("name: x\nrules: []\n")
    assert bad.value.status == 400 and bad.value.code == "mock_invalid_scenario"
    assert bad.value.problems == [
        "<request body>:2:8: $.rules: empty list; a scenario needs at least one rule"
    ]


def test_an_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(AdminError) as caught:
        AdminClient("http://127.0.0.1:9", timeout=2).health()
    assert caught.value.status == 0 and "cannot reach the mock" in str(caught.value)


def test_the_admin_token_is_sent() -> None:
    with ServerThread(Config(port=0, admin_token="tok")) as server:
        with pytest.raises(AdminError) as refused:
            AdminClient(server.url).scenarios()
        assert refused.value.code == "admin_token_required"
        assert AdminClient(server.url, admin_token="tok").scenarios() == []


async def test_async_client(start_server: StartServer) -> None:
    server: RunningServer = await start_server(seed=2)
    async with AsyncAdminClient(server.root) as admin:
        assert (await admin.health()).ok
        (info,) = await admin.add_scenarios("name: hi\nrules: [{name: r, reply: [{message: Hi}]}]")
        assert info.name == "hi"
        assert (await admin.put_scenario("hi-2", HELLO)).name == "hi-2"
        assert [s.name for s in await admin.scenarios()] == ["hi", "hi-2"]
        assert (await admin.scenario("hi")).definition is not None
        await admin.bind("sk-c", "hi")
        async with server.client("sk-c") as sdk:
            assert (await sdk.responses.create(model="gpt-4o", input="x")).output_text == "Hi"
        assert (await admin.binding("sk-c")).scenario == "hi"
        (entry,) = await admin.requests(tenant="sk-c", scenario="hi", rule="r")
        assert entry.rule == "r"
        assert (await admin.verify(tenant="sk-c")).ok
        assert await admin.clear_requests() == 1
        assert (await admin.unbind("sk-c")).scenario is None
        assert await admin.delete_scenario("hi-2")
        assert await admin.reset() == 0
        with pytest.raises(NotFoundError):
            await admin.scenario("hi-2")
    async with AsyncAdminClient("http://127.0.0.1:9", timeout=2) as dead:
        with pytest.raises(AdminError) as caught:
            await dead.health()
        assert caught.value.status == 0

"""The registry and hot reload: a good change applies atomically, a bad one keeps the old set."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import pytest
from conftest import StartServer

from mockserver.scenario import Registry, ScenarioLoadError, UnknownScenario
from mockserver.scenario.reload import reload_once, stamp, watch

V1 = "name: live\nrules: [{reply: [{message: version one}]}]\n"
V2 = "name: live\nrules: [{reply: [{message: version two}]}]\n"
BROKEN = "name: live\nrules: [{reply: [{mesage: oops}]}]\n"


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    # Move the mtime on explicitly: two writes within the clock's tick look the same.
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 10_000_000))


def text_of(registry: Registry) -> str:
    reply = registry.get("live").rules[0].reply[0]
    return reply.text.source  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def live(tmp_path: Path) -> tuple[Registry, Path]:
    path = tmp_path / "live.yaml"
    write(path, V1)
    registry = Registry([tmp_path])
    registry.load_files()
    return registry, path


async def test_a_good_change_is_applied(live: tuple[Registry, Path]) -> None:
    registry, path = live
    write(path, V2)
    assert await reload_once(registry) is True
    assert text_of(registry) == "version two"
    assert registry.last_error is None


async def test_a_bad_change_is_logged_and_the_old_set_keeps_serving(
    live: tuple[Registry, Path], caplog: pytest.LogCaptureFixture
) -> None:
    registry, path = live
    before = registry.scenarios
    write(path, BROKEN)
    with caplog.at_level(logging.ERROR, logger="mockserver.scenario"):
        assert await reload_once(registry) is False
    assert registry.scenarios is before
    assert text_of(registry) == "version one"
    assert f"{path}:2:19: $.rules[0].reply[0].mesage: unknown key 'mesage'" in caplog.text
    assert registry.last_error is not None and len(registry.last_error.problems) == 1


async def test_the_watcher_notices_edits_additions_and_removals(
    live: tuple[Registry, Path],
) -> None:
    registry, path = live
    ticks: asyncio.Queue[None] = asyncio.Queue()

    async def sleep(_: float) -> None:  # one poll per tick, no real waiting
        await ticks.get()

    async def tick() -> None:
        ticks.put_nowait(None)
        for _ in range(50):
            await asyncio.sleep(0.01)
            if ticks.empty():
                break
        await asyncio.sleep(0.05)  # let the reload (in a thread) finish

    task = asyncio.create_task(watch(registry, sleep=sleep))
    try:
        await asyncio.sleep(0.05)
        write(path, V2)
        await tick()
        assert text_of(registry) == "version two"
        extra = path.parent / "more.yml"
        extra.write_text("name: more\nrules: [{error: server_error}]\n", encoding="utf-8")
        await tick()
        assert registry.names() == ["live", "more"]
        extra.unlink()
        await tick()
        with pytest.raises(UnknownScenario):
            registry.get("more")
    finally:
        task.cancel()


def test_stamp_sees_only_scenario_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(V1, encoding="utf-8")
    (tmp_path / "notes.md").write_text("x", encoding="utf-8")
    assert list(stamp((tmp_path,))) == [str(tmp_path / "a.yaml")]


async def test_reload_through_the_server(start_server: StartServer, tmp_path: Path) -> None:
    path = tmp_path / "live.yaml"
    write(path, V1)
    server = await start_server(seed=1, scenarios=(tmp_path,), default_scenario="live", reload=True)
    async with server.client() as client:
        first = await client.responses.create(model="gpt-4o", input="x")
        write(path, V2)
        for _ in range(40):  # the watcher polls every 0.5 s
            await asyncio.sleep(0.1)
            second = await client.responses.create(model="gpt-4o", input="x")
            if second.output_text != first.output_text:
                break
    assert (first.output_text, second.output_text) == ("version one", "version two")


def test_runtime_scenarios_are_validated_and_survive_reloads(live: tuple[Registry, Path]) -> None:
    registry, _path = live
    registry.put_text("name: added\nrules: [{reply: [{message: hi}]}]\n", "admin")
    with pytest.raises(ScenarioLoadError, match=r"admin:2:8: \$.rules: empty list"):
        registry.put_text("name: added\nrules: []\n", "admin")
    registry.load_files()
    assert registry.names() == ["live", "added"]
    registry.delete("added")
    assert registry.names() == ["live"]
    with pytest.raises(UnknownScenario, match="Loaded scenarios: live"):
        registry.delete("added")

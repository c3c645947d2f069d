"""`mockserver serve` as a process: startup log, log formats, graceful shutdown on SIGTERM.

The drain tests run the real command line (cli -> serve.run) with a stand-in app whose one
route streams an event every TICK seconds, so the timing of "finish within the grace period"
and "cut at the grace period" is exact and independent of scenario pacing.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest

TICK = 0.1
LISTENING = re.compile(r"listening on http://([\d.]+):(\d+)")

# Run in the child: replace create_app by one with a slow SSE route, then the real CLI.
SLOW_APP = f"""
import asyncio, sys
from aiohttp import web
import mockserver.app
from mockserver.cli import main

real_create_app = mockserver.app.create_app

def create_app(config):
    app = real_create_app(config)  # the real app: middlewares, sinks, metrics

    async def slow(request):
        resp = web.StreamResponse(headers={{"Content-Type": "text/event-stream"}})
        await resp.prepare(request)
        for i in range(int(request.query["events"])):
            await resp.write(f"data: {{i}}\\n\\n".encode())
            await asyncio.sleep({TICK})
        await resp.write(b"data: [DONE]\\n\\n")
        return resp

    app.router.add_get("/slow", slow)
    return app

mockserver.app.create_app = create_app
sys.exit(main(["serve", *sys.argv[1:]]))
"""


@dataclass
class Server:
    proc: asyncio.subprocess.Process
    url: str
    lines: list[str]  # stderr lines read so far

    async def read_until(self, needle: str, timeout: float = 10.0) -> str:
        """Read stderr until a line contains `needle`; that line."""
        assert self.proc.stderr is not None
        async with asyncio.timeout(timeout):
            while True:
                raw = await self.proc.stderr.readline()
                if not raw:
                    raise AssertionError(f"stderr closed before {needle!r}: {self.lines}")
                self.lines.append(raw.decode().rstrip("\n"))
                if needle in self.lines[-1]:
                    return self.lines[-1]

    async def rest_of_log(self) -> list[str]:
        assert self.proc.stderr is not None
        self.lines += (await self.proc.stderr.read()).decode().splitlines()
        return self.lines


async def start(*args: str, code: str | None = None, env: dict[str, str] | None = None) -> Server:
    argv = ["-c", code, *args] if code else ["-m", "mockserver", "serve", *args]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        *argv,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    server = Server(proc, "", [])
    line = await server.read_until("listening on")
    match = LISTENING.search(line)
    assert match, line
    server.url = f"http://{match[1]}:{match[2]}"
    return server


@pytest.fixture
async def slow_server(request: pytest.FixtureRequest) -> AsyncIterator[Server]:
    grace = getattr(request, "param", 2.0)
    server = await start("--port", "0", "--shutdown-grace", str(grace), code=SLOW_APP)
    yield server
    if server.proc.returncode is None:
        server.proc.kill()
        await server.proc.wait()


async def exit_code(server: Server, timeout: float) -> int:
    async with asyncio.timeout(timeout):
        return await server.proc.wait()


async def test_sigterm_lets_a_stream_in_flight_finish(slow_server: Server) -> None:
    events = 8  # 0.8 s of stream, well inside the 2 s grace
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{slow_server.url}/slow?events={events}") as resp,
    ):
        assert await resp.content.readuntil(b"\n\n") == b"data: 0\n\n"
        slow_server.proc.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        await slow_server.read_until("SIGTERM: stopped accepting")
        body = await resp.content.read()  # raises if the stream were cut
    assert body.endswith(b"data: [DONE]\n\n")
    assert body.count(b"data: ") == events  # events 1..7 and [DONE]
    assert await exit_code(slow_server, timeout=3) == 0
    assert time.monotonic() - sent < 2.0  # it did not wait for the grace to run out
    log = await slow_server.rest_of_log()
    assert any("letting 1 open stream(s) finish for up to 2s" in line for line in log)
    assert "stopped" in log[-1]


@pytest.mark.parametrize("slow_server", [1.0], indirect=True)
async def test_sigterm_cuts_streams_that_outlive_the_grace(slow_server: Server) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{slow_server.url}/slow?events=100") as resp:  # 10 s of stream
            await resp.content.readuntil(b"\n\n")
            slow_server.proc.send_signal(signal.SIGTERM)
            sent = time.monotonic()
            with pytest.raises(aiohttp.ClientPayloadError):
                await resp.content.read()
            cut_after = time.monotonic() - sent
        # New connections are refused during and after the drain.
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(f"{slow_server.url}/v1/responses")
    assert await exit_code(slow_server, timeout=3) == 0
    assert 0.9 <= cut_after < 2.5  # aiohttp rounds the grace deadline up to whole seconds


async def test_idle_server_stops_at_once_on_sigint() -> None:
    server = await start("--port", "0")
    server.proc.send_signal(signal.SIGINT)
    began = time.monotonic()
    assert await exit_code(server, timeout=5) == 0
    assert time.monotonic() - began < 1.5
    assert any(
        "SIGINT: stopped accepting; no stream in flight" in x
        for x in server.lines + (await server.rest_of_log())
    )


async def test_text_log_startup_and_access_lines() -> None:
    server = await start("--port", "0", "--seed", "1")
    async with aiohttp.ClientSession() as http:
        await http.post(
            f"{server.url}/v1/responses",
            json={"model": "m", "input": "hi"},
            headers={"Authorization": "Bearer key-1"},
        )
    server.proc.send_signal(signal.SIGTERM)
    await exit_code(server, timeout=5)
    log = await server.rest_of_log()
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO mockserver\.serve: listening on "
        r"http://127\.0\.0\.1:\d+",
        log[0],
    )
    assert "INFO mockserver.serve: no scenarios loaded" in log[1]
    access = [line for line in log if " mockserver.access: " in line]
    assert len(access) == 1
    assert " INFO mockserver.access: POST /v1/responses 200 request_id=req_" in access[0]
    assert re.search(
        r" duration_ms=[\d.]+ tenant=\w+ scenario=- rule=- stream=false events=0 ", access[0]
    )
    assert "key-1" not in "\n".join(log)


async def test_json_log_from_the_environment() -> None:
    server = await start("--port", "0", env={"MOCKSERVER_LOG_FORMAT": "json"})
    async with aiohttp.ClientSession() as http:
        await http.post(
            f"{server.url}/v1/responses",
            json={"model": "m", "input": "hi"},
            headers={"Authorization": "Bearer key-2"},
        )
    server.proc.send_signal(signal.SIGTERM)
    await exit_code(server, timeout=5)
    records = [json.loads(line) for line in await server.rest_of_log()]
    assert records[0]["logger"] == "mockserver.serve"
    assert records[0]["message"].startswith("listening on http://127.0.0.1:")
    (access,) = [r for r in records if r["logger"] == "mockserver.access"]
    assert access["message"] == "POST /v1/responses 200"
    assert access["status"] == 200 and access["stream"] is False
    assert isinstance(access["duration_ms"], float) and len(access["tenant"]) >= 6
    assert records[-1]["message"] == "stopped"


async def test_bad_log_format_is_a_usage_error() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mockserver",
        "serve",
        "--log-format",
        "xml",
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    assert proc.returncode == 2
    assert "'xml' is not a valid log format. Valid formats are: ('text', 'json')" in err.decode()


async def test_a_taken_port_fails_with_a_clear_message() -> None:
    first = await start("--port", "0")
    port = first.url.rsplit(":", 1)[1]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mockserver",
        "serve",
        "--port",
        port,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    first.proc.send_signal(signal.SIGTERM)
    await exit_code(first, timeout=5)
    assert proc.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}:" in err.decode()

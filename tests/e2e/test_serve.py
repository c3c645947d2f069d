"""`mockserver serve` as a process: startup log, log formats, graceful shutdown on SIGTERM.

The drain tests stream a scripted answer with the official SDK: one word every TICK seconds,
so "finish within the grace period" and "cut at the grace period" are timed by the scenario.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import re
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import openai
import pytest
from openai import AsyncOpenAI

from mockserver.cli import SERVE_OPTIONS, env_name
from mockserver.http.exchange import Exchange
from mockserver.observe.accesslog import log_exchange
from mockserver.server import configure_logging

TICK = 0.1
LISTENING = re.compile(r"listening on http://([\d.]+):(\d+)")
SLOW_SCENARIO = f"""
name: slow-stream
stream: {{ttft_ms: 0, chunk: word, interval_ms: {TICK * 1000:g}}}
rules:
  - name: short
    when: {{input_contains: short}}
    reply: [{{message: "one two three four five six seven eight"}}]
  - name: long
    reply: [{{message: "{" ".join(["word"] * 100)}"}}]
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


Start = Callable[..., Awaitable[Server]]


@pytest.fixture
async def start() -> AsyncIterator[Start]:
    """Start `python -m mockserver serve ARGS` and wait for its address; killed if left running."""
    procs: list[asyncio.subprocess.Process] = []

    async def launch(*args: str, env: dict[str, str] | None = None) -> Server:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "mockserver",
            "serve",
            *args,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **(env or {})},
        )
        procs.append(proc)
        server = Server(proc, "", [])
        match = LISTENING.search(await server.read_until("listening on"))
        assert match
        server.url = f"http://{match[1]}:{match[2]}"
        return server

    yield launch
    for proc in procs:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


@pytest.fixture
async def slow_server(request: pytest.FixtureRequest, tmp_path: Path, start: Start) -> Server:
    grace = getattr(request, "param", 3.0)
    (tmp_path / "slow.yaml").write_text(SLOW_SCENARIO)
    return await start("--port", "0", "--shutdown-grace", str(grace), "--scenarios", str(tmp_path))


def sdk_for(server: Server) -> AsyncOpenAI:
    return AsyncOpenAI(
        base_url=f"{server.url}/v1",
        api_key="drain-test",
        max_retries=0,
        default_headers={"X-Mock-Scenario": "slow-stream"},
    )


async def exit_code(server: Server, timeout: float) -> int:
    async with asyncio.timeout(timeout):
        return await server.proc.wait()


async def test_sigterm_lets_a_stream_in_flight_finish(slow_server: Server) -> None:
    async with sdk_for(slow_server) as sdk:
        stream = await sdk.responses.create(model="gpt-4o-mini", input="short", stream=True)
        types: list[str] = []
        sent = 0.0
        async for event in stream:  # raises if the stream were cut
            types.append(event.type)
            if event.type == "response.output_text.delta" and not sent:
                slow_server.proc.send_signal(signal.SIGTERM)  # 7 words (0.7 s) to go
                sent = time.monotonic()
        final = event.response  # type: ignore[union-attr]
    assert types[-1] == "response.completed"
    assert final.output_text == "one two three four five six seven eight"
    assert await exit_code(slow_server, timeout=5) == 0
    assert time.monotonic() - sent < 2.0  # it did not wait for the 3 s grace to run out
    log = await slow_server.rest_of_log()
    assert any("letting 1 open stream(s) finish for up to 3s" in line for line in log)
    assert any("scenario=slow-stream rule=short stream=true" in line for line in log)
    assert "stream_completed=true" in next(x for x in log if "rule=short" in x)
    assert log[-1].endswith("INFO mockserver.serve: stopped")


@pytest.mark.parametrize("slow_server", [1.0], indirect=True)
async def test_sigterm_cuts_streams_that_outlive_the_grace(slow_server: Server) -> None:
    async with sdk_for(slow_server) as sdk:
        stream = await sdk.responses.create(model="gpt-4o-mini", input="long", stream=True)
        sent = 0.0
        with pytest.raises(openai.APIConnectionError) as cut:  # 100 words: 10 s; grace: 1 s
            async for event in stream:
                if event.type == "response.output_text.delta" and not sent:
                    slow_server.proc.send_signal(signal.SIGTERM)
                    sent = time.monotonic()
        cut_after = time.monotonic() - sent
        assert "incomplete chunked read" in str(cut.value.__cause__)  # cut, not ended
        # New connections are refused once the signal arrived.
        with pytest.raises(openai.APIConnectionError):
            await sdk.models.list()
    assert await exit_code(slow_server, timeout=3) == 0
    assert 0.9 <= cut_after < 1.6  # the grace, not twice the grace
    log = await slow_server.rest_of_log()
    assert "stream_completed=false" in next(x for x in log if "rule=long" in x)


async def test_idle_server_stops_at_once_on_sigint(start: Start) -> None:
    server = await start("--port", "0", "--shutdown-grace", "30")
    server.proc.send_signal(signal.SIGINT)
    began = time.monotonic()
    assert await exit_code(server, timeout=10) == 0
    # Nothing to drain: no wait for the grace (only for the startup warm-up thread, if busy).
    assert time.monotonic() - began < 5
    assert any(
        "SIGINT: stopped accepting; no stream in flight" in x
        for x in server.lines + (await server.rest_of_log())
    )


async def test_text_log_startup_and_access_lines(start: Start) -> None:
    server = await start("--port", "0", "--seed", "1")
    async with aiohttp.ClientSession() as http:
        await http.post(
            f"{server.url}/v1/responses",
            json={"model": "m", "input": "hi"},
            headers={"Authorization": "Bearer key-1"},
        )
    server.proc.send_signal(signal.SIGTERM)
    await exit_code(server, timeout=15)
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


async def test_json_log_from_the_environment(start: Start) -> None:
    server = await start("--port", "0", env={"MOCKSERVER_LOG_FORMAT": "json"})
    async with aiohttp.ClientSession() as http:
        await http.post(
            f"{server.url}/v1/responses",
            json={"model": "m", "input": "hi"},
            headers={"Authorization": "Bearer key-2"},
        )
    server.proc.send_signal(signal.SIGTERM)
    await exit_code(server, timeout=15)
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
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
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
    assert proc.returncode == 1
    assert f"ERROR mockserver.serve: cannot listen on 127.0.0.1:{port}:" in err.decode()


def test_every_serve_flag_has_a_documented_environment_variable() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs/container.md").read_text()
    rows = {
        line.split("|")[1].strip(" `"): line
        for line in doc.splitlines()
        if line.startswith("| `MOCKSERVER_")
    }
    for flag, field, *_ in SERVE_OPTIONS:
        assert env_name(field) in rows, f"{flag}: {env_name(field)} missing from the table"
        assert f"`{flag}" in rows[env_name(field)], f"{env_name(field)}: row does not name {flag}"
    assert len(rows) == len(SERVE_OPTIONS)


@pytest.fixture
def root_logging() -> Iterator[None]:
    """configure_logging replaces the root handlers: put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.usefixtures("root_logging")
@pytest.mark.parametrize(
    ("level", "shown"), [("debug", 3), ("info", 2), ("warning", 1), ("ERROR", 0)]
)
def test_log_level_filters_every_logger(level: str, shown: int) -> None:
    out = io.StringIO()
    configure_logging(level, "json", stream=out)
    health = Exchange("req_h", "GET", "/_mock/health", 0.0, status=200)
    log_exchange(health)  # debug
    log_exchange(Exchange("req_c", "POST", "/v1/responses", 0.0, status=200))  # info
    logging.getLogger("mockserver.faults").warning("a warning")
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(records) == shown
    assert [r["level"] for r in records] == ["debug", "info", "warning"][3 - shown :]


@pytest.mark.usefixtures("root_logging")
def test_bad_log_level_names_the_valid_ones() -> None:
    with pytest.raises(ValueError) as bad:
        configure_logging("loud", "text")
    assert str(bad.value) == (
        "'loud' is not a valid log level. "
        "Valid levels are: ('debug', 'info', 'warning', 'error', 'critical')"
    )

"""Record and replay against an upstream that is not a mock: gzip bodies passed on unchanged
and read back for recording, repeated headers kept, a Set-Cookie secret never written; the
byte bounds on JSON answers and streams; the command line's checks."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator
from pathlib import Path

import openai
import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from conftest import StartServer

from mockserver.cli import main
from mockserver.config import Config

SESSION_COOKIE = "upstream-cookie-secret-31"


def response(text: str) -> dict[str, object]:
    return {
        "id": "resp_up1", "object": "response", "created_at": 1, "status": "completed",
        "model": "gpt-4o", "output": [{
            "type": "message", "id": "msg_up1", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }],
        "usage": {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5},
    }  # fmt: skip


async def create(request: web.Request) -> web.StreamResponse:
    body = await request.json()
    if body["input"] == "big":
        return web.json_response(response("x" * 5000))
    if body["input"] == "big stream":
        out = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await out.prepare(request)
        for _ in range(50):
            delta = {"type": "response.output_text.delta", "delta": "y" * 100}
            await out.write(f"event: x\ndata: {json.dumps(delta)}\n\n".encode())
        done = {"type": "response.completed", "response": response("y" * 5000)}
        await out.write(f"data: {json.dumps(done)}\n\n".encode())
        return out
    data = gzip.compress(json.dumps(response(f"zipped {SESSION_COOKIE}")).encode())
    answer = web.Response(body=data, content_type="application/json")
    answer.headers["Content-Encoding"] = "gzip"
    answer.headers.add("Set-Cookie", f"s={SESSION_COOKIE}")
    answer.headers.add("Set-Cookie", "t=other-cookie")
    return answer


@pytest.fixture
async def upstream() -> AsyncIterator[TestServer]:
    app = web.Application()
    app.router.add_post("/v1/responses", create)
    server = TestServer(app)
    await server.start_server()
    yield server
    await server.close()


async def test_compressed_answers_pass_unchanged_and_are_recorded(
    upstream: TestServer, start_server: StartServer, tmp_path: Path
) -> None:
    recorder = await start_server(
        Config(record_upstream=str(upstream.make_url("/v1")), record_out=tmp_path)
    )
    async with ClientSession(auto_decompress=False) as http, http.post(
        f"{recorder.base_url}/responses", json={"model": "gpt-4o", "input": "hi"},
        headers={"Authorization": "Bearer k", "Accept-Encoding": "gzip, br"},
    ) as answer:  # fmt: skip
        raw = await answer.read()
        assert answer.headers["Content-Encoding"] == "gzip"
        assert answer.headers.getall("Set-Cookie") == [f"s={SESSION_COOKIE}", "t=other-cookie"]
    assert json.loads(gzip.decompress(raw))["output"][0]["content"][0]["text"].startswith("zipped")
    text = (tmp_path / "recorded.yaml").read_text(encoding="utf-8")
    # The cookie the upstream set is a secret: not written, even where the model said it.
    assert "message: zipped <redacted>" in text and SESSION_COOKIE not in text

    replay = await start_server(Config(scenarios=(tmp_path,), default_scenario="recorded"))
    async with replay.client() as sdk:
        got = await sdk.responses.create(model="gpt-4o", input="hi")
    assert got.output_text == "zipped <redacted>"


async def test_answers_past_the_byte_bound(
    upstream: TestServer, start_server: StartServer, tmp_path: Path
) -> None:
    recorder = await start_server(
        Config(
            record_upstream=str(upstream.make_url("/v1")),
            record_out=tmp_path,
            upstream_max_bytes=2000,
        )
    )
    async with recorder.client() as sdk:
        with pytest.raises(openai.APIStatusError) as big:
            await sdk.responses.create(model="gpt-4o", input="big")
        stream = await sdk.responses.create(model="gpt-4o", input="big stream", stream=True)
        events = [event async for event in stream]
    assert (big.value.status_code, big.value.code) == (502, "upstream_too_large")
    assert events[-1].type == "response.completed"  # relayed whole to the client...
    assert not (tmp_path / "recorded.yaml").exists()  # ...but too large to record


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["record"], {}, "record needs --upstream URL"),
        (["record", "--upstream", "ftp://x"], {}, "expected an http(s) URL"),
        (["record"], {"MOCKSERVER_UPSTREAM": "http://h/v1", "MOCKSERVER_RECORD_MODE": "x"},
         "--record-mode: expected one of proxy, fallback, off"),
        (["serve", "--upstream", "http://h/v1", "--record-timing", "all"], {},
         "--record-timing: expected one of summary, exact, none"),
        (["record", "--upstream", "http://h/v1", "--redact-pattern", "("], {},
         "--redact-pattern '('"),
    ],
)  # fmt: skip
def test_the_command_line_checks_the_record_options(
    argv: list[str],
    env: dict[str, str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_record_refuses_a_file_it_cannot_merge_into(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "recorded.yaml").write_text("name: other\nrules: []\n", encoding="utf-8")
    assert main(["record", "--upstream", "http://h/v1", "--out", str(tmp_path)]) == 2
    assert "holds scenario 'other'" in capsys.readouterr().err

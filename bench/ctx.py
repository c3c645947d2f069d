"""What every section of a run shares: settings, folders, the servers, the captured answers.

Before any figure is taken, the mock is asked once for each kind of answer. Those bytes
become the bare reference's answers (same body, same frames), and whether the mock could
give them at all (scenarios loaded? streaming wired?) decides which sections can run.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import scenarios as sc
from .procs import API_KEY, Server

ZERO_BODY = {"model": "gpt-4o", "input": "Say hello to the benchmark."}
STREAM_BODY = {"model": "gpt-4o", "input": "Stream it.", "stream": True}


@dataclass
class Settings:
    seconds: float = 2.0  # one wrk run
    rounds: int = 3  # wrk runs per cell; the best is kept
    stream_repeats: int = 5
    paced_streams: int = 500
    stored: int = 10_000
    slow_streams: int = 1_000
    startup_repeats: int = 3


@dataclass
class Capture:
    status: int
    headers: dict[str, str]
    body: bytes

    def scripted_by(self, scenario: str) -> bool:
        """Answered by that scenario (the mock names it in x-mock-scenario)."""
        return self.status == 200 and self.headers.get("x-mock-scenario") == scenario

    @property
    def is_stream(self) -> bool:
        return self.status == 200 and "text/event-stream" in self.headers.get("content-type", "")

    def why_not(self) -> str:
        try:
            message = json.loads(self.body)["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = self.body[:120].decode(errors="replace")
        return f"mock answered {self.status}: {message}"


@dataclass
class Ctx:
    settings: Settings
    work: Path  # temporary folder of this run
    scenarios: Path
    startup: Path
    mock: Server | None = None
    bare: Server | None = None
    captures: dict[str, Capture] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def logdir(self) -> Path:
        return self.work

    def body_file(self, name: str, body: dict[str, Any]) -> Path:
        path = self.work / f"request-{name}.json"
        path.write_bytes(json.dumps(body).encode())
        return path


def post(url: str, body: dict[str, Any], scenario: str = "", timeout: float = 60) -> Capture:
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    if scenario:
        headers["X-Mock-Scenario"] = scenario
    request = urllib.request.Request(
        url + "/v1/responses", data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return Capture(resp.status, _lower(resp.headers.items()), resp.read())
    except urllib.error.HTTPError as err:
        return Capture(err.code, _lower(err.headers.items()), err.read())


def _lower(items: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in items}


def capture_all(ctx: Ctx) -> None:
    """Ask the mock once for each kind of answer; keep the bytes for the reference."""
    assert ctx.mock is not None
    url = ctx.mock.url
    ctx.captures["zero"] = post(url, ZERO_BODY)
    ctx.captures["scripted"] = post(url, ZERO_BODY, sc.SCRIPTED)
    ctx.captures["stream"] = post(url, STREAM_BODY, sc.STREAM)
    ctx.captures["paced"] = post(url, STREAM_BODY, sc.PACED)
    for name, capture in ctx.captures.items():
        path = ctx.work / f"answer-{name}.bin"
        path.write_bytes(capture.body)
        ctx.files[name] = path


def bare_args(ctx: Ctx) -> list[str]:
    """The reference's answers: the captured body or frames for each scenario name."""
    caps, files = ctx.captures, ctx.files
    args = ["--body", f"={files['zero']}"]
    if caps["scripted"].scripted_by(sc.SCRIPTED):
        args += ["--body", f"{sc.SCRIPTED}={files['scripted']}"]
    if caps["stream"].is_stream:
        args += ["--sse", f"{sc.STREAM}={files['stream']}"]
        args += ["--hold", f"{sc.SLOW}={files['stream']}"]
    if caps["paced"].is_stream:
        interval = sc.PACED_INTERVAL_MS
        args += ["--sse", f"{sc.PACED}={files['paced']}:{interval}:{interval}"]
    return args

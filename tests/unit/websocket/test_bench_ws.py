"""bench/s_websocket.py's clients count the same events over a WebSocket and over SSE."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import StartServer

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # bench/ beside the package
from bench import s_websocket


async def test_both_transports_deliver_every_event(
    start_server: StartServer, tmp_path: Path
) -> None:
    path = tmp_path / "bench-ws.yaml"
    path.write_text(s_websocket.SCENARIO.format(text="w w w w w"), encoding="utf-8")
    mock = await start_server(seed=1, scenarios=(path,), default_scenario="bench-ws")
    ws = await s_websocket._run("websocket", mock.root.rstrip("/"), 3, 2)
    sse = await s_websocket._run("sse", mock.root.rstrip("/"), 3, 2)
    # created, in_progress; item and part added; 5 deltas; text, part, item done; completed
    per_response = 2 + 2 + 5 + 3 + 1
    assert ws == sse == 3 * 2 * per_response

"""The socket's lifecycle: upgrade, read loop, dispatch, close.

    serve(request)   GET /v1/responses with `Upgrade: websocket` (the middleware has already
                     named the tenant from the Authorization header, as for HTTP)
      1 upgrade      WebSocketResponse without compression; a message over --max-body-bytes
                     closes the socket with 1009 (message too big)
      2 read loop    each message decoded (codec.py): response.create onto its lane
                     (lanes.py, answer.py), response.steer answered at once (steering.py);
                     a message refused is one `error` event, and the socket stays open
      3 close        lanes cancelled (a running response goes on in the store, as when an
                     SSE client leaves)
Server shutdown (`install`): every socket finishes its lanes' work, then closes with 1001
(going away, a code the SDKs reconnect on), within the shutdown grace.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from aiohttp import WSMsgType, web

from mockserver.appkeys import CONFIG
from mockserver.errors import MockError
from mockserver.observe.metrics import METRICS_KEY
from mockserver.pipeline.middleware import api_key_of, exchange_of, tenant_of
from mockserver.pipeline.store import StoredResponse, Tenant
from mockserver.websocket import answer, codec
from mockserver.websocket.errors import error_event
from mockserver.websocket.lanes import Lanes
from mockserver.websocket.steering import Steering

log = logging.getLogger("mockserver")

_BACKOFF_S = 0.01  # how often a read held back by an unread client looks again
LANE_DEPTH = 64  # requests that may wait on one lane behind the running one
KEPT_RESPONSES = 64  # `store: false` responses a socket keeps for previous_response_id
GOING_AWAY = 1001
SOCKETS = web.AppKey("websockets", set["Connection"])


class Connection:
    """One client socket: what its lanes write to, and the state its events share."""

    def __init__(self, request: web.Request, ws: web.WebSocketResponse) -> None:
        config = request.app[CONFIG]
        self.app = request.app
        self.ws = ws
        self.transport = request.transport
        self.tenant: Tenant = tenant_of(request)
        self.api_key: str = api_key_of(request)
        self.headers: Mapping[str, str] = request.headers
        self.lanes = Lanes(config.ws_max_streams, LANE_DEPTH)
        self.steering = Steering(self.tenant.ids)
        self.closed = asyncio.Event()
        # `store: false` responses of this socket, most recent last: previous_response_id
        # continues them here (only here), as the API keeps them in the connection.
        self.kept: OrderedDict[str, StoredResponse] = OrderedDict()

    def keep(self, stored: StoredResponse) -> None:
        rid = str(stored.response()["id"])
        self.kept[rid] = stored
        self.kept.move_to_end(rid)
        while len(self.kept) > KEPT_RESPONSES:
            self.kept.popitem(last=False)

    @property
    def alive(self) -> bool:
        transport = self.transport
        return transport is not None and not transport.is_closing() and not self.ws.closed

    def send(self, event: dict[str, Any], stream_id: str | None = None) -> None:
        """One server event, now (a whole frame in one transport write: lanes never interleave
        inside a frame)."""
        self.write(codec.text_frame(codec.encode(event, stream_id)))

    def write(self, frames: bytes) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            raise ConnectionResetError("the client left")
        transport.write(frames)

    def blocked(self) -> bool:
        transport = self.transport
        if transport is None:
            return False
        return transport.get_write_buffer_size() > transport.get_write_buffer_limits()[1]

    async def drained(self) -> None:
        """Until the client has read what it was sent (below the transport's high-water
        mark): a client that sends without reading is not read either, so the answers it
        does not read cannot pile up in the server."""
        while self.blocked() and self.alive:
            await asyncio.sleep(_BACKOFF_S)

    async def close(self, code: int, message: str) -> None:
        await self.ws.close(code=code, message=message.encode())

    def drop(self) -> None:
        """The TCP connection, gone without a close frame (the client sees 1006)."""
        if self.transport is not None:
            self.transport.abort()


def is_upgrade(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"


async def serve(request: web.Request) -> web.WebSocketResponse:
    config = request.app[CONFIG]
    ws = web.WebSocketResponse(compress=False, max_msg_size=config.max_body_bytes)
    await ws.prepare(request)  # 1
    exchange_of(request).transport = "websocket"  # the handshake's entry (101), at close
    conn = Connection(request, ws)
    sockets = request.app[SOCKETS]
    sockets.add(conn)
    try:
        with request.app[METRICS_KEY].socket_open():
            async for msg in ws:  # 2
                await conn.drained()
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    _dispatch(conn, msg.data)
                elif msg.type == WSMsgType.ERROR:
                    _refused_frame(ws)
                    break
    finally:
        sockets.discard(conn)
        conn.closed.set()
        await conn.lanes.cancel()  # 3
    return ws


def _dispatch(conn: Connection, data: str | bytes) -> None:
    try:
        event = codec.decode(data)
        if isinstance(event, codec.Create):
            conn.lanes.submit(event.stream_id, lambda: answer.run_create(conn, event))
        else:
            conn.send(conn.steering.steer(event))
    except MockError as exc:
        with contextlib.suppress(ConnectionResetError):
            conn.send(error_event(exc, codec.stream_id_of(_loose(data))))


def _loose(data: str | bytes) -> object:
    """The refused message, parsed if it is JSON at all (to echo a valid stream_id)."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return None


def _refused_frame(ws: web.WebSocketResponse) -> None:
    """aiohttp refused a frame (larger than --max-body-bytes: close 1009; not a valid
    WebSocket frame: 1002) and has closed the socket with that code."""
    log.debug("websocket frame refused: %s", ws.exception())


def install(app: web.Application) -> None:
    """The set of open sockets, closed cleanly when the server stops."""
    app[SOCKETS] = set()
    app.on_shutdown.append(_close_sockets)


async def _close_sockets(app: web.Application) -> None:
    """Shutdown: each socket finishes what its lanes run, then closes with 1001 (the grace
    timer in server.py cuts whatever is still open when the grace is over)."""
    sockets: set[Connection] = app[SOCKETS]
    await asyncio.gather(*(_drain(conn) for conn in tuple(sockets)), return_exceptions=True)


async def _drain(conn: Connection) -> None:
    await conn.lanes.idle()
    await conn.close(GOING_AWAY, "server shutting down")

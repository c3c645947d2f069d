"""Admin route of the recorder (`--upstream`): what it does, switched at run time.

    GET /_mock/record                        mode, upstream, file, scenario, rules recorded
    PUT /_mock/record   {"mode": "proxy"}    proxy | fallback | off

Without --upstream there is no recorder: 404, saying how to start one.
"""

from __future__ import annotations

from aiohttp import web

from mockserver.api.admin import guarded
from mockserver.errors import NotFound, unsupported_value
from mockserver.http.body import read_json_object
from mockserver.record.proxy import RECORD_MODES, RECORDER, Recorder, status

routes = web.RouteTableDef()


@routes.get("/_mock/record")
@guarded
async def show(request: web.Request) -> web.Response:
    return web.json_response(status(_recorder(request)))


@routes.put("/_mock/record")
@guarded
async def switch(request: web.Request) -> web.Response:
    recorder = _recorder(request)
    body = await read_json_object(request, 4096)
    mode = body.get("mode")
    if mode not in RECORD_MODES:
        raise unsupported_value("mode", mode, RECORD_MODES)
    recorder.mode = str(mode)
    return web.json_response(status(recorder))


def _recorder(request: web.Request) -> Recorder:
    recorder = request.app.get(RECORDER)
    if recorder is None:
        raise NotFound(
            "No recorder: start the server with --upstream URL (or `mockserver record`) to "
            "proxy and record.",
            code="mock_not_recording",
        )
    return recorder

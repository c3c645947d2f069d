"""Admin routes for scenarios: list, show, add or replace at run time, delete.

    GET    /_mock/scenarios             the scenarios being served
    POST   /_mock/scenarios             add or replace (YAML or JSON body: one scenario or a list)
    GET    /_mock/scenarios/{name}      one, with its definition as written
    PUT    /_mock/scenarios/{name}      the body's one scenario, stored under {name}
    DELETE /_mock/scenarios/{name}      remove it (tenants bound to it are unbound)

Bodies are checked exactly like files, and a bad one gets the same located messages
(`<request body>:3:5: $.rules[0].when.modle: unknown key ...`), all of them at once.
"""

from __future__ import annotations

import dataclasses
import re
from types import MappingProxyType
from typing import Any

from aiohttp import web

from mockserver.api.admin import find_scenario, guarded, registry_of
from mockserver.appkeys import CONFIG, STORE
from mockserver.errors import InvalidRequest
from mockserver.http.body import read_body
from mockserver.scenario.load import load_text
from mockserver.scenario.model import Scenario
from mockserver.scenario.problems import ScenarioLoadError

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # as schema.json's scenario name
BODY_SOURCE = "<request body>"  # how problems name an admin body: `<request body>:3:5: ...`
routes = web.RouteTableDef()


class InvalidScenario(InvalidRequest):
    """400 with the scenario language's own located messages (also as a list)."""

    def __init__(self, exc: ScenarioLoadError) -> None:
        super().__init__(str(exc), code="mock_invalid_scenario")
        self.problems = exc.lines()

    def body(self) -> dict[str, Any]:
        body = super().body()
        body["error"]["problems"] = self.problems
        return body


def scenario_json(scenario: Scenario, *, definition: bool = False) -> dict[str, Any]:
    rules = [
        {
            "name": r.name,
            "index": r.index,
            "origin": str(r.origin),
            "description": r.description,
            "times": r.times,
            "expects": r.expect is not None,
        }
        for r in scenario.rules
    ]
    out: dict[str, Any] = {
        "object": "mockserver.scenario",
        "name": scenario.name,
        "description": scenario.description,
        "origin": str(scenario.origin),
        "rules": rules,
    }
    if definition:
        out["definition"] = dict(scenario.raw)  # as written (nested values are plain JSON)
    return out


@routes.get("/_mock/scenarios")
@guarded
async def list_scenarios(request: web.Request) -> web.Response:
    data = [scenario_json(s) for s in registry_of(request).scenarios.values()]
    return web.json_response({"object": "list", "data": data})


@routes.get("/_mock/scenarios/{name}")
@guarded
async def get_scenario(request: web.Request) -> web.Response:
    scenario = find_scenario(request, request.match_info["name"])
    return web.json_response(scenario_json(scenario, definition=True))


@routes.post("/_mock/scenarios")
@guarded
async def add_scenarios(request: web.Request) -> web.Response:
    scenarios = _load(await _text(request))
    _install(request, scenarios)
    data = [scenario_json(s) for s in scenarios]
    return web.json_response({"object": "list", "data": data}, status=201)


@routes.put("/_mock/scenarios/{name}")
@guarded
async def put_scenario(request: web.Request) -> web.Response:
    """One scenario stored under the URL's name (so one file can serve under several names)."""
    name = request.match_info["name"]
    if not NAME.fullmatch(name) or len(name) > 128:
        raise InvalidRequest(
            f"Invalid scenario name '{name}': use letters, digits, '.', '_' and '-', starting "
            "with a letter or digit (at most 128 characters).",
            code="invalid_value",
            param="name",
        )
    scenarios = _load(await _text(request))
    if len(scenarios) != 1:
        names = ", ".join(s.name for s in scenarios)
        raise InvalidRequest(
            f"PUT /_mock/scenarios/{name} takes one scenario; the body has {len(scenarios)} "
            f"({names}). POST /_mock/scenarios adds several under their own names.",
            code="invalid_value",
        )
    raw = MappingProxyType({**scenarios[0].raw, "name": name})
    scenario = dataclasses.replace(scenarios[0], name=name, raw=raw)
    _install(request, [scenario])
    return web.json_response(scenario_json(scenario))


@routes.delete("/_mock/scenarios/{name}")
@guarded
async def delete_scenario(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    find_scenario(request, name)
    registry_of(request).delete(name)
    for tenant in request.app[STORE].tenants():
        tenant.counters.forget(name)
        if tenant.scenario_binding == name:
            tenant.scenario_binding = None
    return web.json_response({"object": "mockserver.scenario", "name": name, "deleted": True})


async def _text(request: web.Request) -> str:
    raw = await read_body(request, request.app[CONFIG].max_body_bytes)  # 413, 400 if broken
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(
            f"The scenario body is not UTF-8 text (invalid byte at position {exc.start}).",
            code="invalid_encoding",
        ) from None
    if not text.strip():
        raise InvalidRequest(
            "The body is empty: send a scenario as YAML or JSON.", code="mock_invalid_scenario"
        )
    return text


def _load(text: str) -> list[Scenario]:
    try:
        return list(load_text(text, BODY_SOURCE))
    except ScenarioLoadError as exc:
        raise InvalidScenario(exc) from None


def _install(request: web.Request, scenarios: list[Scenario]) -> None:
    """Add or replace; a replaced scenario starts its counters from zero for every tenant."""
    registry_of(request).put(scenarios)
    for tenant in request.app[STORE].tenants():
        for scenario in scenarios:
            tenant.counters.forget(scenario.name)

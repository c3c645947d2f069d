"""Admin routes over the request journal: list and filter, clear, verify expectations.

    GET    /_mock/requests?tenant=KEY&scenario=S&rule=R&unmatched=true&since=T&until=T&limit=N
           &after=SEQ                     a page: {"data", "has_more", "last_seq"}
    DELETE /_mock/requests[?tenant=KEY]
    GET    /_mock/verify[?tenant=KEY]     unmet `expect:` of the answering rules, with a diff

`since`/`until` take unix seconds or ISO 8601 (`2025-01-31T12:00:00Z`). Naming a tenant,
scenario or rule that neither exists nor appears in the journal is a 404: a typo in a test
must not read as "no requests". A listing stops after about 8 MB of request bodies
(`has_more: true`); the next page is `after=<last_seq>`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from mockserver.api.admin import (
    JOURNAL,
    guarded,
    known_tenant,
    registry_of,
    scenario_not_found,
    tenant_key,
)
from mockserver.errors import InvalidRequest, NotFound
from mockserver.observe.journal import Journal, Query
from mockserver.scenario.expectations import report

routes = web.RouteTableDef()


@routes.get("/_mock/requests")
@guarded
async def list_requests(request: web.Request) -> web.Response:
    page = request.app[JOURNAL].page(parse_query(request))
    listing = {
        "object": "list",
        "data": [entry.as_json() for entry in page.entries],
        "has_more": page.has_more,
        "last_seq": page.last_seq,
    }
    return web.json_response(listing, dumps=_dumps)


@routes.delete("/_mock/requests")
@guarded
async def clear_requests(request: web.Request) -> web.Response:
    tenant = _tenant_hash(request)
    dropped = request.app[JOURNAL].clear(tenant)
    return web.json_response({"object": "mockserver.journal.cleared", "requests": dropped})


@routes.get("/_mock/verify")
@guarded
async def verify(request: web.Request) -> web.Response:
    query = Query(tenant=_tenant_hash(request), violations=True)
    entries = [entry.as_json() for entry in request.app[JOURNAL].query(query)]
    verification = {
        "object": "mockserver.verification",
        "ok": not entries,
        "violations": sum(len(e["expectations"]) for e in entries),
        "requests": entries,
        "report": report(entries),
    }
    return web.json_response(verification, dumps=_dumps)


def _dumps(value: Any) -> str:
    # Bodies are the client's JSON (finite numbers only: http/body.py), so this only guards
    # odd values a fault might add.
    return json.dumps(value, ensure_ascii=False, default=str)


def _tenant_hash(request: web.Request) -> str | None:
    key = tenant_key(request)
    return None if key is None else known_tenant(request, key).name


def parse_query(request: web.Request) -> Query:
    q = request.query
    journal = request.app[JOURNAL]
    scenario, rule = q.get("scenario") or None, q.get("rule") or None
    if scenario is not None and not _scenario_known(request, journal, scenario):
        raise scenario_not_found(scenario, registry_of(request).names())
    if rule is not None:
        _check_rule(request, journal, scenario, rule)
    return Query(
        tenant=_tenant_hash(request),
        scenario=scenario,
        rule=rule,
        unmatched=_flag(q.get("unmatched"), "unmatched"),
        violations=_flag(q.get("violations"), "violations"),
        since=_time(q.get("since"), "since"),
        until=_time(q.get("until"), "until"),
        limit=_whole(q.get("limit"), "limit", least=1),
        after=_whole(q.get("after"), "after", least=0),
    )


def _scenario_known(request: web.Request, journal: Journal, name: str) -> bool:
    return name in registry_of(request).scenarios or journal.knows(scenario=name)


def _check_rule(request: web.Request, journal: Journal, scenario: str | None, rule: str) -> None:
    served = registry_of(request).scenarios
    if scenario is None:
        pool = list(served.values())
    else:
        pool = [served[scenario]] if scenario in served else []
    loaded = {r.name for s in pool for r in s.rules}
    if rule in loaded or rule in journal.rules_of(scenario):
        return
    where = f"scenario '{scenario}'" if scenario else "any loaded scenario"
    names = ", ".join(sorted(loaded | journal.rules_of(scenario))) or "none"
    raise NotFound(
        f"No rule named '{rule}' in {where}. Rules: {names}.", code="rule_not_found", param="rule"
    )


def _flag(value: str | None, param: str) -> bool | None:
    if value is None:
        return None
    lowered = value.lower()
    if lowered in {"true", "1", "yes"}:
        return True
    if lowered in {"false", "0", "no"}:
        return False
    raise InvalidRequest(
        f"Invalid '{param}': {value!r}. Expected true or false.", code="invalid_value", param=param
    )


def _time(value: str | None, param: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(
            f"Invalid '{param}': {value!r}. Expected unix seconds (1735689600.5) or ISO 8601 "
            "(2025-01-01T00:00:00Z).",
            code="invalid_value",
            param=param,
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _whole(value: str | None, param: str, least: int) -> int | None:
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or len(value) > 18 or int(value) < least:
        raise InvalidRequest(
            f"Invalid '{param}': {value!r}. Expected a whole number of at least {least}.",
            code="invalid_value",
            param=param,
        )
    return int(value)

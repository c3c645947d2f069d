"""The admin API under /_mock/: health, scenarios, tenant bindings, reset (JSON).

    GET    /_mock/health                          ok, version, scenarios, last reload error
    /_mock/scenarios...                        list, show, add, replace, delete (admin_scenarios.py)
    GET|PUT|DELETE /_mock/tenants/binding?tenant=KEY   the tenant's scenario ({"scenario": NAME})
    POST   /_mock/reset[?tenant=KEY]              forget everything, or one tenant
    GET|DELETE /_mock/conversations?tenant=KEY     its conversations (api/admin_conversations.py)
    (the journal and verify routes: api/admin_journal.py)

A tenant is named by its API key in the query; answers show only its hash. Every route but
health and metrics answers only requests addressed (Host) to localhost, an IP address or an
`--admin-host` name, so a web page cannot read it through DNS rebinding; it needs
`--admin-token` when one is set; and a browser (a `Mozilla` user agent) may not change
anything without the token, so a web page cannot reconfigure a developer's mock.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web

from mockserver import __version__
from mockserver.appkeys import CONFIG, EXCHANGE_SINKS, SCENARIOS, STORE
from mockserver.errors import (
    AuthenticationError,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    mask_key,
)
from mockserver.http.body import read_json_object
from mockserver.observe.journal import Journal
from mockserver.pipeline.store import Tenant, tenant_hash
from mockserver.scenario.model import Scenario
from mockserver.scenario.problems import did_you_mean
from mockserver.scenario.registry import Registry

JOURNAL = web.AppKey("journal", Journal)
_READS = frozenset({"GET", "HEAD", "OPTIONS"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
routes = web.RouteTableDef()


def install(app: web.Application) -> Journal:
    """The journal (an exchange sink) and the admin routes; call after the scenarios' install."""
    from mockserver.api import (
        admin_conversations,
        admin_journal,
        admin_record,
        admin_scenarios,
    )  # their routes use this module's helpers

    journal = Journal(app[CONFIG].journal_size, app[CONFIG].journal_bytes)
    app[JOURNAL] = journal
    app[EXCHANGE_SINKS].append(journal.record)
    app.add_routes(routes)
    app.add_routes(admin_scenarios.routes)
    app.add_routes(admin_journal.routes)
    app.add_routes(admin_conversations.routes)
    app.add_routes(admin_record.routes)  # /_mock/record (--upstream)
    return journal


# ---- access -----------------------------------------------------------------------------------


def guarded(handler: Handler) -> Handler:
    """Admin token (when configured) and the browser refusal, before the handler runs."""

    async def check_then_handle(request: web.Request) -> web.StreamResponse:
        check_access(request)
        return await handler(request)

    return check_then_handle


def check_access(request: web.Request) -> None:
    config = request.app[CONFIG]
    if not host_allowed(request.host, config.admin_hosts):
        raise PermissionDenied(
            f"Refused: the admin API answers requests addressed to localhost or an IP address, "
            f"not to '{_printable(request.host)}' (a web page could otherwise read it through "
            "DNS rebinding). Start the server with --admin-host NAME (MOCKSERVER_ADMIN_HOST) "
            "to accept that name.",
            code="admin_host_refused",
        )
    token = config.admin_token
    given = _given_token(request)
    token_ok = token is not None and given is not None and _same_token(given, token)
    browser = "mozilla" in request.headers.get("User-Agent", "").lower()
    if browser and request.method not in _READS and not token_ok:
        raise PermissionDenied(
            "Refused: the admin API does not take changes from a web browser (a page could "
            "otherwise reconfigure this mock). Use curl or the Python client"
            + (", or send the admin token." if token else "."),
            code="admin_browser_refused",
        )
    if token is not None and not token_ok:
        raise AuthenticationError(
            "This mock requires an admin token for /_mock/ calls: send "
            "'Authorization: Bearer TOKEN' or 'X-Mock-Admin-Token: TOKEN'.",
            code="invalid_admin_token" if given else "admin_token_required",
        )


def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    """Whether a Host header names this server safely: localhost, an IP address (a page that
    rebinds its own domain to us sends that domain), or a configured name."""
    name = _host_name(host)
    if "*" in allowed or name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return name in (a.lower() for a in allowed)
    return True


def _host_name(host: str) -> str:
    """The name part of a Host header, lowercased: no port, no IPv6 brackets."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _printable(text: str) -> str:
    return text.encode("ascii", "backslashreplace").decode()[:200]


def _same_token(given: str, token: str) -> bool:
    """Constant-time comparison of any text (compare_digest refuses non-ASCII str)."""
    encode = "utf-8", "surrogateescape"
    return hmac.compare_digest(given.encode(*encode), token.encode(*encode))


def _given_token(request: web.Request) -> str | None:
    header = request.headers.get("X-Mock-Admin-Token")
    if header:
        return header.strip()
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return (value.strip() or None) if scheme.lower() == "bearer" else None


# ---- lookups shared with admin_journal ----------------------------------------------------------


def registry_of(request: web.Request) -> Registry:
    return request.app[SCENARIOS]


def tenant_key(request: web.Request) -> str | None:
    """The `tenant` query parameter (an API key), if given."""
    key = request.query.get("tenant")
    if key is not None and not key.strip():
        raise InvalidRequest(
            "Invalid 'tenant': expected a non-empty API key.", code="invalid_value", param="tenant"
        )
    return key


def required_tenant_key(request: web.Request) -> str:
    key = tenant_key(request)
    if key is None:
        raise InvalidRequest(
            "Missing required parameter: 'tenant' (the tenant's API key, e.g. ?tenant=sk-test-1).",
            code="missing_required_parameter",
            param="tenant",
        )
    return key


def known_tenant(request: web.Request, key: str) -> Tenant:
    tenant = request.app[STORE].find_tenant(key)
    if tenant is None:
        raise NotFound(
            f"No tenant with API key '{mask_key(key)}' (hash {tenant_hash(key)}): it has made no "
            "request and has no binding since the server started or was last reset.",
            code="tenant_not_found",
            param="tenant",
        )
    return tenant


def scenario_not_found(name: str, loaded: Iterable[str]) -> NotFound:
    loaded = sorted(loaded)
    names = ", ".join(loaded) or "none"
    return NotFound(
        f"No scenario named '{name}'{did_you_mean(name, loaded)}. Loaded scenarios: {names}.",
        code="scenario_not_found",
        param="scenario",
    )


def find_scenario(request: web.Request, name: str) -> Scenario:
    found = registry_of(request).scenarios.get(name)
    if found is None:
        raise scenario_not_found(name, registry_of(request).names())
    return found


# ---- health -------------------------------------------------------------------------------------


@routes.get("/_mock/health")
async def health(request: web.Request) -> web.Response:
    """Unguarded: container health checks carry no token."""
    registry = registry_of(request)
    error = registry.last_error
    return web.json_response(
        {
            "object": "mockserver.health",
            "ok": True,
            "version": __version__,
            "scenarios": registry.names(),
            "last_reload_error": None if error is None else error.lines(),
        }
    )


# ---- tenant binding -----------------------------------------------------------------------------


def binding_json(tenant: Tenant) -> dict[str, Any]:
    return {
        "object": "mockserver.binding",
        "tenant": tenant.name,
        "scenario": tenant.scenario_binding,
    }


@routes.get("/_mock/tenants/binding")
@guarded
async def get_binding(request: web.Request) -> web.Response:
    key = required_tenant_key(request)
    return web.json_response(binding_json(known_tenant(request, key)))


@routes.put("/_mock/tenants/binding")
@guarded
async def put_binding(request: web.Request) -> web.Response:
    """Bind (creating the tenant: tests bind before their first request)."""
    key = required_tenant_key(request)
    body = await read_json_object(request, request.app[CONFIG].max_body_bytes)
    name = body.get("scenario")
    if not isinstance(name, str) or not name:
        raise InvalidRequest(
            'Expected a body like {"scenario": "NAME"} naming a loaded scenario.',
            code="invalid_value",
            param="scenario",
        )
    find_scenario(request, name)
    tenant = request.app[STORE].tenant(key)
    tenant.scenario_binding = name
    return web.json_response(binding_json(tenant))


@routes.delete("/_mock/tenants/binding")
@guarded
async def delete_binding(request: web.Request) -> web.Response:
    key = required_tenant_key(request)
    tenant = known_tenant(request, key)
    tenant.scenario_binding = None
    return web.json_response(binding_json(tenant))


# ---- reset --------------------------------------------------------------------------------------


@routes.post("/_mock/reset")
@guarded
async def reset(request: web.Request) -> web.Response:
    """Everything (all tenants: stored responses, counters, rate limits, bindings; the journal),
    or one tenant. Scenarios stay: they are configuration (DELETE them one by one)."""
    key = tenant_key(request)
    journal = request.app[JOURNAL]
    if key is None:
        request.app[STORE].reset()
        dropped = journal.clear()
        return web.json_response(
            {"object": "mockserver.reset", "tenant": None, "requests": dropped}
        )
    tenant = known_tenant(request, key)
    request.app[STORE].reset(key)
    dropped = journal.clear(tenant.name)
    return web.json_response(
        {"object": "mockserver.reset", "tenant": tenant.name, "requests": dropped}
    )

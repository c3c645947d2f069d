"""The one middleware every request passes, and the OpenAI headers of every answer.

`exchange_middleware`, in order: the exchange record (timed; handed to the sinks once the
answer is out or the client left), auth (the API key names the tenant, on /v1/ only), the
handler, and errors (every exception becomes an OpenAI error body; a bug is a logged 500,
never a traceback to the client). One middleware, not three: each layer is a coroutine
frame and a call on every request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from mockserver.appkeys import CONFIG, EXCHANGE_SINKS, REQUEST_RNG, STORE
from mockserver.errors import AuthenticationError, MockError, NotFound, ServerError, mask_key
from mockserver.faults.request import RequestFaults, settle
from mockserver.http.exchange import Exchange
from mockserver.pipeline.store import Tenant

log = logging.getLogger("mockserver")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
TENANT_KEY = web.RequestKey("tenant", Tenant)
EXCHANGE_KEY = web.RequestKey("exchange", Exchange)
# A create request's failure-injection state: what its x-ratelimit-* headers say.
REQUEST_FAULTS = web.RequestKey("faults", RequestFaults)
API_KEY = web.RequestKey("api_key", str)
OPENAI_VERSION = "2020-10-01"

_SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"
_NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with "
    "blank username) if you're accessing the API from your browser and are prompted for a "
    "username and password. You can obtain an API key from "
    "https://platform.openai.com/account/api-keys."
)


@web.middleware
async def exchange_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The one middleware: the exchange record, auth on /v1/, every error as an API error."""
    app = request.app
    path = request.path
    ex = open_exchange(app, request.method, path, _retry_count(request))
    request[EXCHANGE_KEY] = ex
    start = time.perf_counter()
    try:
        try:
            if path.startswith("/v1/"):
                _enter_tenant(request, app, ex)
            response = await handler(request)
        except MockError as exc:
            response = error_response(request, exc)
        except web.HTTPException as exc:
            if exc.status not in (404, 405):
                raise
            response = error_response(request, NotFound(f"Invalid URL ({request.method} {path})"))
        except Exception:  # a bug in the mock must not kill the connection or leak a traceback
            log.exception("unhandled error on %s %s", request.method, path)
            response = error_response(request, ServerError(_SERVER_ERROR))
        ex.status = response.status
        return response
    finally:
        ex.duration_ms = (time.perf_counter() - start) * 1000
        close_exchange(app, ex)


def open_exchange(app: web.Application, method: str, path: str, retry_count: int) -> Exchange:
    """A new exchange record (HTTP: one a request; WebSocket: one a response.create)."""
    return Exchange(
        request_id=f"req_{app[REQUEST_RNG].getrandbits(128):032x}",
        method=method,
        path=path,
        started_at=time.time(),
        retry_count=retry_count,
    )


def close_exchange(app: web.Application, ex: Exchange) -> None:
    """Hand a finished exchange to the sinks (journal, metrics, access log)."""
    for sink in app[EXCHANGE_SINKS]:
        sink(ex)


def _retry_count(request: web.Request) -> int:
    raw = request.headers.get("x-stainless-retry-count")
    if raw is None:
        return 0
    try:
        return int(raw)
    except ValueError:
        return 0


def _enter_tenant(request: web.Request, app: web.Application, ex: Exchange) -> None:
    """The API key names the tenant (raises AuthenticationError without a valid one)."""
    key = authenticate(request)
    request[API_KEY] = key
    tenant = app[STORE].tenant(key)
    request[TENANT_KEY] = tenant
    ex.tenant = tenant.name


def error_response(request: web.Request, exc: MockError) -> web.Response:
    ex: Exchange | None = request.get(EXCHANGE_KEY)
    if ex is not None:
        ex.error_code = exc.code or exc.type
        ex.status = exc.status
    return web.json_response(exc.body(), status=exc.status, headers=exc.headers)


def authenticate(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise AuthenticationError(_NO_KEY, code="authentication_required")
    allowed = request.app[CONFIG].api_keys
    if allowed and key not in allowed:
        raise AuthenticationError(
            f"Incorrect API key provided: {mask_key(key)}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
        )
    return key


def tenant_of(request: web.Request) -> Tenant:
    return request[TENANT_KEY]


async def add_openai_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: the headers every real answer carries, streams included, and
    x-ratelimit-* on every answer to a create request (one hook: each is a coroutine call)."""
    ex: Exchange | None = request.get(EXCHANGE_KEY)
    headers = response.headers
    if ex is not None:
        headers.setdefault("x-request-id", ex.request_id)
        elapsed = int((time.time() - ex.started_at) * 1000)
        headers.setdefault("openai-processing-ms", str(elapsed))
        if ex.scenario:
            headers.setdefault("x-mock-scenario", ex.scenario)
        if ex.rule:
            headers.setdefault("x-mock-rule", ex.rule)
    headers.setdefault("openai-version", OPENAI_VERSION)
    headers.setdefault("openai-organization", "mockserver")
    rf = request.get(REQUEST_FAULTS)
    if rf is not None:
        for name, value in ratelimit_headers(rf).items():
            headers.setdefault(name, value)


def exchange_of(request: web.Request) -> Exchange:
    """The Exchange the middleware attached to this request."""
    return request[EXCHANGE_KEY]


def ratelimit_headers(rf: RequestFaults) -> dict[str, str]:
    """x-ratelimit-*: the state as of admission, once the answer's real usage is settled."""
    settle(rf)
    snapshot = rf.snapshot or rf.state.limiter.peek(rf.scopes)
    return snapshot.headers()

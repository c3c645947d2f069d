"""The one middleware every request passes, and the OpenAI headers of every answer.

`Edge.middleware`, in order: the exchange record (timed; handed to the sinks once the
answer is out or the client left), auth (the API key names the tenant, on /v1/ only), the
handler, and errors (every exception becomes an OpenAI error body; a bug is a logged 500,
never a traceback to the client). One middleware, not three: each layer is a coroutine
frame and a call on every request.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web
from multidict import CIMultiDict, CIMultiDictProxy, istr

from mockserver.appkeys import CONFIG, EXCHANGE_SINKS, REQUEST_RNG, STORE
from mockserver.errors import AuthenticationError, MockError, NotFound, ServerError, mask_key
from mockserver.faults.admission import RequestFaults, ratelimit_headers
from mockserver.faults.ratelimit import RATELIMIT_HEADERS
from mockserver.http.exchange import Exchange
from mockserver.observe.metrics import EVENT_STREAM, METRICS_KEY
from mockserver.pipeline.store import Tenant

log = logging.getLogger("mockserver")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
OPENAI_VERSION = "2020-10-01"
# The hook's header names, as istr: the answer's CIMultiDict takes them without folding case.
_REQUEST_ID = istr("x-request-id")
_PROCESSING_MS = istr("openai-processing-ms")
_SCENARIO = istr("x-mock-scenario")
_RULE = istr("x-mock-rule")
# The headers of every answer that never change, and every name the hook may set (an
# answer that already has one of them keeps its own value).
_STATIC_HEADERS = (
    (istr("openai-version"), OPENAI_VERSION),
    (istr("openai-organization"), "mockserver"),
)
_HOOK_HEADERS = frozenset(
    {_REQUEST_ID, _PROCESSING_MS, _SCENARIO, _RULE, *RATELIMIT_HEADERS}
    | {name for name, _ in _STATIC_HEADERS}
)


class Attached:
    """What the middleware and the create steps attach to one HTTP request, under one
    request key: its exchange record, the tenant and key its credentials named (on /v1/),
    and a create request's failure-injection state (what its x-ratelimit-* headers say)."""

    __slots__ = ("api_key", "exchange", "faults", "tenant")

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self.tenant: Tenant | None = None
        self.api_key = ""
        self.faults: RequestFaults | None = None


ATTACHED = web.RequestKey("mockserver", Attached)
_MAX_KEYS = 1024  # Authorization headers Edge keeps as accepted

_SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"
_NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with "
    "blank username) if you're accessing the API from your browser and are prompted for a "
    "username and password. You can obtain an API key from "
    "https://platform.openai.com/account/api-keys."
)


class Edge:
    """The one middleware (`Edge.middleware`), bound to the app state it reads on every
    request: the same objects as app[CONFIG], app[STORE], app[REQUEST_RNG] and
    app[EXCHANGE_SINKS], held here because each lookup on the app (and `request.app`
    itself) is a Python call."""

    __slots__ = ("config", "keys", "rng", "sinks", "store")

    def __init__(self, app: web.Application) -> None:
        self.config, self.store = app[CONFIG], app[STORE]
        self.rng, self.sinks = app[REQUEST_RNG], app[EXCHANGE_SINKS]
        # Authorization headers `authenticate` accepted -> their API key (the config's keys
        # never change): a client sends the same header on every request, and a lookup
        # costs less than the parse and checks. Bounded: the headers are the client's choice.
        self.keys: dict[str, str] = {}

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """The exchange record, auth on /v1/, every error as an API error."""
        path = request.path
        retry = request.headers.get("x-stainless-retry-count")
        retry_count = 0 if retry is None else _retry_count(retry)
        ex = new_exchange(self.rng, request.method, path, retry_count)
        attached = request[ATTACHED] = Attached(ex)
        start = time.perf_counter()
        try:
            try:
                if path.startswith("/v1/"):  # the API key names the tenant (or a 401 is raised)
                    header = request.headers.get(hdrs.AUTHORIZATION, "")
                    key = attached.api_key = self.keys.get(header) or self.accept(header)
                    tenant = attached.tenant = self.store.tenant(key)
                    ex.tenant = tenant.name
                response = await handler(request)
            except MockError as exc:
                response = error_response(request, exc)
            except web.HTTPException as exc:
                if exc.status not in (404, 405):
                    raise
                missing = NotFound(f"Invalid URL ({request.method} {path})")
                response = error_response(request, missing)
            except Exception:  # a bug in the mock must not kill the connection or leak a traceback
                log.exception("unhandled error on %s %s", request.method, path)
                response = error_response(request, ServerError(_SERVER_ERROR))
            ex.status = response.status
            return response
        finally:
            ex.duration_ms = (time.perf_counter() - start) * 1000
            for sink in self.sinks:
                sink(ex)

    def accept(self, header: str) -> str:
        """`authenticate(header)`, the header then kept in `keys` as accepted."""
        key = authenticate(header, self.config.api_keys)
        if len(self.keys) >= _MAX_KEYS:
            self.keys.clear()
        self.keys[header] = key
        return key


def open_exchange(app: web.Application, method: str, path: str, retry_count: int) -> Exchange:
    """A new exchange record for a WebSocket response.create (Edge.middleware makes each
    HTTP request's with `new_exchange`, from the same request-id stream)."""
    return new_exchange(app[REQUEST_RNG], method, path, retry_count)


def new_exchange(rng: random.Random, method: str, path: str, retry_count: int) -> Exchange:
    """A new exchange record, its id drawn from the app's request-id stream."""
    # 128 random bits as 32 hex digits (`f"{bits:032x}"`, in fewer steps); the record's
    # fields by position: keywords cost a third of its making.
    request_id = "req_" + rng.getrandbits(128).to_bytes(16).hex()
    ex = Exchange(request_id, method, path, time.time())
    if retry_count:
        ex.retry_count = retry_count
    return ex


def close_exchange(app: web.Application, ex: Exchange) -> None:
    """Hand a finished WebSocket exchange to the sinks (journal, metrics, access log), as
    Edge.middleware does for an HTTP one."""
    for sink in app[EXCHANGE_SINKS]:
        sink(ex)


def _retry_count(header: str) -> int:
    """x-stainless-retry-count's number (0 if it is not one)."""
    try:
        return int(header)
    except ValueError:
        return 0


def error_response(request: web.Request, exc: MockError) -> web.Response:
    attached = request.get(ATTACHED)
    if attached is not None:
        ex = attached.exchange
        ex.error_code = exc.code or exc.type
        ex.status = exc.status
    return web.json_response(exc.body(), status=exc.status, headers=exc.headers)


def authenticate(header: str, allowed: tuple[str, ...]) -> str:
    """The API key of an Authorization header (a 401 if it names none, or one not in
    `allowed` when any are)."""
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise AuthenticationError(_NO_KEY, code="authentication_required")
    if allowed and key not in allowed:
        raise AuthenticationError(
            f"Incorrect API key provided: {mask_key(key)}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
        )
    return key


def tenant_of(request: web.Request) -> Tenant:
    """The tenant the request's API key named (requests under /v1/ only)."""
    tenant = request[ATTACHED].tenant
    if tenant is None:
        raise LookupError(f"{request.path} has no tenant: only /v1/ requests name one")
    return tenant


def api_key_of(request: web.Request) -> str:
    """The API key of a request under /v1/ ("" elsewhere)."""
    return request[ATTACHED].api_key


def exchange_of(request: web.Request) -> Exchange:
    """The Exchange the middleware attached to this request."""
    return request[ATTACHED].exchange


class JsonAnswer(web.Response):
    """A create request's JSON answer (`JsonAnswer(body=..., headers=JSON_HEADERS)`): its one
    header is Content-Type, so `add_openai_headers` adds its own without looking for ones
    already set, and it is never an event stream."""


JSON_HEADERS = CIMultiDictProxy(CIMultiDict({hdrs.CONTENT_TYPE: "application/json"}))


async def add_openai_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare, the app's one hook: the headers every real answer carries,
    streams included, x-ratelimit-* on every answer to a create request; and an event
    stream counted as open in the metrics (observe/metrics.py) until its request ends."""
    pairs: list[tuple[str, str]]
    try:
        attached = request[ATTACHED]
    except KeyError:  # aiohttp answered before the middleware ran (a refused Expect)
        pairs = list(_STATIC_HEADERS)
    else:
        ex = attached.exchange
        elapsed = int((time.time() - ex.started_at) * 1000)
        pairs = [(_REQUEST_ID, ex.request_id), (_PROCESSING_MS, str(elapsed))]
        if ex.scenario:
            pairs.append((_SCENARIO, ex.scenario))
        if ex.rule:
            pairs.append((_RULE, ex.rule))
        pairs += _STATIC_HEADERS
        if attached.faults is not None:
            pairs += ratelimit_headers(attached.faults)
    headers = response.headers
    if type(response) is JsonAnswer:  # the usual answer: nothing to look for
        headers.extend(pairs)
        return
    if headers.keys().isdisjoint(_HOOK_HEADERS):
        headers.extend(pairs)  # the usual answer: all of them in one go
    else:
        for name, value in pairs:  # an answer that set some itself (a 429's) keeps them
            headers.setdefault(name, value)
    if headers.get(hdrs.CONTENT_TYPE, "").startswith(EVENT_STREAM):
        metrics = request.app.get(METRICS_KEY)
        if metrics is not None:
            metrics.count_stream()

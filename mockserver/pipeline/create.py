"""POST /v1/responses: the steps of a create request, in order (`create_response`).

     1  read_body         the body within --max-body-bytes (and the startup warm-up)
     2  open_turn         JSON object -> ResponseRequest; the tenant's earlier conversation
     3  select_scenario   X-Mock-Scenario, the tenant's binding, --default-scenario: once
     4  check_model       the model's rules (catalog), before anything is counted; a streamed
                          input over the model's window fails in the stream instead (step 5)
     5  begin_faults, admission.admit     rate limits, an outage window, chaos
     6  choose            a replayed plan, the scenario's rule, or the zero-config plan
     7  admission.admit_rule, admission.arm   the rule's limits and chaos, its error, its faults
     8  finish            render the Response (pure), settle usage, store it
     9  (the answer)      JSON (through a body fault), SSE, or a background run
The journal's facts are written on the exchange as the steps learn them. Steps 2-8 run in
`create` (transport-neutral: an `Incoming` request and a `Transport` for what touches the
connection) and return a Created, or the transport's own answer when a pre-answer fault ended
the exchange. `create_response` (HTTP) and the WebSocket mode (mockserver/websocket/) both call
it; only reading the body (1), pre-answer faults (`Transport.before_answer`) and the answer (9)
differ between them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from random import Random
from typing import Any, Protocol, TypeVar

from aiohttp import web

from mockserver.appkeys import CONFIG, MODELS, SCENARIOS, STORE, WARMUP, clock_of
from mockserver.catalog.models import Catalogue, ModelInfo
from mockserver.catalog.reasoning import with_reasoning
from mockserver.catalog.rules import ContextWindowExceeded, model_for
from mockserver.config import Config
from mockserver.faults import admission, transport
from mockserver.faults.admission import RequestFaults
from mockserver.faults.chaos import Choice
from mockserver.faults.error_catalog import PRESETS, ErrorSpec
from mockserver.faults.spec import FaultSpec
from mockserver.faults.state import TenantFaults
from mockserver.http.body import parse_json_object, read_body
from mockserver.http.exchange import Exchange, KeptHeaders
from mockserver.jsonbytes import dumps
from mockserver.openai.ids import IdFactory
from mockserver.openai.request import parse_request
from mockserver.openai.request_parts import input_value
from mockserver.pipeline import conversations, loop_check, streamed
from mockserver.pipeline.conversation import NOTHING_KEPT, Kept
from mockserver.pipeline.middleware import ATTACHED, JSON_HEADERS, Attached, JsonAnswer
from mockserver.pipeline.render import render
from mockserver.pipeline.store import Store, StoredResponse, Tenant
from mockserver.pipeline.turn import Created, Turn
from mockserver.plan import Plan
from mockserver.record.proxy import RECORDER
from mockserver.scenario.engine import decide
from mockserver.scenario.match import NoRuleMatched
from mockserver.scenario.model import Rule, Scenario
from mockserver.scenario.registry import Registry
from mockserver.zeroconfig import generate

SCENARIO_HEADER = "X-Mock-Scenario"


@dataclass(slots=True)
class Incoming:
    """A create request as any transport received it: the body's bytes (a JSON object), the
    tenant and key the credentials named, the exchange record, the request's headers."""

    raw: bytes
    tenant: Tenant
    api_key: str
    exchange: Exchange
    headers: Mapping[str, str]
    # Responses the connection keeps besides the store (the WebSocket mode's store: false).
    kept: Kept


Answer = TypeVar("Answer", covariant=True)


class Transport(Protocol[Answer]):
    """What the create steps need from the connection that answers."""

    def began(self, rf: RequestFaults) -> None:
        """The request's fault bookkeeping exists (HTTP: its x-ratelimit-* headers read it)."""

    async def before_answer(self, rf: RequestFaults, faults: Sequence[FaultSpec]) -> Answer | None:
        """Run the pre-answer faults; the transport's answer if one of them ended it."""


async def create_response(request: web.Request) -> web.StreamResponse:
    app = request.app
    raw = await read_body(request, app[CONFIG].max_body_bytes)  # 1
    warmup = app.get(WARMUP)
    if warmup is not None and not warmup.done():
        await warmup  # only requests in the first second after startup ever wait here
    attached = request[ATTACHED]
    tenant = attached.tenant
    assert tenant is not None  # /v1/: the middleware named it
    incoming = Incoming(
        raw, tenant, attached.api_key, attached.exchange, request.headers, NOTHING_KEPT
    )
    created = await create(app, incoming, _HttpTransport(request, attached))  # 2-8
    if not isinstance(created, Created):
        return created  # a pre-answer fault ended the exchange
    # 9: SSE or a background run (streamed.answer), else the JSON body (written here: a
    # coroutine of its own would cost more than its few lines).
    req = created.turn.req
    if req.stream or req.background:
        return await streamed.answer(request, created)
    body = created.stored.body if created.stored is not None else dumps(created.response)
    if created.faults.faults and (fault := admission.body_fault(created.faults)) is not None:
        return await transport.send_body(request, fault, body, clock=clock_of(app))
    return JsonAnswer(body=body, headers=JSON_HEADERS)


async def create(
    app: web.Application, incoming: Incoming, transport: Transport[Answer]
) -> Created | Answer:
    """Steps 2-8, whatever the transport: a MockError raised is the API's refusal."""
    config, ex, raw = app[CONFIG], incoming.exchange, incoming.raw
    turn = open_turn(raw, config, incoming.tenant, ex, incoming.headers, incoming.kept)  # 2
    header = incoming.headers.get(SCENARIO_HEADER)
    scenario = select_scenario(app[SCENARIOS], header, turn)  # 3
    model, stream_error = check_model(app[MODELS], scenario, turn)  # 4
    rf = begin_faults(app, turn, raw, incoming.api_key, stream_error)  # 5
    transport.began(rf)
    hit = admission.admit(rf, config, scenario)
    if hit is not None and (dropped := await _strike(transport, rf, hit)) is not None:
        return dropped
    try:
        plan, rule = choose(scenario, model, turn, rf)  # 6
    except NoRuleMatched as unmatched:
        plan, rule = await _record(app, scenario, model, turn, rf, incoming.headers, unmatched)
    hit = admission.admit_rule(rf, plan, rule)  # 7
    if hit is not None and (dropped := await _strike(transport, rf, hit)) is not None:
        return dropped
    faults = admission.arm(rf, plan)
    if faults and (dropped := await transport.before_answer(rf, faults)) is not None:
        return dropped
    if plan.latency_ms:
        await asyncio.sleep(plan.latency_ms / 1000)
    return finish(turn, plan, model, rf, app[STORE])  # 8


async def _record(
    app: web.Application,
    scenario: Scenario | None,
    model: ModelInfo,
    turn: Turn,
    rf: RequestFaults,
    headers: Mapping[str, str],
    unmatched: NoRuleMatched,
) -> tuple[Plan, Rule | None]:
    """choose() again once no rule matched (`unmatched`): with --record-mode fallback, a
    request no rule of the recorded scenario matches is asked upstream, recorded as a rule,
    and answered by it (record/proxy.py); else `unmatched` is raised. (Only then is a
    coroutine made: one a request costs more than create's try.)"""
    recorder = app.get(RECORDER)
    if recorder is None or not recorder.fills(scenario):
        raise unmatched
    grown = await recorder.fill_in(app[SCENARIOS], turn.req.raw, turn.conversation, headers)
    return choose(grown, model, turn, rf)


def open_turn(
    raw: bytes,
    config: Config,
    tenant: Tenant,
    ex: Exchange,
    headers: Mapping[str, str],
    kept: Kept = NOTHING_KEPT,
) -> Turn:
    """The body validated (the API's errors), and the conversation it continues."""
    body = parse_json_object(raw)
    ex.body, ex.body_bytes = body, len(raw)
    ex.headers = KeptHeaders(headers)  # redacted when first read
    ex.stream = body.get("stream") is True
    req = parse_request(body, strict=config.strict)
    opened = conversations.open_continuation(tenant, req, ex, kept)  # a conversation, or the chain
    if opened.earlier or type(body.get("input")) is not str:  # else one plain user message
        loop_check.check(tenant, opened.earlier, req.input_items, kept)
    content = generate.ContentStream(None, tenant.rng, body) if config.seed is None else None
    return Turn(config, tenant, req, opened.counted, opened.history_len, ex, opened, content)


def select_scenario(registry: Registry, header: str | None, turn: Turn) -> Scenario | None:
    """The header's scenario, else the tenant's binding, else --default-scenario, else None
    (zero-config). An unknown name is a 400."""
    name = header or turn.tenant.scenario_binding or turn.config.default_scenario
    scenario = registry.get(name) if name else None
    # Named at once, so answers refused before a rule is chosen (rate limits, chaos) still
    # show their scenario in the access log, journal and metrics.
    turn.exchange.scenario = name or None
    return scenario


def check_model(
    catalogue: Catalogue, scenario: Scenario | None, turn: Turn
) -> tuple[ModelInfo, ErrorSpec | None]:
    """The request's model, checked against its rules (and the scenario's `models:`), and
    the refusal a streamed request gets in its stream instead (an input over the window)."""
    strict = turn.config.strict_models
    if scenario is not None and scenario.strict_models is not None:
        strict = scenario.strict_models
    models = scenario.models if scenario is not None else ()
    try:
        return model_for(catalogue, turn.req, turn.conversation, strict, models), None
    except ContextWindowExceeded as exc:
        error = PRESETS["context_length_exceeded"]
        if not (turn.req.stream or turn.req.background) or not error.fails_in_stream():
            raise
        return exc.model, error


def begin_faults(
    app: web.Application,
    turn: Turn,
    raw: bytes,
    api_key: str,
    stream_error: ErrorSpec | None = None,
) -> RequestFaults:
    """The request's fault bookkeeping (the tenant's fault state made on its first request)."""
    tenant, req = turn.tenant, turn.req
    if tenant.faults is None:
        tenant.faults = TenantFaults.new(clock_of(app))
    # By position, in begin's order: ten keywords cost ~0.5k a request.
    return admission.begin(
        tenant.faults,
        turn.exchange,
        raw,
        turn.config.seed,  # seed
        tenant.name,  # tenant
        req.model,
        api_key,
        turn.token_estimate,  # estimate
        req.stream or req.background,  # streamed
        stream_error,
    )


def choose(
    scenario: Scenario | None, model: ModelInfo, turn: Turn, rf: RequestFaults
) -> tuple[Plan, Rule | None]:
    """The plan that answers (counted by the scenario engine) and the scenario's rule that
    matched (None: zero-config, or the scenario's fallback); a reasoning model's plan
    starts with a reasoning item."""
    rule: Rule | None = None
    if turn.exchange.retry_count and (replay := admission.replayed(rf, scenario)) is not None:
        plan, rule = replay
    elif scenario is None:
        plan = turn.generated_plan()  # (what a bound cut goes into the exchange's notes)
    else:
        plan, rule = decide_rule(scenario, turn)
    plan = with_reasoning(plan, turn.req.raw, model, turn.content_rng)
    turn.exchange.scenario, turn.exchange.rule = plan.scenario, plan.rule
    return plan, rule


def decide_rule(scenario: Scenario, turn: Turn) -> tuple[Plan, Rule | None]:
    """The scenario engine's answer (its first matching rule, or its fallback), with the
    journal's facts: why no rule matched, the rule's unmet expectations."""
    seed = scenario.seed if scenario.seed is not None else turn.config.seed
    req, ex, opened = turn.req, turn.exchange, turn.continues
    try:
        # Positional (decide's parameters in order): nine keywords cost ~0.6k a request.
        decision = decide(
            scenario,
            req.raw,  # body
            opened.seen,  # conversation: compaction items expanded
            ex.headers,  # headers: lowercased, the API key redacted
            turn.tenant.counters,
            seed if seed is not None else turn.content_rng().getrandbits(32),
            # json_for_schema, generate: within the answer's budget, made only if drawn.
            turn.json_for_schema,
            turn.generated_plan,
            opened.facts,
        )
    except NoRuleMatched as exc:
        ex.unmatched = exc.unmatched
        raise
    ex.unmatched, ex.expectations = decision.unmatched, decision.unmet
    return decision.plan, decision.rule


async def _strike(transport: Transport[Answer], rf: RequestFaults, hit: Choice) -> Answer | None:
    """A chaos or outage choice's pre-answer faults, now; the answer if they ended it."""
    dropped = await transport.before_answer(rf, hit.faults) if hit.faults else None
    if dropped is not None:
        admission.dropped(rf, hit)
    return dropped


class _HttpTransport:
    """The HTTP request a create answers on."""

    __slots__ = ("_attached", "_request")

    def __init__(self, request: web.Request, attached: Attached) -> None:
        self._request = request
        self._attached = attached

    def began(self, rf: RequestFaults) -> None:
        self._attached.faults = rf  # what the x-ratelimit-* headers say

    async def before_answer(
        self, rf: RequestFaults, faults: Sequence[FaultSpec]
    ) -> web.StreamResponse | None:
        request = self._request
        return await transport.before_answer(request, faults, rf.rng, clock_of(request.app))


def finish(turn: Turn, plan: Plan, model: ModelInfo, rf: RequestFaults, store: Store) -> Created:
    """Render the Response, settle the rate limits' estimate against it, store it; in a
    conversation, compact it past context_management's threshold and add its items."""
    config, opened = turn.config, turn.continues
    now = config.freeze_time if config.freeze_time is not None else time.time()
    response, input_ids, body = render(turn, plan, model, now)
    if opened.compact_threshold is not None:  # context_management: compacts past it
        response = conversations.finish_response(turn, opened, model, response)
        body = None  # (render writes no JSON for such a request)
    rf.response = response  # its usage settles the rate limits' estimate
    stored = store_response(store, turn, response, input_ids, body) if turn.req.store else None
    if opened.conversation is not None:  # joins it once the response completes
        conversations.join(turn, opened.conversation, response, stored)
    return Created(turn, plan, model, response, stored, rf)


def store_response(
    store: Store,
    turn: Turn,
    response: dict[str, Any],
    input_ids: list[str],
    body: bytes | None = None,
) -> StoredResponse:
    """The response kept (`body`: its JSON, if render wrote it), with its input items as
    input_items lists them (`input_resources`)."""
    req = turn.req
    text = req.raw.get("input")
    kept: list[dict[str, Any]] | bytes
    if type(text) is str:  # one user message: its JSON from _LONE_MESSAGE
        item_id = input_ids[0] if input_ids else turn.tenant.ids.item_id("message")
        head, after_id, tail = _LONE_MESSAGE
        kept = _EMPTY.join((head, item_id.encode(), after_id, dumps(text), tail))
    else:
        kept = input_resources(req.input_items, input_ids, turn.tenant.ids)
    running = req.stream or req.background  # its Run writes its body (streamed.start_run)
    stored = StoredResponse(turn.tenant, response, kept, req.previous_response_id, body, running)
    store.put(turn.tenant, response["id"], stored)
    turn.exchange.response_id = response["id"]
    return stored


def input_resources(
    items: list[dict[str, Any]], input_ids: list[str], ids: IdFactory
) -> list[dict[str, Any]]:
    """Input items as input_items lists them: each with an id (input_ids, drawn with the
    response's; else drawn now, in order), a status on messages."""
    resources: list[dict[str, Any]] = []
    for n, item in enumerate(items):
        kind = item.get("type")
        resource = {"id": input_ids[n] if input_ids else ids.item_id(str(kind)), **item}
        if kind == "message":
            resource.setdefault("status", "completed")
        resources.append(resource)
    return resources


def _lone_message() -> tuple[bytes, bytes, bytes]:
    """The JSON `input_resources` gives a string input (one user message), cut around its
    id and its text: a string input's stored items are these parts with the two set (at
    half the cost of building and encoding them)."""
    marks = ("\0id", "\0text")  # strings no request holds
    (one,) = input_resources(input_value(marks[1], {}, "input"), [marks[0]], IdFactory(Random(0)))
    head, rest = dumps([one]).split(dumps(marks[0])[1:-1])  # the id's quotes stay in the parts
    after_id, tail = rest.split(dumps(marks[1]))
    return head, after_id, tail


_EMPTY = b""
_LONE_MESSAGE = _lone_message()

"""create_app(config): the aiohttp Application with its routes, middlewares and state."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
from collections.abc import AsyncIterator, Callable

from aiohttp import web

from mockserver.api import admin, conversations, models, responses
from mockserver.appkeys import CONFIG, EXCHANGE_SINKS, REQUEST_RNG, SCENARIOS, STORE, WARMUP
from mockserver.config import Config
from mockserver.observe import metrics
from mockserver.observe.accesslog import log_exchange
from mockserver.openai import tokens
from mockserver.pipeline import streamed
from mockserver.pipeline.middleware import Edge, add_openai_headers
from mockserver.pipeline.store import Store
from mockserver.record import proxy as record
from mockserver.scenario.problems import Problem, ScenarioLoadError, did_you_mean
from mockserver.scenario.registry import Registry
from mockserver.scenario.reload import watch
from mockserver.websocket import session as websocket
from mockserver.zeroconfig import generate


async def _warm_up(app: web.Application) -> None:
    """Load the tokenizer and faker in a thread (~0.8 s): startup stays fast, and requests that
    arrive meanwhile await this future instead of blocking the event loop on the load."""
    app[WARMUP] = asyncio.get_running_loop().run_in_executor(None, _load_heavy_parts)


def _load_heavy_parts() -> None:
    tokens.warm()
    generate.warm()


def create_app(config: Config | None = None) -> web.Application:
    config = config or Config()
    app = web.Application(
        client_max_size=config.max_body_bytes, handler_args={"max_field_size": 65536}
    )
    app[CONFIG] = config
    app[STORE] = Store(config.seed, config.max_stored, config.max_tenants)
    app[EXCHANGE_SINKS] = []
    seed = config.seed
    app[REQUEST_RNG] = random.Random(f"requests:{seed}" if seed is not None else os.urandom(16))
    app.middlewares.append(Edge(app).middleware)  # the one middleware, bound to the state above
    # The one on_response_prepare hook: OpenAI and x-ratelimit-* headers, open streams.
    app.on_response_prepare.append(add_openai_headers)
    app.on_startup.append(_warm_up)
    app.cleanup_ctx.append(streamed.track_background_tasks)  # background responses
    app.add_routes(responses.routes)
    app.add_routes(conversations.routes)  # the Conversations API
    websocket.install(app)  # GET /v1/responses with Upgrade: the open sockets, closed on stop
    models.install(app, config)  # the model catalogue, /v1/models, /v1/responses/input_tokens
    app[SCENARIOS] = load_scenarios(config)  # ScenarioLoadError if any is bad
    if config.reload and config.scenarios:
        app.cleanup_ctx.append(_watching(app[SCENARIOS]))
    if config.record_upstream is not None:  # --upstream: proxy and record (record/proxy.py)
        record.install(app, config)
    admin.install(app)  # /_mock/ admin API and the request journal (after the scenarios)
    # GET /_mock/metrics, the open-streams gauge, and a sink counting every exchange.
    app[EXCHANGE_SINKS].append(metrics.install(app, prepare_hook=False).observe)
    app[EXCHANGE_SINKS].append(log_exchange)
    return app


def _watching(registry: Registry) -> Callable[[web.Application], AsyncIterator[None]]:
    """--reload: a cleanup_ctx that polls the scenario files for the app's lifetime."""

    async def run(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(watch(registry), name="scenario-reload")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return run


def load_scenarios(config: Config) -> Registry:
    """The --scenarios files, loaded; raises ScenarioLoadError with every problem."""
    registry = Registry(config.scenarios)
    registry.load_files()
    default = config.default_scenario
    if default is not None and default not in registry.scenarios:
        loaded = ", ".join(registry.names()) or "none"
        hint = did_you_mean(default, registry.names())
        message = f"unknown scenario '{default}'{hint}; loaded scenarios: {loaded}"
        raise ScenarioLoadError([Problem("--default-scenario", 0, 0, "", message)])
    return registry

"""create_app(config): the aiohttp Application with its routes, middlewares and state."""

from __future__ import annotations

import os
import random

from aiohttp import web

from . import metrics
from .accesslog import log_exchange
from .api import responses
from .appkeys import CONFIG, EXCHANGE_SINKS, REQUEST_RNG, STORE
from .config import Config
from .middleware import add_openai_headers, auth_middleware, error_middleware, exchange_middleware
from .store import Store


def create_app(config: Config | None = None) -> web.Application:
    config = config or Config()
    app = web.Application(
        middlewares=[exchange_middleware, error_middleware, auth_middleware],
        client_max_size=config.max_body_bytes,
        handler_args={"max_field_size": 65536},
    )
    app[CONFIG] = config
    app[STORE] = Store(config.seed, config.max_stored)
    app[EXCHANGE_SINKS] = []
    seed = config.seed
    app[REQUEST_RNG] = random.Random(f"requests:{seed}" if seed is not None else os.urandom(16))
    app.on_response_prepare.append(add_openai_headers)
    app.add_routes(responses.routes)
    # GET /_mock/metrics, the open-streams gauge, and a sink counting every exchange.
    app[EXCHANGE_SINKS].append(metrics.install(app).observe)
    app[EXCHANGE_SINKS].append(log_exchange)
    return app

"""Typed keys for the state create_app puts on the aiohttp Application."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

from aiohttp import web

from mockserver.catalog.models import Catalogue
from mockserver.clock import SYSTEM_CLOCK, Clock
from mockserver.config import Config
from mockserver.http.exchange import Exchange
from mockserver.pipeline.store import Store
from mockserver.scenario.registry import Registry

CONFIG = web.AppKey("config", Config)
STORE = web.AppKey("store", Store)
# The loaded scenarios (--scenarios, --reload, the admin API).
SCENARIOS = web.AppKey("scenarios", Registry)
# The model catalogue (--models-file), merged with a scenario's `models:` when it has one.
MODELS = web.AppKey("models", Catalogue)
# Called with every finished Exchange: access log, metrics, journal.
EXCHANGE_SINKS = web.AppKey("exchange_sinks", list[Callable[[Exchange], None]])
# The tokenizer/faker warm-up started at startup; create requests await it if still running.
WARMUP = web.AppKey("warmup", asyncio.Future[None])
# Request ids (x-request-id), reproducible when a seed is set.
REQUEST_RNG = web.AppKey("request_rng", random.Random)
# The clock of rate limits, outage windows and fault delays: tests put a ManualClock here
# (before the first request) to move time by hand.
CLOCK = web.AppKey("faults_clock", Clock)


def clock_of(app: web.Application) -> Clock:
    return app.get(CLOCK, SYSTEM_CLOCK)

"""Everything known about one create request once the model's Plan is chosen.

The handler builds a Turn step by step; streaming, background mode and faults each take it
whole instead of a long argument list.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from mockserver.config import Config
from mockserver.http.exchange import Exchange
from mockserver.openai.request import ResponseRequest
from mockserver.pipeline.store import StoredResponse, Tenant
from mockserver.plan import Plan


@dataclass
class Turn:
    request: web.Request
    config: Config
    tenant: Tenant
    req: ResponseRequest
    conversation: list[dict[str, Any]]  # earlier turns + this request's input
    history_len: int  # how many of conversation's items came from earlier turns
    exchange: Exchange
    rng: random.Random  # content randomness (seeded by seed + request when a seed is set)
    plan: Plan | None = None
    response: dict[str, Any] | None = None  # the final Response
    stored: StoredResponse | None = None
    model_info: Any = None  # mockserver.catalog catalogue entry, when known
    extra: dict[str, Any] = field(default_factory=dict)

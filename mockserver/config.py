"""Server configuration: one frozen value, built by the CLI (flags, MOCKSERVER_* env) or tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

DEFAULT_MAX_BODY_BYTES = 50 * 1024 * 1024  # the real API's payload limit
DEFAULT_MAX_STORED = 100_000
DEFAULT_JOURNAL_SIZE = 10_000
DEFAULT_UPSTREAM_TIMEOUT = 60.0
DEFAULT_JOURNAL_BYTES = 128 * 1024 * 1024  # the request bodies the journal keeps, in total
DEFAULT_MAX_TENANTS = 10_000


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8000
    # None: ids and generated text are random per process; an int makes them reproducible.
    seed: int | None = None
    # Empty: any non-empty bearer key is accepted (and names a tenant).
    api_keys: tuple[str, ...] = ()
    scenarios: tuple[Path, ...] = ()
    default_scenario: str | None = None
    reload: bool = False
    # Reject unknown body fields as the API does (default: accept and log them).
    strict: bool = False
    max_stored: int = DEFAULT_MAX_STORED
    # API keys (tenants) kept; past it the least recently used is forgotten. 0: no limit.
    max_tenants: int = DEFAULT_MAX_TENANTS
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # A fixed unix time for created_at/completed_at, so whole bodies are byte-identical in tests.
    freeze_time: float | None = None
    log_level: str = "info"
    log_format: Literal["text", "json"] = "text"
    shutdown_grace: float = 8.0  # fits inside docker stop's 10 s
    admin_token: str | None = None
    # Host names the admin API answers besides localhost and IP addresses ("*": any); other
    # names are refused, so a web page cannot read it through DNS rebinding.
    admin_hosts: tuple[str, ...] = ()
    journal_size: int = DEFAULT_JOURNAL_SIZE
    journal_bytes: int = DEFAULT_JOURNAL_BYTES
    # Server-wide chaos: the probability that any request gets a server_error instead.
    chaos: float = 0.0
    models_file: Path | None = None
    strict_models: bool = False
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    # WebSocket mode: lanes (stream_id) one socket may run at once (more: an error event).
    ws_max_streams: int = 16
    # Record and replay (mockserver/record/): proxy to this upstream ("proxy": every request;
    # "fallback": only requests no rule matches; "off": none, until PUT /_mock/record) and
    # write what it answers as a scenario.
    record_upstream: str | None = None
    record_mode: Literal["proxy", "fallback", "off"] = "proxy"
    record_out: Path = Path("recorded")
    record_name: str = "recorded"
    record_timing: Literal["summary", "exact", "none"] = "summary"
    record_failures: bool = False  # also record 5xx answers and unreachable upstreams
    redact_paths: tuple[str, ...] = ()
    redact_patterns: tuple[str, ...] = ()
    upstream_timeout: float = DEFAULT_UPSTREAM_TIMEOUT  # connect, and between two reads
    upstream_max_bytes: int = DEFAULT_MAX_BODY_BYTES  # an upstream answer's size

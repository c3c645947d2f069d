"""Command line: `mockserver serve|record|validate|schema`. Every serve flag has a MOCKSERVER_*
variable.

Flags win over the environment; repeatable flags read their variable as a comma-separated
list (MOCKSERVER_SCENARIOS=/a,/b). Logging is configured by serve, nowhere else.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mockserver import __version__
from mockserver.config import (
    DEFAULT_JOURNAL_BYTES,
    DEFAULT_JOURNAL_SIZE,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_STORED,
    DEFAULT_MAX_TENANTS,
    DEFAULT_UPSTREAM_TIMEOUT,
    Config,
)

ENV_PREFIX = "MOCKSERVER_"

# (flag, Config field, type, default, help); the env variable is MOCKSERVER_<FLAG>, e.g.
# --api-key -> MOCKSERVER_API_KEY, --max-stored -> MOCKSERVER_MAX_STORED.
SERVE_OPTIONS: list[tuple[str, str, Any, Any, str]] = [
    ("--host", "host", str, "127.0.0.1", "address to listen on"),
    ("--port", "port", int, 8000, "port to listen on (0: any free port)"),
    ("--seed", "seed", int, None, "seed for ids, generated text, jitter and chaos"),
    ("--api-key", "api_keys", list, [], "accepted API key (repeatable); default: any"),
    ("--scenarios", "scenarios", list, [], "scenario file or folder (repeatable)"),
    ("--default-scenario", "default_scenario", str, None, "scenario used without a header"),
    ("--reload", "reload", bool, False, "watch scenario files and reload good changes"),
    ("--strict", "strict", bool, False, "reject unknown body fields as the API does"),
    ("--max-stored", "max_stored", int, DEFAULT_MAX_STORED, "stored responses kept (oldest go)"),
    (
        "--max-tenants",
        "max_tenants",
        int,
        DEFAULT_MAX_TENANTS,
        "API keys (tenants) kept; the least recently used is forgotten (0: no limit)",
    ),
    ("--max-body-bytes", "max_body_bytes", int, DEFAULT_MAX_BODY_BYTES, "request body limit"),
    ("--freeze-time", "freeze_time", float, None, "fixed unix time for created_at"),
    ("--log-level", "log_level", str, "info", "debug, info, warning or error"),
    ("--log-format", "log_format", str, "text", "text or json"),
    ("--shutdown-grace", "shutdown_grace", float, 8.0, "seconds streams get to finish on stop"),
    ("--ws-max-streams", "ws_max_streams", int, 16, "concurrent lanes on one WebSocket"),
    (
        "--admin-token",
        "admin_token",
        str,
        None,
        "token required by /_mock/ calls (not health, metrics)",
    ),
    (
        "--admin-token-file",
        "admin_token_file",
        Path,
        None,
        "file holding the admin token (e.g. a container secret)",
    ),
    (
        "--admin-host",
        "admin_hosts",
        list,
        [],
        "Host name /_mock/ answers besides localhost and IPs (repeatable; * for any)",
    ),
    ("--journal-size", "journal_size", int, DEFAULT_JOURNAL_SIZE, "request journal entries kept"),
    (
        "--journal-bytes",
        "journal_bytes",
        int,
        DEFAULT_JOURNAL_BYTES,
        "request body bytes the journal keeps (oldest entries go)",
    ),
    ("--chaos", "chaos", float, 0.0, "probability of a server_error on any request"),
    ("--models", "models_file", Path, None, "model catalogue file extending the built-in one"),
    ("--strict-models", "strict_models", bool, False, "unknown models get model_not_found"),
    ("--requests-per-minute", "requests_per_minute", int, None, "per-tenant request limit"),
    ("--tokens-per-minute", "tokens_per_minute", int, None, "per-tenant token limit"),
    # Record and replay (docs/record.md); `mockserver record` is serve with --upstream required.
    ("--upstream", "record_upstream", str, None, "proxy to this API base URL and record"),
    ("--out", "record_out", Path, Path("recorded"), "folder of the recorded scenario file"),
    ("--record-name", "record_name", str, "recorded", "name of the recorded scenario"),
    ("--record-mode", "record_mode", str, "proxy", "proxy (every request), fallback or off"),
    ("--record-timing", "record_timing", str, "summary", "summary, exact or none"),
    ("--record-failures", "record_failures", bool, False, "also record 5xx and unreachable"),
    ("--redact-path", "redact_paths", list, [], "JSON path never recorded (repeatable)"),
    ("--redact-pattern", "redact_patterns", list, [], "regex never recorded (repeatable)"),
    (
        "--upstream-timeout",
        "upstream_timeout",
        float,
        DEFAULT_UPSTREAM_TIMEOUT,
        "seconds to connect, between reads",
    ),
    ("--upstream-max-bytes", "upstream_max_bytes", int, DEFAULT_MAX_BODY_BYTES, "answer limit"),
]


def env_name(field: str) -> str:
    """The environment variable of a Config field: named after its flag."""
    flag = next(flag for flag, name, *_ in SERVE_OPTIONS if name == field)
    return ENV_PREFIX + flag.lstrip("-").replace("-", "_").upper()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockserver", description="A local emulator of the OpenAI Responses API."
    )
    parser.add_argument("--version", action="version", version=f"mockserver {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve",
        help="run the server",
        description=(
            "Run the mock OpenAI Responses API server. Every option can also be set by the "
            "MOCKSERVER_* environment variable shown beside it; a flag wins over its variable, "
            "and repeatable options read theirs as a comma-separated list "
            "(MOCKSERVER_SCENARIOS=/a,/b)."
        ),
    )
    record = sub.add_parser(
        "record",
        help="proxy to --upstream and record its answers as a scenario",
        description=(
            "Run the server as a proxy to --upstream (an API base URL such as "
            "https://api.openai.com/v1): clients get the upstream's answers unchanged, and "
            "each create request is written as a rule of OUT/NAME.yaml. The serve options "
            "apply too, with the same MOCKSERVER_* variables."
        ),
    )
    for flag, field, kind, default, text in SERVE_OPTIONS:
        _add_option(serve, flag, field, kind, default, text)
        _add_option(record, flag, field, kind, default, text)
    validate = sub.add_parser("validate", help="check scenario files; exit 1 on any error")
    validate.add_argument("paths", nargs="+", type=Path)
    sub.add_parser("schema", help="print the JSON Schema of scenario files")
    return parser


def _add_option(
    parser: argparse.ArgumentParser, flag: str, field: str, kind: Any, default: Any, text: str
) -> None:
    env = os.environ.get(env_name(field))
    shown = "default: " in text  # the text says it in its own words
    help_text = text if shown else f"{text}; default: {_shown_default(default)}"
    help_text += f" [env {env_name(field)}]"
    if kind is bool:
        value = default if env is None else env.strip().lower() in ("1", "true", "yes", "on")
        parser.add_argument(flag, dest=field, action="store_true", default=value, help=help_text)
    elif kind is list:
        value = [v for v in (env or "").split(",") if v] or default
        parser.add_argument(flag, dest=field, action="append", default=None, help=help_text)
        parser.set_defaults(**{f"{field}_env": value})
    else:
        # A string default goes through `type` like a command-line value, so a bad variable
        # (MOCKSERVER_PORT=abc) is argparse's clean usage error, not a traceback.
        parser.add_argument(
            flag, dest=field, type=kind, default=env if env else default, help=help_text
        )


def _shown_default(default: Any) -> str:
    if default is None or default == []:
        return "none"
    if isinstance(default, bool):
        return "on" if default else "off"
    return str(default)


def config_from_args(args: argparse.Namespace) -> Config:
    values = {field: getattr(args, field) for _, field, *_ in SERVE_OPTIONS}
    for _, field, kind, *_ in SERVE_OPTIONS:
        if kind is list and values[field] is None:
            values[field] = getattr(args, f"{field}_env")
    token_file = values.pop("admin_token_file")
    if token_file is not None and values["admin_token"] is None:
        values["admin_token"] = _read_token(token_file)
    values["api_keys"] = tuple(values["api_keys"])
    values["admin_hosts"] = tuple(values["admin_hosts"])
    values["scenarios"] = tuple(Path(p) for p in values["scenarios"])
    values["redact_paths"] = tuple(values["redact_paths"])
    values["redact_patterns"] = tuple(values["redact_patterns"])
    return Config(**values)


def _read_token(path: Path) -> str:
    """The admin token kept in a file (a Docker/Kubernetes secret): its text, stripped."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read the admin token file {path}: {exc}") from None
    if not token:
        raise ValueError(f"the admin token file {path} is empty")
    return token


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command in ("serve", "record"):
            return _serve(_record_config(config_from_args(args), args.command == "record"))
        if args.command == "validate":
            return _validate(args.paths)
        return _schema()
    except ValueError as exc:  # a bad MOCKSERVER_* value or option combination
        print(f"mockserver: error: {exc}", file=sys.stderr)
        return 2


def _serve(config: Config) -> int:
    from mockserver.server import run

    return run(config)


def _record_config(config: Config, required: bool) -> Config:
    """`record` is serve with an upstream (required); its options and the file it merges
    into are checked before anything starts (ValueError says what is wrong)."""
    from mockserver.record.cassette import Cassette
    from mockserver.record.proxy import RecordSettings

    if config.record_upstream is None:
        if required:
            raise ValueError("record needs --upstream URL (or MOCKSERVER_UPSTREAM)")
        return config
    settings = RecordSettings.of(config)
    Cassette(settings.out, settings.name)
    return config


def _validate(paths: list[Path]) -> int:
    from mockserver.scenario.cli import check_paths

    checked = check_paths(paths)
    for line in [*checked.errors, *checked.warnings]:
        print(line, file=sys.stderr)
    if not checked.errors:
        print(checked.summary())
    return 1 if checked.errors else 0


def _schema() -> int:
    from mockserver.scenario.cli import schema_json

    print(schema_json())
    return 0

"""`mockserver serve`: configure logging, run the app until SIGTERM/SIGINT, drain, exit 0.

Shutdown order (what a container orchestrator expects): stop accepting connections at once,
close idle keep-alive connections, let requests in flight (streams, mostly) finish for up to
`config.shutdown_grace` seconds, then cut whatever is still open, and return 0.
aiohttp's runner implements that sequence, except that its timeout can run twice (once for
the handler to finish, once more after cancelling a handler that is not reading its body,
as a stream writer is not); a timer cuts the connections still open when the grace is over,
so the grace is what the flag says and fits inside `docker stop`'s 10 s by default.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import TextIO

from aiohttp import web

from mockserver.config import Config
from mockserver.gctune import tune_for_serving
from mockserver.observe import httplog
from mockserver.observe.accesslog import JsonFormatter, TextFormatter
from mockserver.observe.metrics import METRICS_KEY

log = logging.getLogger("mockserver.serve")

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
LOG_FORMATS = ("text", "json")
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def configure_logging(level: str, fmt: str, stream: TextIO | None = None) -> None:
    """Send every log record to stderr (or `stream`) in `fmt`, from `level` up.

    The only place that configures logging: library code just uses named loggers.
    """
    if level.lower() not in LOG_LEVELS:
        raise ValueError(f"{level!r} is not a valid log level. Valid levels are: {LOG_LEVELS}")
    if fmt not in LOG_FORMATS:
        raise ValueError(f"{fmt!r} is not a valid log format. Valid formats are: {LOG_FORMATS}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Our access line replaces aiohttp's; its other loggers (errors) stay.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    httplog.install()  # a client's malformed HTTP is a one-line warning, not a traceback


def run(config: Config) -> int:
    """Serve until SIGTERM or SIGINT; the exit status (0 after a graceful stop)."""
    configure_logging(config.log_level, config.log_format)
    try:
        return asyncio.run(serve(config))
    except KeyboardInterrupt:  # a second Ctrl-C while draining: stop without waiting
        log.warning("interrupted while draining: open streams were cut")
        return 130


async def serve(config: Config) -> int:
    """Run the app on config.host/config.port until a stop signal, then drain and clean up."""
    # Imported here so that `mockserver --help` and the logging setup stay light.
    from mockserver.app import create_app
    from mockserver.scenario import ScenarioLoadError

    try:
        app = create_app(config)
    except ScenarioLoadError as exc:  # refuse to start on a bad scenario file, saying where
        log.error("not starting: %s", exc)
        return 1
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, shutdown_timeout=config.shutdown_grace
    )
    await runner.setup()
    tune_for_serving()  # GC thresholds for a long-running server (see gctune.py)
    # Handlers first: a signal sent as soon as "listening" is logged must still drain.
    signals = _catch_stop_signals()
    cut: asyncio.TimerHandle | None = None
    try:
        try:
            await web.TCPSite(runner, config.host, config.port).start()
        except OSError as exc:  # the port is taken, the address is not local, ...
            log.error("cannot listen on %s:%d: %s", config.host, config.port, exc)
            return 1
        _log_startup(runner, app)
        signame = await signals.get()
        # Default handlers back: a second signal during the drain stops the process at once.
        _release_signals()
        _log_draining(app, signame, config.shutdown_grace)
        cut = asyncio.get_running_loop().call_later(
            config.shutdown_grace, _cut_open_connections, runner
        )
    finally:
        _release_signals()
        try:
            await runner.cleanup()
        finally:
            if cut is not None:
                cut.cancel()
    log.info("stopped")
    return 0


def _cut_open_connections(runner: web.AppRunner) -> None:
    """The grace is over: close every connection still open (their streams end cut)."""
    server = runner.server
    for connection in server.connections if server is not None else ():
        connection.force_close()


def _catch_stop_signals() -> asyncio.Queue[str]:
    """A queue that receives the name of each SIGTERM/SIGINT the process gets."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()
    for sig in _STOP_SIGNALS:
        loop.add_signal_handler(sig, queue.put_nowait, sig.name)
    return queue


def _release_signals() -> None:
    loop = asyncio.get_running_loop()
    for sig in _STOP_SIGNALS:
        loop.remove_signal_handler(sig)


def _log_startup(runner: web.AppRunner, app: web.Application) -> None:
    for address in runner.addresses:
        host, port = address[0], address[1]
        shown = f"[{host}]" if ":" in host else host
        log.info("listening on http://%s:%d", shown, port)
    names = scenario_names(app)
    if names:
        log.info("%d scenario(s) loaded: %s", len(names), ", ".join(names))
    else:
        log.info("no scenarios loaded: answering with the zero-config generator")


def _log_draining(app: web.Application, signame: str, grace: float) -> None:
    metrics = app.get(METRICS_KEY)
    streams = metrics.open_streams if metrics is not None else 0
    if streams:
        log.info(
            "%s: stopped accepting; letting %d open stream(s) finish for up to %gs",
            signame,
            streams,
            grace,
        )
    else:
        log.info("%s: stopped accepting; no stream in flight", signame)


def scenario_names(app: web.Application) -> list[str]:
    """The names of the scenarios the app has loaded, in load order."""
    from mockserver.appkeys import SCENARIOS

    registry = app.get(SCENARIOS)
    return registry.names() if registry is not None else []

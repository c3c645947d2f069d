"""Run the mock inside the current process, on its own event loop in a background thread.

    with ServerThread(Config(seed=7)) as server:
        OpenAI(base_url=server.base_url, api_key="sk-test").responses.create(...)

A thread with its own loop serves sync tests and tests on any async framework alike: the
caller's loop (if any) never runs the server, so a test blocking its own loop cannot stall
the mock, and the mock outlives every test's loop. The port is bound before the thread
starts (port 0: a free one), so `url` is known at once.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from concurrent.futures import Future
from types import TracebackType

from aiohttp import web

from mockserver.app import create_app
from mockserver.config import Config

_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 15.0


class ServerThread:
    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config(port=0)
        # Built here, not in the thread, so a bad scenario file raises in the caller.
        self.app = create_app(self.config)
        self._sock = socket.create_server((self.config.host, self.config.port))
        self.port: int = self._sock.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What the OpenAI SDKs take as base_url."""
        return f"{self.url}/v1"

    def start(self) -> ServerThread:
        started: Future[None] = Future()
        self._thread = threading.Thread(
            target=self._serve, args=(started,), name=f"mockserver:{self.port}", daemon=True
        )
        self._thread.start()
        started.result(timeout=_START_TIMEOUT)  # re-raises a start-up failure here
        return self

    def _serve(self, started: Future[None]) -> None:
        loop = self._loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._start())
        except BaseException as exc:  # handed to the caller, who re-raises it
            started.set_exception(exc)
            self._close_loop()
            return
        started.set_result(None)
        try:
            loop.run_forever()
        finally:
            self._close_loop()

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.SockSite(self._runner, self._sock).start()

    def _close_loop(self) -> None:
        loop = self._loop
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()

    def stop(self) -> None:
        """Close connections, cancel streams in flight, stop the loop, join the thread."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            self._sock.close()
            return
        if self._runner is not None:
            done = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)
            done.result(timeout=_STOP_TIMEOUT)
        self._loop.call_soon_threadsafe(self._loop.stop)
        thread.join(timeout=_STOP_TIMEOUT)
        self._sock.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.stop()

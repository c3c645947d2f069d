"""`--reload`: watch the scenario files and swap in a good change; log a bad one, keep the old.

Polling modification times (every 0.5 s) needs no extra dependency and works the same on
bind mounts in containers, where file events are often not delivered. Parsing runs in a
thread so a large change does not stall answers; the swap itself is one assignment on the
event loop (Registry.replace_files), between requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from mockserver.scenario import fakers
from mockserver.scenario.load import SUFFIXES, collect
from mockserver.scenario.problems import ScenarioLoadError
from mockserver.scenario.registry import Registry

log = logging.getLogger("mockserver.scenario")

Stamp = dict[str, tuple[int, int]]


def stamp(paths: tuple[Path, ...]) -> Stamp:
    """(mtime_ns, size) of every scenario file under paths: any edit, add or delete shows."""
    out: Stamp = {}
    for path in paths:
        files = [path] if path.is_file() else path.rglob("*") if path.is_dir() else []
        for file in files:
            if file == path or file.suffix in SUFFIXES:
                with contextlib.suppress(OSError):  # deleted between listing and stat
                    info = file.stat()
                    out[str(file)] = (info.st_mtime_ns, info.st_size)
    return out


async def reload_once(registry: Registry) -> bool:
    """Load the files again; apply if good (True), else log every problem and keep the old."""
    # Listing faker's providers reseeds the shared Faker once: do it here, between answers,
    # not in the thread, where it could land in the middle of a seeded answer.
    fakers.provider_names()
    loaded = await asyncio.to_thread(collect, registry.paths)
    if loaded.problems:
        registry.last_error = ScenarioLoadError(loaded.problems)
        log.error(
            "scenario reload rejected, still serving the previous set:\n%s",
            "\n".join(registry.last_error.lines()),
        )
        return False
    registry.replace_files(loaded.scenarios)
    registry.last_error = None
    log.info("scenarios reloaded: %s", ", ".join(registry.names()) or "none")
    return True


async def watch(
    registry: Registry,
    interval: float = 0.5,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Poll forever (until cancelled)."""
    last = await asyncio.to_thread(stamp, registry.paths)
    while True:
        await sleep(interval)
        now = await asyncio.to_thread(stamp, registry.paths)
        if now != last:
            last = now
            await reload_once(registry)

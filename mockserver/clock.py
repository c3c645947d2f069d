"""An injectable clock: rate-limit buckets, outage windows and fault delays read time from it.

The server uses `SystemClock`; tests pass a `ManualClock` and move time by hand, so a
bucket that refills over a minute is tested without waiting a minute.
"""

from __future__ import annotations

import asyncio
import math
import time
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (intervals, deadlines)."""
        ...

    def time(self) -> float:
        """Unix time in seconds (what a client's own clock would compare against)."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    # The C functions themselves: read on every request (rate limits, retries), no frame.
    monotonic = staticmethod(time.monotonic)
    time = staticmethod(time.time)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ManualClock:
    """A clock that moves only when told to; `sleep` advances it instead of waiting."""

    def __init__(self, start: float = 1_000.0, unix: float = 1_750_000_000.0) -> None:
        self._now = start
        self._unix_offset = unix - start

    def monotonic(self) -> float:
        return self._now

    def time(self) -> float:
        return self._now + self._unix_offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go back")
        self._now += seconds

    async def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
        # Still yield, so code under test interleaves as with a real sleep; a token real
        # pause keeps a loop that polls (a stall waiting for its client) from spinning.
        await asyncio.sleep(0.001 if seconds > 0 else 0)


SYSTEM_CLOCK = SystemClock()


def format_duration(seconds: float) -> str:
    """A duration as the API writes it (Go style): `12ms`, `1.898s`, `6m0s`, `1h0m0s`.

    Rounded up to the millisecond, so a client that waits exactly this long is never early;
    a millionth of a millisecond over a whole one is float noise (`round(ms, 6)` first).
    """
    if not seconds > 0:  # NaN included
        return "0s"
    ms = seconds * 1000
    whole = math.floor(ms)
    over = ms - whole  # exact (Sterbenz)
    if over > 1e-6:  # every answer's reset headers: round(ms, 6) is above `whole`, no need
        whole += 1  # to round (a decimal conversion each)
    elif over:
        whole = math.ceil(round(ms, 6))
    return _milliseconds(whole)


def _milliseconds(ms: int) -> str:
    """`format_duration` of whole milliseconds. Not cached: it runs only for a snapshot whose
    header texts are not kept (ratelimit.Snapshot.header_pairs), whose durations are new too;
    an lru_cache there cost ~100 instructions a call more than it saved."""
    if ms == 0:
        return "0s"
    if ms < 1000:
        return f"{ms}ms"
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole, frac = divmod(rest, 1000)
    secs = f"{whole}.{frac:03d}".rstrip("0").rstrip(".") if frac else str(whole)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"

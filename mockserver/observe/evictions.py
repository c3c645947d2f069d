"""What a cap evicted, logged so that a full store does not flood the log.

At steady state past `--max-stored` every new response evicts an old one: a warning per
eviction was one log line per request (3-4% of a loaded server's CPU, and a log nobody can
read). A warning goes out at the 1st, 10th, 100th, ... eviction, naming the latest evicted id
and the count so far; every eviction is logged at debug level (when that level is on:
checked first, and at every eviction, so a level changed at run time is followed).
"""

from __future__ import annotations

import logging


class EvictionLog:
    """Counts evictions under one cap and logs them (see the module doc)."""

    __slots__ = ("_cap", "_flag", "_log", "_next_warning", "_what", "count")

    def __init__(self, log: logging.Logger, what: str, flag: str, cap: int) -> None:
        self._log, self._what, self._flag, self._cap = log, what, flag, cap
        self._next_warning = 1
        self.count = 0

    def evicted(self, old_id: str) -> None:
        self.count += 1
        if self.count == self._next_warning:
            self._next_warning *= 10
            self._log.warning(
                "evicted %s (%s %d reached): %d %s evicted so far, the oldest first; "
                "the next warning at %d (every eviction is logged at debug level)",
                old_id,
                self._flag,
                self._cap,
                self.count,
                self._what,
                self._next_warning,
            )
        # The level first: once the store is full this runs every request, and debug()'s
        # call and argument packing cost ~1.1k instructions an eviction when it logs nothing.
        elif self._log.isEnabledFor(logging.DEBUG):
            self._log.debug("evicted %s (%s %d reached)", old_id, self._flag, self._cap)

"""Garbage-collector settings for the `mockserver serve` process (never for in-process use).

Measured with 500 paced streams (bench/, section 3): CPython's default thresholds
(700, 10, 10) ran four full collections during one 4-second run, each 50-190 ms long (every
open stream holds its rendered events: ~300k tracked objects), so every stream was late by
that much at once. Refcounting frees nearly everything a request makes; the cyclic collector
only has to find the rare cycle, and it can do so far less often. With these settings no full
collection happened during the run; one still runs every few million allocations.

Only the server process is tuned: an application that embeds the mock (the pytest plugin,
create_app in a test) keeps its own settings.
"""

from __future__ import annotations

import gc

# gen0 every 10,000 net allocations (default 700); gen1 every 20 of those; a full collection
# at most every 100 gen1 runs (20M allocations), and then only if the old generation grew
# by a quarter (CPython's own rule).
SERVING_THRESHOLDS = (10_000, 20, 100)


def tune_for_serving() -> None:
    """Call once, after the app is built: fewer collections, and none over startup's objects.

    gc.freeze() moves everything alive now (modules, the scenario tree, the model catalogue)
    to a generation that is never scanned again, so later full collections only walk what
    requests and streams created.
    """
    # No gc.collect() first: startup leaves no cyclic garbage (0 objects found with 500
    # scenario files loaded) and a full collection would add ~30 ms to the startup time.
    gc.freeze()
    gc.set_threshold(*SERVING_THRESHOLDS)

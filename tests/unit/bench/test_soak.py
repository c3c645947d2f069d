"""bench/soak.py (run by hand: minutes of hostile traffic) imports, builds the hostile bodies
it documents, and writes its table as ratios against the same run's references."""

from __future__ import annotations

import json
import sys
from pathlib import Path

# bench/ sits beside the package, not in it: importable from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from bench import soak

MB = 1 << 20


def test_the_hostile_bodies_are_the_ones_issue_13_names() -> None:
    bodies = {h.name: h for h in soak.hostile_requests()}
    assert len(bodies["5 MB of nested brackets"].body) == 5 * MB
    assert len(bodies["45 MB body"].body) > 45 * MB
    assert len(json.dumps(soak._bloating_schema(), separators=(",", ":"))) < 25_000
    assert bodies["YAML alias bomb"].content_type == "application/yaml"


def test_the_table_shows_ratios_against_the_references() -> None:
    results = {
        "started": "2026-12-02T11:00:00Z",
        "memory": {
            "requests": 10_000,
            "seconds": 100.0,
            "rss_warm": 100 * MB,
            "rss_loaded": 250 * MB,
            "rss_after_reset": 120 * MB,
        },
        "slowest": {
            "plain_seconds": 0.005,
            "plain_after_seconds": 0.005,
            "hostile": [
                {"name": "a", "bytes": 10, "status": 400, "seconds": 0.05},
                {"name": "b", "bytes": 20, "status": 200, "seconds": 0.5},
            ],
        },
        "health": {
            "idle": {"n": 10, "p50": 0.001, "p99": 0.002, "max": 0.004},
            "loaded": {"n": 10, "p50": 0.01, "p99": 0.02, "max": 0.04},
            "hostile_sent": 7,
        },
    }
    table = soak.table(results)
    assert "| 250 MB | 100 MB after warm-up | 2.50x |" in table
    assert "| 120 MB | 100 MB after warm-up | 1.20x |" in table
    assert "Slowest hostile request: b (200) | 500 ms | 5.0 ms a plain create | 100x |" in table
    assert "| 20.0 ms | 2.0 ms idle | 10.0x |" in table

"""bench.instructions' arithmetic: callgrind's totals read by event, misses summed per level."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# bench/ sits beside the package, not in it: importable from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from bench.instructions import Count, Misses, _valgrind, parse_totals

CACHE_SIM_OUTPUT = """\
version: 1
creator: callgrind-3.19.0
events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw
summary: 0
fl=(1) x.c
fn=(1) f
0 10 4 2 1 1 1 1 0 0
totals: 3000 900 600 30 20 10 6 4 2
"""


def test_totals_are_read_by_event_name() -> None:
    totals = parse_totals(CACHE_SIM_OUTPUT)
    assert totals["Ir"] == 3000
    assert totals["DLmw"] == 2
    assert parse_totals("events: Ir\nsummary: 1234\n") == {"Ir": 1234}
    assert parse_totals("events: Ir\nsummary: 0\ntotals: 99\n") == {"Ir": 99}
    assert parse_totals("no totals here\n") == {}


def test_misses_are_summed_per_level() -> None:
    per_request = {k: v / 3 for k, v in parse_totals(CACHE_SIM_OUTPUT).items()}
    misses = Misses.of(per_request)
    assert misses.l1 == pytest.approx(20.0)  # (30 + 20 + 10) / 3
    assert misses.last_level == pytest.approx(4.0)  # (6 + 4 + 2) / 3
    count = Count("scripted", 500_000.0, 250_000.0, misses, misses)
    assert count.ratio == 2.0


def test_the_cache_is_simulated_only_when_asked() -> None:
    plain = _valgrind(["python"], Path("out"))
    assert not any(arg.startswith("--cache-sim") for arg in plain)
    simulated = _valgrind(["python"], Path("out"), last_level_kb=512)
    assert "--cache-sim=yes" in simulated
    assert "--LL=524288,8,64" in simulated
    assert simulated[-1] == "python"

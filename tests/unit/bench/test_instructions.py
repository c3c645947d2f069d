"""bench.instructions' arithmetic: callgrind's totals read by event, misses summed per level."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# bench/ sits beside the package, not in it: importable from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from bench.instructions import Count, Misses, _valgrind, parse_totals, valid_last_level

CACHE_SIM_OUTPUT = """\
version: 1
creator: callgrind-3.19.0
events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw Bc Bcm Bi Bim
summary: 0
fl=(1) x.c
fn=(1) f
0 10 4 2 1 1 1 1 0 0 2 1 1 0
totals: 3000 900 600 30 20 10 6 4 2 300 21 60 9
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
    assert misses.branches == pytest.approx(10.0)  # (21 + 9) / 3
    no_branch_sim = {"I1mr": 1.0, "D1mr": 1.0, "D1mw": 1.0, "ILmr": 0.0, "DLmr": 0.0, "DLmw": 0.0}
    assert Misses.of(no_branch_sim).branches == 0
    count = Count("scripted", 500_000.0, 250_000.0, misses, misses)
    assert count.ratio == 2.0


def test_the_cache_is_simulated_only_when_asked() -> None:
    plain = _valgrind(["python"], Path("out"))
    assert not any(arg.startswith("--cache-sim") for arg in plain)
    simulated = _valgrind(["python"], Path("out"), last_level_kb=512)
    assert "--cache-sim=yes" in simulated
    assert "--branch-sim=yes" in simulated
    assert "--LL=524288,8,64" in simulated
    assert simulated[-1] == "python"
    assert "--LL=1310720,10,64" in _valgrind(["python"], Path("out"), 1280, ways=10)


def test_a_last_level_has_a_power_of_two_sets() -> None:
    assert valid_last_level(1024, 8)  # 2,048 sets
    assert valid_last_level(1280, 10)
    assert valid_last_level(1536, 12)
    assert not valid_last_level(1280, 8)  # 2,560 sets
    assert not valid_last_level(1000, 8)  # not whole lines per way
    assert not valid_last_level(1024, 0)

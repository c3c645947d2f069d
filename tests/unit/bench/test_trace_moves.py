"""bench/trace_moves.py runs as documented and prints one row per traced create request."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_trace_moves_prints_the_three_rows() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "trace_moves.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = re.findall(r"^(\S.*?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)$", done.stdout, re.MULTILINE)
    assert [label for label, *_ in rows] == [
        "zero-config, JSON",
        "scenario, JSON",
        "scenario, streamed",
    ]
    for _, modules, moves, moves_with_returns, calls in rows:
        assert 0 < int(modules) <= int(moves) <= int(moves_with_returns)
        assert int(moves) < int(calls)

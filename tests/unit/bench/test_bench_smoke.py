"""The benchmark suite (bench/, not a test) imports, and its pure helpers compute right.

The suite itself takes minutes and a quiet machine: it is run by hand (`python -m bench`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# bench/ sits beside the package, not in it: importable from the repository root.
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from bench import run as bench


def test_the_suite_offers_every_section() -> None:
    assert set(bench.SECTIONS) == {"1", "2", "3", "4", "5"}
    args = bench.parse_args(["--quick", "--only", "2,3"])
    assert args.quick and args.only == "2,3"


def test_reference_frames_and_their_schedule() -> None:
    from bench.bare import frame_offsets, split_frames

    raw = (
        b"event: response.created\ndata: {}\n\n"
        b"event: response.output_text.delta\ndata: {}\n\n"
        b"event: response.output_text.delta\ndata: {}\n\n"
        b"event: response.completed\ndata: {}\n\n"
    )
    frames = split_frames(raw)
    assert b"".join(frames) == raw
    assert frame_offsets(frames, 100.0, 20.0) == [0.0, 100.0, 120.0, 120.0]


def test_timing_error_is_measured_from_response_created() -> None:
    from bench.s_stream import stream_errors
    from bench.sse_client import StreamResult

    created, delta = b"response.created", b"response.output_text.delta"
    res = StreamResult(arrivals=[1.000, 1.021, 1.040], types=[created, delta, delta])
    errors = stream_errors(res, ttft_ms=20.0, interval_ms=20.0)
    assert errors == pytest.approx([1.0, 0.0], abs=1e-6)


def test_the_table_keeps_every_row_and_note() -> None:
    from bench.report import Row, table

    text = table([Row("1 POST", "zero-config", "10 rps", "20 rps", "50%", note="why")])
    assert "zero-config" in text and "50%" in text and "why" in text

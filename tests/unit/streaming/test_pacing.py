from __future__ import annotations

import dataclasses
import itertools
import random
import statistics

import pytest

from mockserver.http.sse import Frames
from mockserver.openai.event_builder import Role
from mockserver.streaming.schedule import (
    Pacing,
    PacingError,
    delta_deadlines,
    schedule,
)
from mockserver.streaming.writer import write_paced

S, D, Q, X = Role.START, Role.DELTA, Role.DEQUEUE, Role.OTHER


class FakeClock:
    """A clock whose sleep advances time, overshooting each sleep like a busy event loop."""

    def __init__(self, overshoot_ms: float = 0.0) -> None:
        self.now = 100.0
        self.overshoot = overshoot_ms / 1000
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds + self.overshoot


class Sink:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.writes: list[tuple[float, bytes]] = []

    async def __call__(self, data: bytes) -> None:
        self.writes.append(((self.clock.now - 100.0) * 1000, data))


# --- settings ---------------------------------------------------------------------------


def test_from_mapping_reads_every_key() -> None:
    pacing = Pacing.from_mapping(
        {
            "ttft_ms": 250,
            "interval_ms": 20,
            "jitter_ms": 5,
            "jitter": "lognormal",
            "tokens_per_second": 50,
            "delays_ms": [1, 2.5],
            "chunk": "token",
            "chunk_size": 4,
            "queued_ms": 30,
            "arguments_chunk": "none",
        }
    )
    assert pacing == Pacing(250, 20, 5, "lognormal", 50, (1, 2.5), "token", 4, (), 30, "none")


def test_explicit_chunks_and_override_of_a_base() -> None:
    scenario = Pacing.from_mapping({"ttft_ms": 100, "chunk": "char"})
    rule = Pacing.from_mapping({"chunk": ["Hel", "lo"], "interval_ms": 5}, base=scenario)
    assert (rule.ttft_ms, rule.interval_ms, rule.chunk, rule.chunks) == (
        100,
        5,
        "char",
        ("Hel", "lo"),
    )
    assert rule.chunking.cut("Hello") == ("Hel", "lo")


def test_from_mapping_reports_every_error_with_what_is_allowed() -> None:
    with pytest.raises(PacingError) as info:
        Pacing.from_mapping(
            {"ttft": 1, "interval_ms": -1, "jitter": "gauss", "chunk": "words", "chunk_size": 0}
        )
    errors = info.value.errors
    assert len(errors) == 5
    assert errors[0].startswith(
        "stream.ttft: unknown key. Valid keys are: arguments_chunk, chunk, chunk_size,"
    )
    assert "stream.interval_ms: expected a number >= 0, got -1" in errors
    assert "stream.jitter: expected one of uniform, lognormal, got 'gauss'" in errors
    assert any(e.startswith("stream.chunk: expected one of word, char, token") for e in errors)
    assert "stream.chunk_size: expected an integer >= 1, got 0" in errors


@pytest.mark.parametrize(
    "bad",
    [
        {"ttft_ms": True},
        {"ttft_ms": "10"},
        {"ttft_ms": float("nan")},
        {"tokens_per_second": 0},
        {"delays_ms": [1, -2]},
        {"delays_ms": 5},
        {"chunk": []},
        {"chunk": ["a", 1]},
    ],
    ids=str,
)
def test_bad_values_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(PacingError):
        Pacing.from_mapping(bad)


def test_a_non_mapping_is_refused() -> None:
    with pytest.raises(PacingError, match="expected a mapping"):
        Pacing.from_mapping([1, 2])  # type: ignore[arg-type]


# --- schedule ---------------------------------------------------------------------------


def test_schedule_places_lifecycle_deltas_and_the_rest() -> None:
    pacing = Pacing(ttft_ms=200, interval_ms=10)
    roles = [S, S, X, X, D, D, D, X, X, X, X]
    offsets = schedule(pacing, roles, random.Random(0), ["a", "b", "c"])
    # created/in_progress at once; added + content_part lead into the first delta; the
    # .done events and response.completed follow the last delta at once.
    assert offsets == [0, 0, 200, 200, 200, 210, 220, 220, 220, 220, 220]


def test_background_generation_starts_after_the_queue_time() -> None:
    pacing = Pacing(ttft_ms=50, interval_ms=10, queued_ms=300)
    offsets = schedule(pacing, [S, S, Q, X, D, D, X], random.Random(0), ["a", "b"])
    assert offsets == [0, 0, 300, 350, 350, 360, 360]


def test_without_deltas_the_answer_comes_after_ttft() -> None:
    offsets = schedule(Pacing(ttft_ms=80), [S, S, X, X, X, X], random.Random(0))
    assert offsets == [0, 0, 80, 80, 80, 80]


def test_explicit_delays_then_interval() -> None:
    pacing = Pacing(ttft_ms=999, interval_ms=10, delays_ms=(50, 5, 100))
    assert delta_deadlines(pacing, ["a"] * 5, random.Random(0)) == [50, 55, 155, 165, 175]


def test_tokens_per_second_spaces_deltas_by_their_token_count() -> None:
    pacing = Pacing(ttft_ms=100, tokens_per_second=100)
    # " world wide" is 2 tokens -> 20 ms; "!" 1 token -> 10 ms.
    assert delta_deadlines(pacing, ["Hello", " world wide", "!"], random.Random(0)) == [
        100,
        120,
        130,
    ]


def test_schedule_needs_one_text_per_delta() -> None:
    with pytest.raises(ValueError, match="one text per DELTA"):
        schedule(Pacing(), [S, D, D], random.Random(0), ["only one"])


@pytest.mark.parametrize("shape", ["uniform", "lognormal"])
def test_jitter_is_bounded_seeded_and_does_not_drift(shape: str) -> None:
    pacing = Pacing(ttft_ms=100, interval_ms=20, jitter_ms=8, jitter=shape)  # type: ignore[arg-type]
    texts = ["x"] * 500
    first = delta_deadlines(pacing, texts, random.Random(42))
    assert first == delta_deadlines(pacing, texts, random.Random(42))
    assert first != delta_deadlines(pacing, texts, random.Random(43))
    nominal = [100 + 20 * i for i in range(500)]
    errors = [at - want for at, want in zip(first, nominal, strict=True)]
    assert max(abs(e) for e in errors) <= 4.0  # +-jitter/2 around the grid, at any depth
    gaps = [b - a for a, b in itertools.pairwise(first)]
    assert all(12 <= g <= 28 for g in gaps)  # each gap within +-jitter
    assert statistics.pstdev(errors) > 0.5  # it does jitter


def test_lognormal_jitter_is_right_skewed() -> None:
    pacing = Pacing(interval_ms=20, jitter_ms=8, jitter="lognormal")
    errors = [
        at - 20 * i for i, at in enumerate(delta_deadlines(pacing, ["x"] * 2000, random.Random(1)))
    ]
    assert statistics.median(errors) == pytest.approx(0, abs=0.3)
    assert max(errors) == pytest.approx(4, abs=0.01)  # the long tail is clipped at +jitter/2
    assert min(errors) > -4


# --- writer -----------------------------------------------------------------------------


async def test_writer_sleeps_to_absolute_deadlines_without_drift() -> None:
    clock = FakeClock(overshoot_ms=1.5)  # every sleep wakes 1.5 ms late
    sink = Sink(clock)
    offsets = [0.0] + [250.0 + 10 * i for i in range(100)]
    frames = [b"%d" % i for i in range(len(offsets))]
    written = await write_paced(Frames.of(frames), offsets, sink, clock=clock, sleep=clock.sleep)
    assert written == 101
    assert b"".join(d for _, d in sink.writes) == b"".join(frames)
    times = [t for t, _ in sink.writes]
    assert times[1] == pytest.approx(251.5)
    # The last chunk is late by one overshoot, not 100 of them.
    assert times[-1] == pytest.approx(250 + 990 + 1.5)
    gaps = [b - a for a, b in itertools.pairwise(times[1:])]
    assert all(g == pytest.approx(10) for g in gaps)


async def test_frames_already_due_go_out_in_one_write() -> None:
    clock = FakeClock()
    sink = Sink(clock)
    offsets = [0, 0, 50, 50, 50, 60, 60]
    frames = [bytes([65 + i]) for i in range(7)]
    await write_paced(Frames.of(frames), offsets, sink, clock=clock, sleep=clock.sleep)
    assert [(round(t), d) for t, d in sink.writes] == [(0, b"AB"), (50, b"CDE"), (60, b"FG")]
    assert len(clock.sleeps) == 2


async def test_a_late_writer_catches_up_in_one_write() -> None:
    clock = FakeClock(overshoot_ms=35)  # the loop was blocked for 35 ms
    sink = Sink(clock)
    await write_paced(
        Frames.of([b"a", b"b", b"c", b"d"]), [0, 10, 20, 30], sink, clock=clock, sleep=clock.sleep
    )
    assert [(round(t), d) for t, d in sink.writes] == [(0, b"a"), (45, b"bcd")]


async def test_hooks_run_before_their_event_and_progress_is_reported() -> None:
    clock = FakeClock()
    sink = Sink(clock)
    seen: list[str] = []
    progress: list[int] = []

    async def stall() -> None:
        seen.append(f"hook at {len(b''.join(d for _, d in sink.writes))} bytes")
        await clock.sleep(0.5)

    await write_paced(
        Frames.of([b"a", b"b", b"c", b"d"]),
        [0, 0, 0, 0],
        sink,
        clock=clock,
        sleep=clock.sleep,
        actions={2: stall},
        on_written=progress.append,
    )
    assert seen == ["hook at 2 bytes"]
    assert [(round(t), d) for t, d in sink.writes] == [(0, b"ab"), (500, b"cd")]
    assert progress == [2, 4]


async def test_a_failing_write_stops_at_once_and_progress_says_how_far() -> None:
    clock = FakeClock()
    progress: list[int] = []
    calls = 0

    async def write(data: bytes) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise ConnectionResetError("client left")

    with pytest.raises(ConnectionResetError):
        await write_paced(
            Frames.of([b"a", b"b", b"c", b"d"]),
            [0, 10, 20, 30],
            write,
            clock=clock,
            sleep=clock.sleep,
            on_written=progress.append,
        )
    assert progress == [1, 2]
    assert calls == 3


async def test_start_can_be_in_the_past() -> None:
    clock = FakeClock()
    sink = Sink(clock)
    await write_paced(
        Frames.of([b"a", b"b"]),
        [0, 100],
        sink,
        clock=clock,
        sleep=clock.sleep,
        start=clock.now - 0.06,
    )
    assert [(round(t), d) for t, d in sink.writes] == [(0, b"a"), (40, b"b")]


def _running_max_of_own_times(
    pacing: Pacing, roles: list[Role], rng: random.Random, texts: list[str]
) -> list[float]:
    """`schedule` as its docstring defines it, one event at a time: what its fast paths
    (all at once in the usual order, running maximum skipped) must agree with."""
    base = pacing.queued_ms if Q in roles else 0.0
    deltas = delta_deadlines(pacing, texts, rng, base)
    lead = deltas[0] if deltas else base + pacing.first_ms()
    out, k, prev = [], 0, 0.0
    for role in roles:
        if role is D:
            at, k = deltas[k], k + 1
        else:
            at = {S: 0.0, Q: base}.get(role, lead if k == 0 else prev)
        prev = max(prev, at)
        out.append(prev)
    return out


@pytest.mark.parametrize("seed", range(40))
def test_schedule_agrees_with_its_definition_event_by_event(seed: int) -> None:
    pick = random.Random(seed)
    usual = [S] * pick.randint(1, 2) + [Q] * pick.randint(0, 1)
    rest = [pick.choice((D, X)) for _ in range(pick.randint(0, 30))]
    roles = usual + rest if seed % 3 else [pick.choice((S, Q, D, X)) for _ in range(20)]
    texts = ["word "] * roles.count(D)
    settings = [
        {},
        {"ttft_ms": 5.0, "queued_ms": 2.0},
        {"ttft_ms": 5.0, "interval_ms": 3.0, "jitter_ms": 2.0},
        {"delays_ms": (4.0, 0.0, 1.0), "queued_ms": 9.0},
    ]
    for setting in settings:
        pacing = Pacing(**setting)  # type: ignore[arg-type]
        want = _running_max_of_own_times(pacing, roles, random.Random(seed), texts)
        assert schedule(pacing, roles, random.Random(seed), texts) == want


@pytest.mark.parametrize(
    "pacing",
    [Pacing(), Pacing(jitter="lognormal", chunk="char"), Pacing(delays_ms=(0.0, 0.0))],
)
def test_an_instant_schedule_is_the_general_one(pacing: Pacing) -> None:
    """Nothing delays anything: every event due at 0, as the general steps give."""
    orders = [[S, X, D, D, X], [S, S, Q, X, D, X], [S, X, X], [X, S, D, Q, D], [S, S, Q]]
    assert pacing.instant
    general = dataclasses.replace(pacing)
    general.__dict__["instant"] = False  # the steps the shortcut skips
    for roles in orders:
        texts = ["a"] * roles.count(D)
        fast = schedule(pacing, roles, random.Random(1), texts)
        assert fast == schedule(general, roles, random.Random(1), texts) == [0.0] * len(roles)
    assert not Pacing(ttft_ms=1).instant and not Pacing(tokens_per_second=5).instant
    assert not Pacing(queued_ms=1).instant and not Pacing(delays_ms=(0.0, 2.0)).instant


@pytest.mark.parametrize(
    "pacing",
    [
        Pacing(),
        Pacing(ttft_ms=5, interval_ms=3, queued_ms=2),
        Pacing(delays_ms=(4.0, 0.0, 1.0), interval_ms=2),
        Pacing(tokens_per_second=40, chunk="token"),
        Pacing(interval_ms=3, jitter_ms=2),
        Pacing(delays_ms=(1.0,), jitter_ms=4, jitter="lognormal"),
    ],
)
def test_scheduling_draws_from_the_generator_only_when_the_pacing_says_it_does(
    pacing: Pacing,
) -> None:
    """A stream whose pacing does not draw leaves its padding's last draw unsettled
    (render_events(settle=False)): nothing draws from the generator after it."""
    roles = [S, Q, X, D, D, D, X, D, X]
    rng = random.Random(3)
    before = rng.getstate()
    schedule(pacing, roles, rng, ["one ", "two ", "three", "four"])
    assert (rng.getstate() != before) == pacing.draws

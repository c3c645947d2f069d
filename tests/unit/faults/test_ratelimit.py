"""Token buckets: counting down, refilling on an injected clock, refusing, never overdrawing."""

from __future__ import annotations

import pytest

from mockserver.clock import ManualClock
from mockserver.faults.error_catalog import ErrorContext
from mockserver.faults.ratelimit import (
    LimitScope,
    RateLimiter,
    RateLimits,
    parse_rate_limits,
    refusal_error,
    server_scope,
    validate_rate_limits,
)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def scope(rpm: int | None = None, tpm: int | None = None, key: str = "s") -> list[LimitScope]:
    return [LimitScope((key,), RateLimits(rpm, tpm))]


def test_headers_count_down_and_reset_as_the_bucket_refills(clock: ManualClock) -> None:
    limiter = RateLimiter(clock)
    limits = scope(rpm=60, tpm=6000)
    seen = [limiter.admit(limits, 100).snapshot.headers() for _ in range(3)]
    assert [h["x-ratelimit-remaining-requests"] for h in seen] == ["59", "58", "57"]
    assert [h["x-ratelimit-remaining-tokens"] for h in seen] == ["5900", "5800", "5700"]
    assert seen[0]["x-ratelimit-limit-requests"] == "60"
    assert seen[0]["x-ratelimit-limit-tokens"] == "6000"
    # 60 RPM refills one request a second: 3 used -> full again in 3 s.
    assert [h["x-ratelimit-reset-requests"] for h in seen] == ["1s", "2s", "3s"]
    assert seen[2]["x-ratelimit-reset-tokens"] == "3s"
    clock.advance(2)
    after = limiter.peek(limits).headers()
    assert after["x-ratelimit-remaining-requests"] == "59"
    assert after["x-ratelimit-remaining-tokens"] == "5900"
    assert after["x-ratelimit-reset-requests"] == "1s"
    clock.advance(60)
    assert limiter.peek(limits).headers()["x-ratelimit-remaining-requests"] == "60"


def test_refuses_when_requests_run_out_and_says_when_to_retry(clock: ManualClock) -> None:
    limiter = RateLimiter(clock)
    limits = scope(rpm=3)
    assert all(limiter.admit(limits, 0).ok for _ in range(3))
    refused = limiter.admit(limits, 0)
    assert refused.refusal is not None
    assert (refused.refusal.kind, refused.refusal.limit, refused.refusal.used) == ("requests", 3, 3)
    assert refused.refusal.retry_after == pytest.approx(20.0)
    clock.advance(19.9)
    assert not limiter.admit(limits, 0).ok  # refusals are not charged...
    clock.advance(0.1)
    assert limiter.admit(limits, 0).ok  # ...so waiting exactly the retry-after is enough


def test_refusal_error_is_the_apis_429(clock: ManualClock) -> None:
    limiter = RateLimiter(clock)
    limits = scope(rpm=100, tpm=1000)
    assert limiter.admit(limits, 900).ok
    refused = limiter.admit(limits, 385)
    error = refusal_error(refused, ErrorContext(model="gpt-4o", organization="org-x"))
    assert error.status == 429
    assert error.body()["error"] == {
        "message": (
            "Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM): "
            "Limit 1000, Used 900, Requested 385. Please try again in 17.1s. "
            "Visit https://platform.openai.com/account/rate-limits to learn more."
        ),
        "type": "tokens",
        "param": None,
        "code": "rate_limit_exceeded",
    }
    assert error.headers["retry-after-ms"] == "17100"
    assert error.headers["retry-after"] == "18"
    assert error.headers["x-ratelimit-remaining-tokens"] == "100"
    assert error.headers["x-ratelimit-remaining-requests"] == "99"


def test_request_larger_than_the_limit_can_never_fit(clock: ManualClock) -> None:
    limiter = RateLimiter(clock)
    refused = limiter.admit(scope(tpm=1000), 5000)
    assert refused.refusal is not None and refused.refusal.retry_after is None
    error = refusal_error(refused, ErrorContext())
    assert error.message.startswith("Request too large for gpt-4o")
    assert "Limit 1000, Requested 5000." in error.message
    assert "retry-after" not in error.headers and "retry-after-ms" not in error.headers


def test_never_overdraws_under_a_burst(clock: ManualClock) -> None:
    limiter = RateLimiter(clock)
    limits = scope(rpm=10, tpm=1000)
    results = [limiter.admit(limits, 150) for _ in range(50)]
    admitted = [r for r in results if r.ok]
    assert len(admitted) == 6  # 6 * 150 = 900 <= 1000 < 7 * 150
    assert min(int(r.snapshot.headers()["x-ratelimit-remaining-tokens"]) for r in results) == 100


def test_every_scope_must_admit_and_all_are_charged(clock: ManualClock) -> None:
    limiter = RateLimiter(clock)
    wide, narrow = LimitScope(("server",), RateLimits(100)), LimitScope(("rule",), RateLimits(2))
    assert limiter.admit([wide, narrow], 0).ok
    assert limiter.admit([wide, narrow], 0).ok
    assert not limiter.admit([wide, narrow], 0).ok
    # The server scope was charged twice, not three times; headers show the tightest bucket.
    snapshot = limiter.peek([wide])
    assert snapshot.remaining_requests == 98
    assert limiter.peek([wide, narrow]).remaining_requests == 0


def test_settle_corrects_the_estimate(clock: ManualClock) -> None:
    limiter = RateLimiter(clock)
    limits = scope(tpm=1000)
    admitted = limiter.admit(limits, 500)  # estimate: input + max_output_tokens
    limiter.settle(admitted, -300)  # really used 200
    assert limiter.peek(limits).remaining_tokens == 800
    limiter.settle(admitted, 900)  # used more than estimated: the bucket can go negative
    assert limiter.peek(limits).remaining_tokens == 0


def test_no_configured_limit_still_reports_headers_and_never_refuses(clock: ManualClock) -> None:
    limiter = RateLimiter(clock)
    results = [limiter.admit([], 10_000_000) for _ in range(5)]
    assert all(r.ok for r in results)
    headers = results[0].snapshot.headers()
    assert headers["x-ratelimit-limit-requests"] == "10000"
    assert headers["x-ratelimit-limit-tokens"] == "30000000"
    assert results[-1].snapshot.remaining_tokens == 0


def test_missing_dimension_falls_back_to_the_nominal_bucket(clock: ManualClock) -> None:
    headers = RateLimiter(clock).admit(scope(rpm=5), 10).snapshot.headers()
    assert headers["x-ratelimit-limit-requests"] == "5"
    assert headers["x-ratelimit-limit-tokens"] == "30000000"


def test_server_scope_from_the_command_line() -> None:
    assert server_scope(None, None) == []
    assert server_scope(60, None) == [LimitScope(("server",), RateLimits(60, None))]


def test_spec_scopes_per_model_and_by_glob() -> None:
    spec = parse_rate_limits(
        {
            "requests_per_minute": 10,
            "per_model": True,
            "models": {"gpt-4o-mini*": {"requests_per_minute": 500}},
        }
    )
    assert spec.scope(("sc",), "gpt-4o") == LimitScope(("sc", "model", "gpt-4o"), RateLimits(10))
    mini = spec.scope(("sc",), "gpt-4o-mini-2024")
    assert mini == LimitScope(("sc", "model", "gpt-4o-mini*"), RateLimits(500))
    shared = parse_rate_limits({"tokens_per_minute": 9}).scope(("sc",), "any")
    assert shared == LimitScope(("sc",), RateLimits(None, 9))


def test_per_model_buckets_are_separate(clock: ManualClock) -> None:
    limiter = RateLimiter(clock)
    spec = parse_rate_limits({"requests_per_minute": 1, "per_model": True})
    assert limiter.admit([spec.scope(("sc",), "a")], 0).ok
    assert limiter.admit([spec.scope(("sc",), "b")], 0).ok
    assert not limiter.admit([spec.scope(("sc",), "a")], 0).ok


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([], "rate_limits: expected a mapping"),
        (
            {"requests_per_minute": 0},
            "rate_limits.requests_per_minute: expected a whole number >= 1",
        ),
        ({"tokens_per_minute": 1.5}, "rate_limits.tokens_per_minute: expected a whole number >= 1"),
        ({"rpm": 5}, "rate_limits.rpm: unknown key; allowed: requests_per_minute"),
        ({"per_model": "yes"}, "rate_limits.per_model: expected true or false"),
        ({"models": []}, "rate_limits.models: expected a mapping"),
        ({"models": {"a": {"rpm": 1}}}, "rate_limits.models.a.rpm: unknown key"),
    ],
)
def test_validation(value: object, expected: str) -> None:
    problems = validate_rate_limits(value)
    assert any(p.startswith(expected) for p in problems), problems
    with pytest.raises(ValueError):
        parse_rate_limits(value)  # type: ignore[arg-type]


async def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(start=10.0, unix=1_000.0)
    assert (clock.monotonic(), clock.time()) == (10.0, 1_000.0)
    await clock.sleep(5)
    clock.advance(0.5)
    assert (clock.monotonic(), clock.time()) == (15.5, 1_005.5)
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_admit_nominal_gives_the_numbers_of_the_general_walk(clock: ManualClock) -> None:
    """The shortcut for a request no limit applies to agrees with `admit([], 0)`: the same
    snapshots, the same nominal bucket afterwards (settled and peeked alike)."""
    general, nominal = RateLimiter(clock), RateLimiter(clock)
    for step in range(40):
        a, b = general.admit([], 0), nominal.admit_nominal()
        assert a == b
        general.settle(a, 1234 * step)
        nominal.settle(b, 1234 * step)
        clock.advance(0.004 * (step % 5))
        assert general.peek([]) == nominal.peek([])


def test_a_request_with_nothing_configured_never_walks_the_scopes(
    clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No limit, no chaos, no outage: admission counts the request in the nominal bucket and
    touches neither the general admission (scopes, refusals, tightest bucket) nor chaos."""
    from mockserver.config import Config
    from mockserver.faults import admission, chaos, ratelimit
    from mockserver.faults.state import TenantFaults
    from mockserver.http.exchange import Exchange

    def forbidden(*_: object, **__: object) -> None:
        raise AssertionError("the general rate-limit or chaos path ran")

    for name in ("_refusal", "_snapshot", "_tightest", "_charge"):
        monkeypatch.setattr(ratelimit, name, forbidden)
    monkeypatch.setattr(ratelimit.RateLimiter, "admit", forbidden)
    monkeypatch.setattr(admission, "_admit_scopes", forbidden)
    monkeypatch.setattr(admission, "draw", forbidden)
    monkeypatch.setattr(chaos, "draw", forbidden)
    state = TenantFaults.new(clock)
    for n in range(3):
        ex = Exchange(request_id=f"req_{n}", method="POST", path="/v1/responses", started_at=0.0)
        rf = admission.begin(
            state, ex, b"{}", seed=7, tenant="t", model="gpt-4o", api_key="k", estimate=lambda: 0
        )
        assert admission.admit(rf, Config(), None) is None
        assert rf.snapshot is not None and rf.snapshot.remaining_requests == 9_999 - n


@pytest.mark.parametrize(
    ("extra", "rules"),
    [
        ("", False),
        ("chaos: 0.0\n", True),
        ("rate_limits: {requests_per_minute: 5}\n", True),
        ("outage: {duration_ms: 0}\n", True),
    ],
)
def test_admission_rules_says_whether_a_scenario_has_anything_for_admission(
    extra: str, rules: bool
) -> None:
    """admit's one test for a scenario (Scenario.admission_rules) is derived from its rate
    limits, chaos and outage: a scenario with any of them takes the general path."""
    from mockserver.scenario.load import load_text

    text = f"name: s\n{extra}rules:\n  - name: r\n    reply: [{{message: hi}}]\n"
    (scenario,) = load_text(text, "test")
    assert scenario.admission_rules is rules

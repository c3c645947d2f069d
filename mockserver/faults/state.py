"""What failure injection keeps per tenant: rate-limit buckets, retry memory, first-seen times.

A tenant's TenantFaults lives on its Tenant (`Tenant.faults`, made on first use), so
resetting a tenant (admin API) forgets its buckets, chaos counts, outage start and retry
memory with everything else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mockserver.clock import Clock
from mockserver.faults.chaos import RetryTracker
from mockserver.faults.ratelimit import RateLimiter


@dataclass
class TenantFaults:
    limiter: RateLimiter
    retries: RetryTracker = field(default_factory=RetryTracker)
    requests: int = 0  # create requests seen (the n-th seeds its faults' random stream)
    counts: dict[str, int] = field(default_factory=dict)  # chaos scope -> requests seen
    first_seen: dict[str, float] = field(default_factory=dict)  # scenario -> monotonic s

    @classmethod
    def new(cls, clock: Clock) -> TenantFaults:
        return cls(RateLimiter(clock))

    def next_count(self, scope: str) -> int:
        """Count one more request in a chaos scope; its 1-based number."""
        n = self.counts.get(scope, 0) + 1
        self.counts[scope] = n
        return n

    def since_first_ms(self, scenario: str, now: float) -> float:
        """Milliseconds since the tenant's first request to a scenario (0 for that one)."""
        first = self.first_seen.setdefault(scenario, now)
        return (now - first) * 1000

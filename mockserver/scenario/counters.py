"""Per-tenant counters: requests per scenario (`call`) and firings per rule (`times`).

One Counters lives on each tenant. The engine reads and bumps it in the same synchronous
step as matching (no await in between), so concurrent requests on the event loop can
neither lose nor double a count.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Counters:
    calls: dict[str, int] = field(default_factory=dict)  # scenario -> requests so far
    fires: dict[tuple[str, str], int] = field(default_factory=dict)  # (scenario, rule) -> fired

    def next_call(self, scenario: str) -> int:
        """Count one more request to scenario; its 1-based number."""
        n = self.calls.get(scenario, 0) + 1
        self.calls[scenario] = n
        return n

    def fired(self, scenario: str, rule: str) -> int:
        return self.fires.get((scenario, rule), 0)

    def fire(self, scenario: str, rule: str) -> int:
        """Count one firing of rule; how often it has fired, this one included."""
        n = self.fires.get((scenario, rule), 0) + 1
        self.fires[(scenario, rule)] = n
        return n

    def forget(self, scenario: str | None = None) -> None:
        """Start a scenario (or all) from zero, e.g. when it is replaced at run time."""
        if scenario is None:
            self.calls.clear()
            self.fires.clear()
            return
        self.calls.pop(scenario, None)
        for key in [k for k in self.fires if k[0] == scenario]:
            del self.fires[key]

    def snapshot(self) -> dict[str, dict[str, object]]:
        """Plain data for the admin API: {scenario: {"calls": n, "rules": {rule: fired}}}."""
        out: dict[str, dict[str, object]] = {}
        for scenario in sorted({*self.calls, *(s for s, _ in self.fires)}):
            rules = {r: n for (s, r), n in self.fires.items() if s == scenario}
            out[scenario] = {"calls": self.calls.get(scenario, 0), "rules": rules}
        return out

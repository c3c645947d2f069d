"""A random.Random that seeds itself on its first draw: the same numbers, paid for only when used.

Seeding a Mersenne Twister from a string costs ~5 us (SHA-512, then 624 words of state), and
the scenario engine makes such a generator for every answer "in case": the answer stream of
a rule whose templates draw nothing is never read. (The zero-config content stream is
zeroconfig/generate.py's ContentStream: no Mersenne Twister at all.)
Every draw of random.Random goes through `random()` or `getrandbits()` (and the state through
`getstate()`), so seeding there gives exactly the sequence of `random.Random(seed)`.
"""

from __future__ import annotations

import random
from typing import Any


class LazyRandom(random.Random):
    """`random.Random(seed)`, seeded on first use.

    `reserve_bits`: the first draw of the sequence, `getrandbits(reserve_bits)`, is set aside
    for `reserved()` when seeding, whoever asks first; the other draws follow it, as if the
    reserved value had been drawn right after construction (what SeededFaker needs).
    """

    def __init__(self, seed: Any = None, reserve_bits: int = 0) -> None:
        self._material = seed
        self._reserve_bits = reserve_bits
        self._reserved: int | None = None
        self._seeded = False
        self.gauss_next = None

    @property
    def reserve_bits(self) -> int:
        return self._reserve_bits

    def reserved(self) -> int:
        if not self._seeded:
            self._seed_now()
        assert self._reserved is not None, "no bits were reserved"
        return self._reserved

    def _seed_now(self) -> None:
        self._seeded = True
        super().seed(self._material)
        if self._reserve_bits:
            self._reserved = super().getrandbits(self._reserve_bits)

    def seed(self, a: Any = None, version: int = 2) -> None:
        if not hasattr(self, "_seeded"):
            return  # construction (the C type seeds itself first): deferred to the first draw
        self._seeded = True
        super().seed(a, version)

    def random(self) -> float:
        if not self._seeded:
            self._seed_now()
        return super().random()

    def getrandbits(self, k: int, /) -> int:
        if not self._seeded:
            self._seed_now()
        return super().getrandbits(k)

    def getstate(self) -> tuple[Any, ...]:
        if not self._seeded:
            self._seed_now()
        return super().getstate()

    def setstate(self, state: tuple[Any, ...]) -> None:
        self._seeded = True
        super().setstate(state)

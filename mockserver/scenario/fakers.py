"""`{{ faker.NAME }}` in templates: faker's providers, seeded per answer so text is reproducible.

The Faker instance is the zero-config generator's (render/generate.py): building one costs a
quarter of a second, so the process shares one and reseeds it before each use. Only
providers callable without arguments are offered, minus those that build files or bytes.
"""

from __future__ import annotations

import functools
import inspect
import random
from typing import Any

from faker import Faker

from mockserver.lazy_random import LazyRandom
from mockserver.zeroconfig.generate import faker_for

# Providers that build files or bytes: useless in a chat answer, and slow.
_EXCLUDED = frozenset({"binary", "image", "tar", "zip", "xml", "pystruct", "pyobject"})


def _faker() -> Faker:
    return faker_for(random.Random(0))


def _no_required_args(method: Any) -> bool:
    try:
        params = inspect.signature(method).parameters.values()
    except (TypeError, ValueError):
        return False
    return all(
        p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params
    )


@functools.cache
def provider_names() -> frozenset[str]:
    """Every `faker.NAME` a template may use."""
    names: set[str] = set()
    for provider in _faker().get_providers():
        for name in dir(provider):
            if name.startswith("_") or name in _EXCLUDED:
                continue
            method = getattr(provider, name, None)
            if callable(method) and _no_required_args(method):
                names.add(name)
    return frozenset(names)


class SeededFaker:
    """One answer's faker: the shared instance, reseeded from the answer's own random source.

    Rendering is synchronous (no await between reseeding and the last call), so sharing one
    Faker between concurrent requests cannot interleave their sequences. Seeded on first
    use only: an answer without faker leaves the shared instance alone.
    """

    def __init__(self, rng: random.Random) -> None:
        # The faker's seed is the first 64 bits of the answer's stream. A LazyRandom that set
        # them aside gives them when (if ever) the faker is used, unseeded until then.
        if isinstance(rng, LazyRandom) and rng.reserve_bits == 64:
            self._seed: int | None = None
            self._lazy: LazyRandom | None = rng
        else:
            self._seed, self._lazy = rng.getrandbits(64), None
        self._fake: Faker | None = None

    def __call__(self, name: str) -> Any:
        if name not in provider_names():
            raise KeyError(name)
        if self._fake is None:
            seed = self._lazy.reserved() if self._lazy is not None else self._seed
            self._fake = faker_for(random.Random(seed))
        return getattr(self._fake, name)()

"""`{{ faker.NAME }}` in templates: faker's providers, seeded per answer so text is reproducible.

The Faker instance is the zero-config generator's (render/generate.py): building one costs a
quarter of a second, so the process shares one and reseeds it before each use. Only
providers callable without arguments are offered, minus those that build files or bytes and
those whose values are not plain data (tried once each when the list is made): a generator
(`time_series`: its text is a memory address), a set (its order changes with every process),
bytes, time zones, time deltas. Those are refused when the file loads, saying why.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import inspect
import math
import random
from typing import Any

from faker import Faker

from mockserver.lazy_random import LazyRandom
from mockserver.zeroconfig.generate import faker_for

# Providers that build files or bytes: useless in a chat answer, and slow; and pyiterable,
# whose type changes from draw to draw (a set at times, whose order changes every process).
_EXCLUDED = frozenset(
    {"binary", "image", "tar", "zip", "xml", "pystruct", "pyobject", "pyiterable"}
)


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


# Values whose text is the same in every process and run (besides JSON's own).
_PLAIN_SCALARS = (str, int, bool, decimal.Decimal, datetime.date, datetime.time)


def _plain(value: Any) -> bool:
    """Data a template can render the same way every time: JSON values, numbers, dates."""
    if value is None or isinstance(value, _PLAIN_SCALARS):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list | tuple):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


_DRAWS = 2  # ~0.1 s each over every provider, once per process


@functools.cache
def _providers() -> tuple[frozenset[str], dict[str, str]]:
    """(the usable names, why each callable one that is not usable is refused)."""
    names: set[str] = set()
    refused: dict[str, str] = {}
    fake = _faker()
    for provider in fake.get_providers():
        for name in dir(provider):
            if name.startswith("_") or name in _EXCLUDED:
                continue
            method = getattr(provider, name, None)
            if not (callable(method) and _no_required_args(method)):
                continue
            try:  # a few draws: some providers vary the type of what they give
                values = [getattr(fake, name)() for _ in range(_DRAWS)]
            except Exception:  # a provider that fails without arguments is of no use here
                refused[name] = "it fails when called without arguments"
                continue
            odd = next((v for v in values if not _plain(v)), None)
            if odd is None:
                names.add(name)
            else:
                refused[name] = _not_plain(odd)
    return frozenset(names), refused


def _not_plain(value: Any) -> str:
    return f"it gives a {type(value).__name__}, not plain text or data"


def provider_names() -> frozenset[str]:
    """Every `faker.NAME` a template may use."""
    return _providers()[0]


def refusal(name: str) -> str | None:
    """Why faker's provider `name` may not be used in a template (None: it is no refused
    provider, perhaps no provider at all)."""
    return _providers()[1].get(name)


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
        value = getattr(self._fake, name)()
        if not _plain(value):  # a draw unlike those tried when the list was made
            from mockserver.scenario.template import TemplateError  # (it imports this module)

            raise TemplateError(f"faker provider '{name}' cannot be used: {_not_plain(value)}")
        return value

"""Numbers and strings valid against a JSON Schema's scalar keywords.

Numbers: minimum/maximum, exclusiveMinimum/exclusiveMaximum (numbers, as in draft 2020-12;
booleans, as in draft 4), multipleOf, integer or not. Strings: format, pattern, minLength and
maxLength, and plausible words picked by property name. An unsatisfiable schema (minimum
above maximum...) still gets a value, never an error: the caller checks validity.
"""

from __future__ import annotations

import datetime
import math
import random
import sys
from collections.abc import Callable
from fractions import Fraction
from typing import Any, TypeGuard

from faker import Faker

from mockserver.zeroconfig.budget import Budget
from mockserver.zeroconfig.regex_values import string_matching

SPAN = 100  # the range drawn from when a side is unbounded
MAX_STRING = 65_536  # longer minLength is left unmet rather than allocated

_BY_NAME = {
    "city": "city", "country": "country", "email": "email", "name": "name",
    "first_name": "first_name", "last_name": "last_name", "address": "street_address",
    "street": "street_name", "phone": "phone_number", "company": "company", "url": "url",
    "title": "sentence", "description": "sentence", "location": "city", "query": "sentence",
}  # fmt: skip
# Faker draws dates up to now by default: the same seed would give another value a moment later.
_UNTIL = datetime.datetime(2026, 1, 1)
_FORMATS: dict[str, Callable[[Faker], str]] = {
    "email": lambda f: f.email(),
    "idn-email": lambda f: f.email(),
    "date-time": lambda f: f.date_time(end_datetime=_UNTIL).isoformat() + "Z",
    "date": lambda f: f.date(end_datetime=_UNTIL),
    "time": lambda f: f.time(end_datetime=_UNTIL) + "Z",  # RFC 3339 full-time: with an offset
    "duration": lambda f: f"P{f.random_int(1, 30)}DT{f.random_int(0, 23)}H",
    "uuid": lambda f: f.uuid4(),
    "uri": lambda f: f.url(),
    "iri": lambda f: f.url(),
    "uri-reference": lambda f: f.uri_path(),
    "iri-reference": lambda f: f.uri_path(),
    "uri-template": lambda f: f.url() + "{id}",
    "hostname": lambda f: f.hostname(),
    "idn-hostname": lambda f: f.hostname(),
    "ipv4": lambda f: f.ipv4(),
    "ipv6": lambda f: f.ipv6(),
    "json-pointer": lambda f: "/" + f.word() + "/" + str(f.random_int(0, 9)),
    "relative-json-pointer": lambda f: f"{f.random_int(0, 3)}/{f.word()}",
    "regex": lambda f: "^[a-z]+$",
}

# The shortest plausible value of a format, for a tight maxLength.
_SHORT = {"email": "a@b.io", "idn-email": "a@b.io", "uri": "http://a.io", "iri": "http://a.io",
          "hostname": "a.io", "idn-hostname": "a.io", "ipv4": "1.1.1.1", "ipv6": "::1",
          "date": "2024-01-01", "time": "00:00:00Z", "duration": "P1D", "json-pointer": "/a",
          "uri-reference": "/a", "iri-reference": "/a", "relative-json-pointer": "0"}  # fmt: skip


def number(schema: dict[str, Any], rng: random.Random, integer: bool) -> int | float:
    """A number within the schema's bounds and multipleOf, always finite: a bound at the edge
    of the doubles (`exclusiveMinimum: 1.7976931348623157e308`) leaves no finite room, and
    JSON has no Infinity, so the largest double stands in for it."""
    try:
        value = _number(schema, rng, integer)
    except OverflowError:  # a multiple past the largest double
        value = _bounds(schema)[0]
    if isinstance(value, float) and not math.isfinite(value):
        return math.copysign(sys.float_info.max, value)
    return value


def _number(schema: dict[str, Any], rng: random.Random, integer: bool) -> int | float:
    low, high, low_open, high_open = _bounds(schema)
    step = schema.get("multipleOf")
    if _is_number(step) and step > 0:
        return _multiple(Fraction(str(step)), low, high, low_open, high_open, rng, integer)
    if integer:
        lo = _int_above(low, low_open)
        hi = _int_below(high, high_open)
        return rng.randint(lo, hi) if lo <= hi else lo
    return _decimal(low, high, low_open, high_open, rng)


def _bounds(schema: dict[str, Any]) -> tuple[float, float, bool, bool]:
    """(low, high, low exclusive, high exclusive), unbounded sides SPAN away from the other."""
    low, low_open = _side(schema, "minimum", "exclusiveMinimum", max)
    high, high_open = _side(schema, "maximum", "exclusiveMaximum", min)
    if low is None and high is None:
        return 0, SPAN, False, False
    if low is None:  # from 0 when that is in range, as counts and amounts usually are
        assert high is not None
        return (0 if high > 0 else high - SPAN), high, False, high_open
    if high is None:
        return low, (SPAN if low < 0 else low + SPAN), low_open, False
    return low, high, low_open, high_open


def _side(schema: dict[str, Any], inclusive: str, exclusive: str, tighter: Any) -> Any:
    bound = schema.get(inclusive) if _is_number(schema.get(inclusive)) else None
    strict = schema.get(exclusive)
    if strict is True and bound is not None:  # draft 4: a flag on the inclusive bound
        return bound, True
    if not _is_number(strict):
        return bound, False
    if bound is None or tighter(bound, strict) == strict:
        return strict, True
    return bound, False


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _int_above(low: float, open_: bool) -> int:
    lo = math.ceil(low)
    return lo + 1 if open_ and lo == low else lo


def _int_below(high: float, open_: bool) -> int:
    hi = math.floor(high)
    return hi - 1 if open_ and hi == high else hi


def _decimal(low: float, high: float, low_open: bool, high_open: bool, rng: random.Random) -> float:
    for _ in range(4):
        r = rng.random()
        value = low * (1 - r) + high * r  # never overflows, unlike low + (high - low) * r
        for candidate in (round(value, 2), value):
            if _inside(candidate, low, high, low_open, high_open):
                return candidate
    return float(low) if not low_open else (low + high) / 2


def _inside(value: float, low: float, high: float, low_open: bool, high_open: bool) -> bool:
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    return above and below


def _multiple(
    step: Fraction, low: float, high: float, lo_open: bool, hi_open: bool,
    rng: random.Random, integer: bool,
) -> int | float:  # fmt: skip
    if integer:  # an integer multiple of p/q is a multiple of p
        step = Fraction(step.numerator)
    first = math.ceil(Fraction(low) / step)
    last = math.floor(Fraction(high) / step)
    first += 1 if lo_open and first * step == low else 0
    last -= 1 if hi_open and last * step == high else 0
    if first > last:
        last = first  # unsatisfiable: a multiple at least
    for _ in range(8):
        value = _scaled(rng.randint(first, min(last, first + 10_000)), step, integer)
        if integer or _divides(value, step):
            return value
    return _scaled(first, step, integer)


def _scaled(k: int, step: Fraction, integer: bool) -> int | float:
    exact = k * step
    return int(exact) if integer else float(exact)


def _divides(value: float, step: Fraction) -> bool:
    """The float test validators use: value / step is a whole number."""
    quotient = value / float(step)
    return math.isfinite(quotient) and int(quotient) == quotient


def text(
    schema: dict[str, Any],
    fake: Faker,
    rng: random.Random,
    name: str,
    budget: Budget | None = None,
    most: int = MAX_STRING,
) -> str:
    """A string for schema, at most `most` characters long (the value's size budget)."""
    budget = budget if budget is not None else Budget()
    low, high = _lengths(schema)
    if low > most:
        budget.note(f"minLength {low} cut to {most} (size budget of {budget.max_bytes} bytes)")
    low, high = min(low, most), min(high if high is not None else most, most)
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        matched = string_matching(pattern, rng, low, high, budget)
        if matched is not None:
            return matched
    fmt = schema.get("format")
    maker = _FORMATS.get(fmt) if isinstance(fmt, str) else None
    if maker is not None:
        for made in (str(maker(fake)), str(maker(fake)), _SHORT.get(str(fmt), "")):
            if made and low <= len(made) <= (high if high is not None else len(made)):
                return made
    provider = _BY_NAME.get(name.lower())
    words = str(getattr(fake, provider)()) if provider else fake.word()
    return _fit(words, low, high, fake)


def _lengths(schema: dict[str, Any]) -> tuple[int, int | None]:
    low = schema.get("minLength", 0)
    high = schema.get("maxLength")
    low = min(low, MAX_STRING) if isinstance(low, int) and low > 0 else 0
    high = high if isinstance(high, int) and not isinstance(high, bool) and high >= 0 else None
    return low, high


def _fit(text: str, low: int, high: int | None, fake: Faker) -> str:
    while len(text) < low:
        text += " " + fake.word() if len(text) + 64 > low else " " + "x" * (low - len(text))
    return text[:high] if high is not None else text

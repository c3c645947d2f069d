"""What the fuzz tests share (tests/fuzz/): the budget, JSON and JSON Schema strategies, and
the invariants every answer keeps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from mockserver.config import Config
from mockserver.testing.inprocess import ServerThread

PER_REQUEST_S = 5.0  # generous on a loaded 2-core machine; a hang is minutes
# A fixed budget CI can afford: derandomized (the same examples every run), no database.
FUZZ = settings(
    max_examples=150,
    deadline=None,  # timed per request below, against PER_REQUEST_S
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
)
any_json = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)

schema = st.recursive(
    st.fixed_dictionaries(
        {"type": st.sampled_from(["string", "integer", "number", "boolean", "null"])},
        optional={
            "minimum": st.integers(-5, 5),
            "maximum": st.integers(5, 50),
            "maxLength": st.integers(0, 40),
            "pattern": st.sampled_from(["^[a-z]+$", "^\\d{3}$", "(a+)+$", "["]),
            "enum": st.lists(json_scalars, min_size=1, max_size=3),
            "format": st.sampled_from(["email", "date-time", "uuid", "nope"]),
        },
    ),
    lambda inner: (
        st.fixed_dictionaries(
            {"type": st.just("array"), "items": inner},
            optional={"minItems": st.integers(0, 3), "maxItems": st.integers(0, 5)},
        )
        | st.fixed_dictionaries(
            {
                "type": st.just("object"),
                "properties": st.dictionaries(
                    st.text("abc", min_size=1, max_size=4), inner, max_size=3
                ),
            },
            optional={
                "required": st.lists(st.text("abc", min_size=1, max_size=4), max_size=2),
                "additionalProperties": st.booleans(),
            },
        )
    ),
    max_leaves=6,
)


def check_answer(status: int, text: str, elapsed: float) -> None:
    """The invariants every answer keeps."""
    assert status < 500, text[:500]
    assert "Traceback" not in text and 'File "/' not in text, text[:500]
    assert elapsed < PER_REQUEST_S, f"{elapsed:.1f} s"


@contextmanager
def served(seed: int) -> Iterator[httpx.Client]:
    """A mock in a thread of this process, and a client of it (no default headers)."""
    with (
        ServerThread(Config(port=0, seed=seed)) as server,
        httpx.Client(base_url=server.url, timeout=PER_REQUEST_S * 2) as client,
    ):
        yield client

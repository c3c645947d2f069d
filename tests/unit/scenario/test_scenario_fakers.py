"""`{{ faker.NAME }}` offers only providers whose values are plain data.

Before: `{{ faker.time_series }}` rendered `<generator object ... at 0x7f...>` (a memory
address: neither useful nor deterministic), `faker.pyset` a set whose order changes with
every process.
"""

from __future__ import annotations

import random

import pytest

from mockserver.scenario import fakers
from mockserver.scenario.load import load_text
from mockserver.scenario.problems import ScenarioLoadError
from mockserver.scenario.template import TemplateError

REFUSED = ["time_series", "pyset", "pytimezone", "time_delta", "json_bytes"]


@pytest.mark.parametrize("name", REFUSED)
def test_a_provider_that_gives_no_plain_value_is_refused_at_load_with_why(name: str) -> None:
    text = f"name: fk\nrules:\n  - reply:\n      - message: 'at {{{{ faker.{name} }}}}'\n"
    with pytest.raises(ScenarioLoadError) as refused:
        load_text(text, "fk.yaml")
    (shown,) = refused.value.lines()
    assert shown.startswith("fk.yaml:4:")
    assert f"faker provider '{name}' cannot be used: it gives a" in shown


def test_every_offered_provider_renders_the_same_text_for_the_same_seed() -> None:
    names = sorted(fakers.provider_names())

    def draw() -> list[str]:
        faker = fakers.SeededFaker(random.Random(9))
        return [repr(faker(n)) for n in names]

    # Providers relative to "now" (date_this_month...) differ when two passes straddle a
    # second on a loaded machine: a pass that matches its successor once proves the seed
    # decides everything else; a provider drawing from outside the seed never matches.
    passes = [draw(), draw()]
    for _ in range(3):
        if passes[-2] == passes[-1]:
            break
        passes.append(draw())
    assert passes[-2] == passes[-1]
    assert not any(" at 0x" in text for text in passes[-1])


def test_every_offered_provider_gives_plain_data() -> None:
    # (Not compared across two draws: faker's relative dates read the clock.)
    fake = fakers.SeededFaker(random.Random(9))
    drawn = {name: fake(name) for name in sorted(fakers.provider_names())}
    assert all(fakers._plain(value) for value in drawn.values())
    assert not any(" at 0x" in repr(value) for value in drawn.values())


def test_a_non_plain_draw_at_answer_time_is_a_template_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = fakers.SeededFaker(random.Random(1))
    fake("name")  # builds the seeded Faker
    monkeypatch.setattr(fake._fake, "name", lambda: {1, 2})
    with pytest.raises(TemplateError, match="gives a set"):
        fake("name")
